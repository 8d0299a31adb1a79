#if canImport(Glibc)
    import Glibc
#endif

/// Notices when the journal's files are no longer where the gateway opened them.
///
/// A data folder removed (`rm -rf`) or replaced while the gateway runs does not stop it: it
/// goes on writing into files that no longer have a name, and a restart then begins with an
/// empty journal, losing every unfinished reading without a word. The gateway compares the
/// journal directory's and its meta file's identity (device and inode) with the ones it opened,
/// once a second, and reports the difference on `/healthz` and in the log.
struct JournalPresence {
    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    private let directory: String
    private let metaPath: String
    private let opened: (directory: Identity?, meta: Identity?)

    init(directory: String, metaPath: String) {
        self.directory = directory
        self.metaPath = metaPath
        opened = (Self.identity(directory), Self.identity(metaPath))
    }

    /// What is wrong now, or nil while the journal is where it was opened.
    func problem() -> String? {
        guard let dir = opened.directory, let meta = opened.meta else { return nil }
        let now = (Self.identity(directory), Self.identity(metaPath))
        if now.0 == nil || now.1 == nil {
            // Moved or renamed, the files are whole elsewhere: put back, they are found again
            // (found black-box, 90th review: a `mv` and back was told as a deletion, with no action).
            return "the journal at \(directory) was removed while the gateway runs (moved, renamed or deleted): "
                + "unfinished work exists only in the files it opened; put the data folder back where it was (the gateway finds it again) and do not restart it before, or a restart loses that work"
        }
        if now.0 != dir || now.1 != meta {
            return "the journal at \(directory) was replaced while the gateway runs: it writes to the files it opened, which a restart will not find"
        }
        return nil
    }

    private static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
