#if canImport(Glibc)
    import Glibc
#endif

extension JournalLayout {
    /// The file a writer locks (one writer per journal).
    public var writerLockPath: String { lockPath }

    /// Whether a writer (a running gateway) holds this journal's lock. Asked without creating
    /// anything and without waiting, so `config check` can say what `run` would meet: the lock is
    /// taken shared for an instant and let go.
    public func isHeldByWriter() -> Bool {
        let fd = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        while flock(fd, LOCK_SH | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            return errno == EWOULDBLOCK
        }
        _ = flock(fd, LOCK_UN)
        return false
    }
}
