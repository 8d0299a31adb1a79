#if canImport(Glibc)
    import Glibc
#endif

/// Whether the data folder can hold a journal, told before anything is created: `run` refuses
/// a path that is, or runs through, a file as a setting to fix (exit 78), and `config check`
/// says so beforehand (found black-box: `config check` said ok to `data-dir: afile`, and `run`
/// exited 74, which the shipped unit restarts every 2 s for ever).
enum DataFolder {
    /// Why the journal cannot be made or opened in `journalDirectory` (inside `dataDirectory`),
    /// or nil: each part of the path that exists is a folder, and the deepest one that exists is
    /// one this process may write in (what does not exist yet, `run` creates). Found black-box
    /// (47th review): a folder the gateway's user cannot write in (or one the unit's
    /// `ProtectSystem=strict` keeps read-only, without `ReadWritePaths`) passed `config check`,
    /// and `run` exited 74, which the unit restarts every 2 s.
    /// `writable`: whether this process may create entries in an existing folder (a test's
    /// stand-in; by default `access(2)`, which also says no on a file system mounted read-only).
    /// `fileWritable`: whether this process may read and write an existing file (likewise).
    static func problem(
        dataDirectory: String, journalDirectory: String, writable: (String) -> Bool = { access($0, W_OK | X_OK) == 0 },
        fileWritable: (String) -> Bool = { access($0, R_OK | W_OK) == 0 }
    ) -> String? {
        var candidate = journalDirectory
        while !candidate.isEmpty {
            var info = stat()
            if stat(candidate, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    return "data-dir \(dataDirectory) cannot hold the journal: \(candidate) is a file, not a folder; set data-dir to a folder"
                }
                guard !writable(candidate) else {
                    return candidate == journalDirectory
                        ? unwritableFile(in: [dataDirectory, journalDirectory], dataDirectory: dataDirectory, fileWritable) : nil
                }
                if readOnlyMount(candidate) {
                    // chown cannot fix a read-only mount (found black-box, 90th review: a
                    // remounted flash file system was told to chown).
                    return "data-dir \(dataDirectory) cannot hold the journal: the file system holding \(candidate) is mounted read-only; "
                        + "under the shipped unit, list the folder in ReadWritePaths (systemctl edit sensor-gateway); otherwise the disk was "
                        + "mounted or remounted read-only (a flash card after errors: see dmesg and findmnt), which chown cannot fix"
                }
                return "data-dir \(dataDirectory) cannot hold the journal: this user (uid \(getuid())) cannot write in \(candidate); "
                    + "make the folder the gateway's user's (chown), and under the shipped unit list it in ReadWritePaths (systemctl edit sensor-gateway)"
            }
            guard errno == ENOENT || errno == ENOTDIR, let slash = candidate.lastIndex(of: "/") else { return nil }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
        }
        return nil
    }

    /// Whether the file system holding `path` is mounted read-only.
    static func readOnlyMount(_ path: String) -> Bool {
        var info = statvfs()
        return statvfs(path, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }

    /// The problem with the first file in `folders` (not below them) this process may not read
    /// and write, or nil. Found black-box (67th review): a data folder first used as root, then
    /// given to the gateway's user with a plain `chown` of the folders (as the message above
    /// and the package's upgrade do), passed `config check`; `run` then exited 74 at the first
    /// file it opened (`journal/lock`, then `checkpoint`, ...), one per attempt, and the unit
    /// restarted it until systemd's start limit.
    private static func unwritableFile(in folders: [String], dataDirectory: String, _ fileWritable: (String) -> Bool) -> String? {
        for folder in folders {
            guard let listing = opendir(folder) else { continue }
            defer { closedir(listing) }
            while let entry = readdir(listing) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                let path = folder + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, !fileWritable(path) else { continue }
                return "data-dir \(dataDirectory) cannot hold the journal: this user (uid \(getuid())) cannot read and write \(path) "
                    + "(owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8))); give everything in the folder to "
                    + "the gateway's user: chown -R <user>: \(dataDirectory) (a run as another user, root say, leaves its files that user's)"
            }
        }
        return nil
    }
}
