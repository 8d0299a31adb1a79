#if canImport(Glibc)
    import Glibc
#endif

/// Whether the data folder can hold a journal, told before anything is created: `run` refuses
/// a path that is, or runs through, a file as a setting to fix (exit 78), and `config check`
/// says so beforehand (found black-box: `config check` said ok to `data-dir: afile`, and `run`
/// exited 74, which the shipped unit restarts every 2 s for ever).
enum DataFolder {
    /// Why the journal cannot be made or opened in `journalDirectory` (inside `dataDirectory`),
    /// or nil: each part of the path that exists is a folder (what does not exist yet, `run`
    /// creates).
    static func problem(dataDirectory: String, journalDirectory: String) -> String? {
        var candidate = journalDirectory
        while !candidate.isEmpty {
            var info = stat()
            if stat(candidate, &info) == 0 {
                guard info.st_mode & S_IFMT != S_IFDIR else { return nil }
                return "data-dir \(dataDirectory) cannot hold the journal: \(candidate) is a file, not a folder; set data-dir to a folder"
            }
            guard errno == ENOENT || errno == ENOTDIR, let slash = candidate.lastIndex(of: "/") else { return nil }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
        }
        return nil
    }
}
