/// The few file operations the journal needs. The real one is `POSIXFileSystem`; tests supply
/// one that keeps written and synced data apart and can simulate a crash.
public protocol FileSystem: AnyObject, Sendable {
    /// Opens (creating when asked) a file for reading and writing; returns a handle.
    func open(_ path: String, create: Bool) throws -> Int32
    /// Opens an existing file for reading only, so that inspecting a journal works on read-only
    /// media and for users who may not write it.
    func openForReading(_ path: String) throws -> Int32
    func close(_ handle: Int32)
    func size(_ handle: Int32) throws -> Int
    /// Makes the file `size` bytes long with its blocks really allocated (no holes), so that
    /// writes inside it cannot fail for lack of space later.
    func allocate(_ handle: Int32, size: Int) throws
    /// Cuts or extends the file to exactly `size` bytes (new bytes read as zero).
    func truncate(_ handle: Int32, size: Int) throws
    func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws
    /// Reads up to `count` bytes; fewer at the end of the file.
    func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8]
    /// Makes written data durable (fdatasync).
    func sync(_ handle: Int32) throws
    func exists(_ path: String) -> Bool
    func makeDirectory(_ path: String) throws
    func list(_ directory: String) throws -> [String]
    /// Removes a file, or an empty directory; one already gone is no error.
    func remove(_ path: String) throws
    func rename(_ from: String, to: String) throws
    /// Makes a directory's entries (created, renamed files) durable.
    func syncDirectory(_ path: String) throws
    /// Opens (creating if needed) `path` and takes an exclusive advisory lock on it without
    /// waiting. Returns the handle that holds the lock (closing it releases the lock), or nil when
    /// another open file (this process or another) holds it.
    func lockExclusively(_ path: String) throws -> Int32?
    /// Takes an exclusive advisory lock on a directory itself without waiting, so that a second
    /// writer is refused even after the lock file inside it was deleted by hand (a new lock file
    /// would lock apart from the old one; the directory is the same inode for both).
    func lockDirectoryExclusively(_ path: String) throws -> DirectoryLock
}

/// What asking for a directory's lock without waiting gave.
public enum DirectoryLock: Sendable, Equatable {
    /// Taken: closing the handle releases it.
    case held(Int32)
    /// Another open handle (this process or another) holds it.
    case heldElsewhere
    /// This file layer has no directories to lock (an in-memory test double).
    case unsupported
}

/// A failed file operation, with errno and the path or operation it concerned.
public struct FileSystemError: Error, CustomStringConvertible, Equatable {
    public var operation: String
    public var path: String
    public var code: Int32
    public var message: String
    public var description: String { "\(operation) \(path): \(message)" }

    public init(operation: String, path: String, code: Int32, message: String) {
        self.operation = operation
        self.path = path
        self.code = code
        self.message = message
    }
}

extension FileSystem {
    /// Writes a whole array at `offset`.
    public func write(_ handle: Int32, bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write(handle, $0, at: offset) }
    }
}

extension FileSystem {
    /// File layers without locks (test doubles) only open the file.
    public func lockExclusively(_ path: String) throws -> Int32? { try open(path, create: true) }
    /// File layers without directories (test doubles) lock nothing.
    public func lockDirectoryExclusively(_ path: String) throws -> DirectoryLock { .unsupported }
}

extension FileSystem {
    /// File layers without a read-only mode (test doubles) open as usual.
    public func openForReading(_ path: String) throws -> Int32 { try open(path, create: false) }
}
