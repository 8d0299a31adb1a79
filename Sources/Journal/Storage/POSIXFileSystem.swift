#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// The real file system, through POSIX calls (`SystemCall`: EINTR retried, errno captured at
/// once); a failure becomes a `FileSystemError` naming the call and the path.
public final class POSIXFileSystem: FileSystem {
    private let paths = Mutex<[Int32: String]>([:])

    public init() {}

    private func path(_ h: Int32) -> String { paths.withLock { $0[h] ?? "fd \(h)" } }

    public func open(_ path: String, create: Bool) throws -> Int32 {
        let fd = try Self.openRegularFile(path, create ? O_RDWR | O_CREAT : O_RDWR)
        paths.withLock { $0[fd] = path }
        return fd
    }

    public func openForReading(_ path: String) throws -> Int32 {
        let fd = try Self.openRegularFile(path, O_RDONLY)
        paths.withLock { $0[fd] = path }
        return fd
    }

    /// Opens `path` only if it is a regular file: a FIFO put where a journal file belongs would
    /// block the open until a writer came, and a start or `journal verify` with it, deaf to
    /// SIGTERM (found black-box, 55th review). Opened without blocking, checked, then set back
    /// to blocking; anything else is a `FileSystemError`, which opening treats as a file that
    /// cannot be used (moved aside, a new one made).
    static func openRegularFile(_ path: String, _ flags: Int32) throws -> Int32 {
        let fd = try SystemCall.run("open", path) { Glibc.open(path, flags | O_CLOEXEC | O_NONBLOCK, 0o644) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            _ = Glibc.close(fd)
            // A directory reads as a writer's open of it fails, so `journal verify` and the
            // start name it alike.
            if st.st_mode & S_IFMT == S_IFDIR { throw SystemCall.error("open", path, EISDIR) }
            let kind = st.st_mode & S_IFMT == S_IFIFO ? "a FIFO" : "a device or socket"
            throw FileSystemError(operation: "open", path: path, code: EINVAL, message: "not a regular file (\(kind))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    public func close(_ handle: Int32) {
        paths.withLock { _ = $0.removeValue(forKey: handle) }
        // Not retried: on Linux the descriptor is released even when close reports EINTR.
        _ = Glibc.close(handle)
    }

    public func size(_ handle: Int32) throws -> Int {
        var st = stat()
        _ = try SystemCall.run("stat", path(handle)) { fstat(handle, &st) }
        return Int(st.st_size)
    }

    public func allocate(_ handle: Int32, size: Int) throws {
        do {
            try SystemCall.runReturningError("allocate \(size) bytes for", path(handle)) { posix_fallocate(handle, 0, off_t(size)) }
        } catch let e as FileSystemError where e.code == EOPNOTSUPP || e.code == EINVAL {
            // File systems without fallocate (tmpfs on old kernels): fall back to a plain length.
            _ = try SystemCall.run("allocate \(size) bytes for", path(handle)) { ftruncate(handle, off_t(size)) }
        }
    }

    public func truncate(_ handle: Int32, size: Int) throws {
        _ = try SystemCall.run("truncate", path(handle)) { ftruncate(handle, off_t(size)) }
    }

    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            done += try SystemCall.run("write", path(handle)) {
                pwrite(handle, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
        }
    }

    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try out.withUnsafeMutableBytes { buffer in
                try SystemCall.run("read", path(handle)) { pread(handle, buffer.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            if n == 0 { break }
            done += n
        }
        if done < count { out.removeLast(count - done) }
        return out
    }

    public func sync(_ handle: Int32) throws {
        _ = try SystemCall.run("fdatasync", path(handle)) { fdatasync(handle) }
    }

    /// Whether a name is there, a symbolic link that leads nowhere included: such a journal file
    /// is one that cannot be used (moved aside, a new one made), not one missing whose creation
    /// would follow the link and fail (found black-box, 55th review: `run` exited 74 where
    /// `config check` said "opening creates it").
    public func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/\(part)"
            let rc = mkdir(current, 0o755)
            if rc != 0 {
                let code = errno
                if code != EEXIST { throw SystemCall.error("mkdir", current, code) }
            }
        }
    }

    public func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw SystemCall.error("list", directory, errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func remove(_ path: String) throws {
        var rc = unlink(path)
        // A directory (a resize's emptied staging folder): Linux's unlink says EISDIR.
        if rc != 0 && errno == EISDIR { rc = rmdir(path) }
        if rc != 0 {
            let code = errno
            if code != ENOENT { throw SystemCall.error("remove", path, code) }
        }
    }

    public func rename(_ from: String, to: String) throws {
        _ = try SystemCall.run("rename \(from) to", to) { Glibc.rename(from, to) }
    }

    public func lockExclusively(_ path: String) throws -> Int32? {
        // Any file will do for a lock (one replaced by a FIFO still takes it), opened without
        // waiting for a FIFO's writer.
        let fd = try SystemCall.run("open", path) { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644) }
        paths.withLock { $0[fd] = path }
        let code = Self.lockWaitingBriefly(fd)
        if code == 0 { return fd }
        close(fd)
        if code == EWOULDBLOCK { return nil }
        throw SystemCall.error("lock", path, code)
    }

    public func lockDirectoryExclusively(_ path: String) throws -> DirectoryLock {
        let fd = try SystemCall.run("open directory", path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        let code = Self.lockWaitingBriefly(fd)
        guard code == 0 else {
            Glibc.close(fd)
            if code == EWOULDBLOCK { return .heldElsewhere }
            throw SystemCall.error("lock", path, code)
        }
        paths.withLock { $0[fd] = path }
        return .held(fd)
    }

    /// Takes an exclusive `flock` on `fd`: 0, or the errno. A lock found held is tried again for
    /// up to half a second before `EWOULDBLOCK` is returned: a lock closed by its owner a moment
    /// ago can still be held by a process being spawned at that instant (between its `clone` and
    /// its `exec` it shares every open file, close-on-exec or not), which made a journal reopened
    /// at once in one process look taken by another. A second gateway still exits within a second.
    private static func lockWaitingBriefly(_ fd: Int32) -> Int32 {
        var triesLeft = 25
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK, triesLeft > 0 else { return code }
            triesLeft -= 1
            usleep(20_000)
        }
        return 0
    }

    public func syncDirectory(_ path: String) throws {
        let fd = try SystemCall.run("open directory", path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = Glibc.close(fd) }
        _ = try SystemCall.run("fsync directory", path) { fsync(fd) }
    }
}
