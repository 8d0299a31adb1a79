#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The real file system, through POSIX calls; errno becomes `FileSystemError`.
public final class POSIXFileSystem: FileSystem {
    private let paths = Mutex<[Int32: String]>([:])

    public init() {}

    private func fail(_ operation: String, _ path: String) -> FileSystemError {
        let code = errno
        return FileSystemError(operation: operation, path: path, code: code, message: String(cString: strerror(code)))
    }

    private func path(_ h: Int32) -> String { paths.withLock { $0[h] ?? "fd \(h)" } }

    public func open(_ path: String, create: Bool) throws -> Int32 {
        let fd = create ? Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) : Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open", path) }
        paths.withLock { $0[fd] = path }
        return fd
    }

    public func openForReading(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open", path) }
        paths.withLock { $0[fd] = path }
        return fd
    }

    public func close(_ handle: Int32) {
        paths.withLock { _ = $0.removeValue(forKey: handle) }
        _ = Glibc.close(handle)
    }

    public func size(_ handle: Int32) throws -> Int {
        var st = stat()
        guard fstat(handle, &st) == 0 else { throw fail("stat", path(handle)) }
        return Int(st.st_size)
    }

    public func allocate(_ handle: Int32, size: Int) throws {
        let rc = posix_fallocate(handle, 0, off_t(size))
        if rc == 0 { return }
        // File systems without fallocate (tmpfs on old kernels): fall back to a plain length.
        if rc == EOPNOTSUPP || rc == EINVAL, ftruncate(handle, off_t(size)) == 0 { return }
        errno = rc
        throw fail("allocate \(size) bytes for", path(handle))
    }

    public func truncate(_ handle: Int32, size: Int) throws {
        guard ftruncate(handle, off_t(size)) == 0 else { throw fail("truncate", path(handle)) }
    }

    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(handle, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write", path(handle))
            }
            done += n
        }
    }

    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(handle, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("read", path(handle))
            }
            if n == 0 { break }
            done += n
        }
        if done < count { out.removeLast(count - done) }
        return out
    }

    public func sync(_ handle: Int32) throws {
        guard fdatasync(handle) == 0 else { throw fail("fdatasync", path(handle)) }
    }

    public func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/\(part)"
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw fail("mkdir", current) }
        }
    }

    public func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw fail("list", directory) }
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
        guard unlink(path) == 0 || errno == ENOENT else { throw fail("remove", path) }
    }

    public func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw fail("rename to \(to)", from) }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open directory", path) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw fail("fsync directory", path) }
    }
}
