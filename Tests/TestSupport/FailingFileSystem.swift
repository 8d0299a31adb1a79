import Glibc
import Journal
import Synchronization

/// Passes everything to another file system, but the `failAt`-th change (rename, remove, write
/// or sync) fails with EIO: a crash at that point, as far as the files can tell. `counting`
/// picks the changes that count (by operation, and the path of a rename's source or a remove).
public final class FailingFileSystem: FileSystem {
    private let base: FileSystem
    private let remaining: Mutex<Int>
    private let counting: @Sendable (String, String?) -> Bool

    public init(over base: FileSystem, failAt: Int, counting: @escaping @Sendable (String, String?) -> Bool = { _, _ in true }) {
        self.base = base
        remaining = Mutex(failAt)
        self.counting = counting
    }

    private func step(_ op: String, _ path: String? = nil) throws {
        guard counting(op, path) else { return }
        let fail = remaining.withLock { n -> Bool in
            n -= 1
            return n == -1
        }
        if fail { throw FileSystemError(operation: op, path: "injected", code: EIO, message: "injected failure") }
    }

    public func open(_ path: String, create: Bool) throws -> Int32 { try base.open(path, create: create) }
    public func close(_ handle: Int32) { base.close(handle) }
    public func size(_ handle: Int32) throws -> Int { try base.size(handle) }
    public func allocate(_ handle: Int32, size: Int) throws { try base.allocate(handle, size: size) }
    public func truncate(_ handle: Int32, size: Int) throws { try base.truncate(handle, size: size) }
    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try step("write")
        try base.write(handle, bytes, at: offset)
    }
    /// Reads made through it (never failed).
    public let reads = Mutex(0)
    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        reads.withLock { $0 += 1 }
        return try base.read(handle, count: count, at: offset)
    }
    public func sync(_ handle: Int32) throws {
        try step("sync")
        try base.sync(handle)
    }
    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func makeDirectory(_ path: String) throws { try base.makeDirectory(path) }
    public func list(_ directory: String) throws -> [String] { try base.list(directory) }
    public func remove(_ path: String) throws {
        try step("remove", path)
        try base.remove(path)
    }
    public func rename(_ from: String, to: String) throws {
        try step("rename", from)
        try base.rename(from, to: to)
    }
    public func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
}
