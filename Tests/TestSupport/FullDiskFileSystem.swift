import Glibc
import Journal
import Synchronization

/// Passes everything to another file system, but writing to (or allocating room in) a file whose
/// path `full` picks fails with ENOSPC: a disk with room for some of the journal's files and not
/// for the rest.
public final class FullDiskFileSystem: FileSystem {
    private let base: FileSystem
    private let full: @Sendable (String) -> Bool
    private let paths = Mutex<[Int32: String]>([:])

    public init(over base: FileSystem, full: @escaping @Sendable (String) -> Bool) {
        self.base = base
        self.full = full
    }

    private func check(_ op: String, _ handle: Int32) throws {
        guard let path = paths.withLock({ $0[handle] }), full(path) else { return }
        throw FileSystemError(operation: op, path: path, code: ENOSPC, message: "No space left on device")
    }

    public func open(_ path: String, create: Bool) throws -> Int32 {
        let h = try base.open(path, create: create)
        paths.withLock { $0[h] = path }
        return h
    }
    public func close(_ handle: Int32) {
        paths.withLock { _ = $0.removeValue(forKey: handle) }
        base.close(handle)
    }
    public func size(_ handle: Int32) throws -> Int { try base.size(handle) }
    public func allocate(_ handle: Int32, size: Int) throws {
        try check("allocate", handle)
        try base.allocate(handle, size: size)
    }
    public func truncate(_ handle: Int32, size: Int) throws { try base.truncate(handle, size: size) }
    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try check("write", handle)
        try base.write(handle, bytes, at: offset)
    }
    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] { try base.read(handle, count: count, at: offset) }
    public func sync(_ handle: Int32) throws { try base.sync(handle) }
    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func makeDirectory(_ path: String) throws { try base.makeDirectory(path) }
    public func list(_ directory: String) throws -> [String] { try base.list(directory) }
    public func remove(_ path: String) throws { try base.remove(path) }
    public func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
    public func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
}
