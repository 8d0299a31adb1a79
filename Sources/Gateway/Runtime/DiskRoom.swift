#if canImport(Glibc)
    import Glibc
#endif

/// Free room on the file system that holds (or will hold) a path, for `config check`'s forecast
/// of a journal `run` must create or copy: `run` refuses those with exit 78 when the disk is full
/// (found black-box: `config check` said "run creates it", exit 0, where `run` then exited 78).
enum DiskRoom {
    /// Bytes an unprivileged writer may still use on the file system of `path`, or of its
    /// nearest existing parent (a folder `run` would create); nil when it cannot be told.
    static func availableBytes(near path: String) -> Int? {
        var candidate = path
        while true {
            var stats = statvfs()
            if statvfs(candidate, &stats) == 0 { return Int(stats.f_bavail) &* Int(stats.f_frsize) }
            guard errno == ENOENT, let slash = candidate.lastIndex(of: "/") else { return nil }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
        }
    }

    /// Room the journal's small files take beside its segments (`journal.meta`, the checkpoint,
    /// the locks, a resize's summary and the temporary copies they are written through), a
    /// block or more each: a disk with room for the segments alone failed on them (found
    /// black-box, 85th review: exit 74 where `config check` said ok).
    static let journalFilesAllowance = 64 * 1024

    /// Why `run` will refuse: the `needed` bytes for `what` are more than the disk holds free
    /// (`room`: `availableBytes(near:)`, or a stand-in); nil when they fit or it cannot be told.
    static func shortfall(_ needed: Int, for what: String, near path: String, free room: (String) -> Int?) -> String? {
        guard let free = room(path), free < needed else { return nil }
        return "\(what) needs \(needed) bytes of disk and the file system of \(path) has \(free) free: free space, or lower journal-max-bytes"
    }
}
