#if canImport(Glibc)
    import Glibc
#endif

/// Where an export goes: standard output, or a file that appears only when complete.
///
/// A file is written as `.<name>.partial-<pid>` beside it, synced, then renamed over the name
/// (atomic on one file system), so a failed or interrupted export never leaves a file that looks
/// complete; `abandon` removes the partial file. A path that exists and is not a regular file (a
/// device, a FIFO, `/dev/stdout`) is written through instead: renaming over it would replace
/// the device node with a file. Writes are buffered (64 KiB).
public final class ExportOutput {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The output could not be created (EX_CANTCREAT) rather than written (EX_IOERR).
        public var cannotCreate: Bool
    }

    private let fd: Int32
    private let path: String?
    private let partialPath: String?
    private var buffer: [UInt8] = []

    /// Standard output.
    public init() {
        fd = STDOUT_FILENO
        path = nil
        partialPath = nil
    }

    /// A file at `path`, replaced atomically by `commit`.
    public init(path: String) throws {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))", cannotCreate: true) }
            self.fd = fd
            self.path = path
            partialPath = nil
            return
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let partial = "\(directory).\(name).partial-\(getpid())"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot create \(partial): \(String(cString: strerror(errno)))", cannotCreate: true) }
        self.fd = fd
        self.path = path
        partialPath = partial
    }

    deinit { if path != nil { close(fd) } }

    public func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered; for a file, syncs it and renames it into place.
    public func commit() throws {
        try flush()
        guard let path, let partialPath else { return }  // standard output, or written through
        guard fsync(fd) == 0 else { throw failure("sync \(partialPath)") }
        guard rename(partialPath, path) == 0 else { throw failure("rename \(partialPath) to \(path)") }
    }

    /// Removes the partial file after a failure (nothing for standard output).
    public func abandon() {
        if let partialPath { unlink(partialPath) }
    }

    private func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("write \(partialPath ?? path ?? "standard output")") }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "cannot \(what): \(String(cString: strerror(errno)))", cannotCreate: false)
    }
}
