#if canImport(Glibc)
    import Glibc
#endif
import DeterministicRandom
import Journal
import Synchronization

/// An in-memory `FileSystem` for the simulator that keeps what was written apart from what was
/// synced, fails operations on demand (ENOSPC, EIO), returns short reads, and can crash: a
/// process kill keeps the page cache (written bytes survive), a power cut keeps the synced bytes
/// plus some version of the unsynced writes (dropped, torn at 512 B or 4 KiB, garbled, or some
/// kept). It also damages files at rest (bit flips, odd sizes) for the world.
///
/// The journal's own tests (`JournalTests`) use it too. The state sits behind a `Mutex` only
/// because `FileSystem` is `Sendable`; the simulator runs on one thread.
public final class FaultyFileSystem: FileSystem {
    /// What a power cut does to each unsynced write.
    public enum PowerCut: CaseIterable, Sendable { case dropAll, tear512, tear4096, garble, keepSome }

    struct File {
        var durable: [UInt8] = []
        var current: [UInt8] = []
        var pending: [(offset: Int, bytes: [UInt8])] = []
    }

    struct State {
        var files: [String: File] = [:]
        var handles: [Int32: String] = [:]
        var nextHandle: Int32 = 3
        /// Fails the write (or sync) this many operations from now with the errno.
        var failAfter: (operations: Int, code: Int32)?
        /// Fails every write and sync with the errno until cleared (a disk that stays full).
        var failEvery: Int32?
        /// The next read returns only this many bytes of what it asked for.
        var shortRead: Int?
    }

    let state = Mutex(State())

    /// An empty file system.
    public init() {}

    /// Arms a failure: the write or sync `operations` from now (0: the next) throws `code`
    /// (ENOSPC, EIO), once.
    public func failWrite(after operations: Int, code: Int32) { state.withLock { $0.failAfter = (operations, code) } }

    /// Makes every write and sync throw `code` (ENOSPC: a disk that stays full) until called
    /// with nil.
    public func failWrites(with code: Int32?) { state.withLock { $0.failEvery = code } }

    /// Arms a short read: the next read returns at most `bytes` bytes (as if the file ended there).
    public func shortenNextRead(to bytes: Int) { state.withLock { $0.shortRead = bytes } }

    /// Disarms every pending fault (the world's drain phase).
    public func disarm() {
        state.withLock { s in
            s.failAfter = nil
            s.failEvery = nil
            s.shortRead = nil
        }
    }

    private func err(_ op: String, _ path: String, _ code: Int32) -> FileSystemError {
        FileSystemError(operation: op, path: path, code: code, message: String(cString: strerror(code)))
    }

    /// Counts down an armed failure; throws when it fires.
    private static func injected(_ s: inout State, _ op: String, _ path: String, make: (String, String, Int32) -> FileSystemError) throws {
        if let code = s.failEvery { throw make(op, path, code) }
        guard let armed = s.failAfter else { return }
        if armed.operations > 0 {
            s.failAfter = (armed.operations - 1, armed.code)
            return
        }
        s.failAfter = nil
        throw make(op, path, armed.code)
    }

    public func open(_ path: String, create: Bool) throws -> Int32 {
        try state.withLock { s in
            if s.files[path] == nil {
                guard create else { throw err("open", path, ENOENT) }
                s.files[path] = File()
            }
            let h = s.nextHandle
            s.nextHandle += 1
            s.handles[h] = path
            return h
        }
    }

    public func close(_ handle: Int32) { state.withLock { _ = $0.handles.removeValue(forKey: handle) } }

    private func withFile<T>(_ h: Int32, _ body: (inout File, inout State, String) throws -> T) throws -> T {
        try state.withLock { s in
            // Taken out of the dictionary while changed, so the segment's bytes are not copied.
            guard let path = s.handles[h], var f = s.files.removeValue(forKey: path) else { throw err("use", "fd \(h)", EBADF) }
            defer { s.files[path] = f }
            return try body(&f, &s, path)
        }
    }

    public func size(_ handle: Int32) throws -> Int { try withFile(handle) { f, _, _ in f.current.count } }

    public func allocate(_ handle: Int32, size: Int) throws {
        try withFile(handle) { f, _, _ in
            if f.current.count < size { f.current += [UInt8](repeating: 0, count: size - f.current.count) }
            if f.durable.count < size { f.durable += [UInt8](repeating: 0, count: size - f.durable.count) }
        }
    }

    public func truncate(_ handle: Int32, size: Int) throws {
        try withFile(handle) { f, _, _ in
            f.current = Array(f.current.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - f.current.count))
            f.durable = f.current
            f.pending = []
        }
    }

    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try withFile(handle) { f, s, path in
            try Self.injected(&s, "write", path, make: err)
            let data = Array(bytes)
            if f.current.count < offset + data.count { f.current += [UInt8](repeating: 0, count: offset + data.count - f.current.count) }
            f.current.replaceSubrange(offset..<(offset + data.count), with: data)
            f.pending.append((offset, data))
        }
    }

    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        try withFile(handle) { f, s, _ in
            guard offset < f.current.count else { return [] }
            var n = min(count, f.current.count - offset)
            if let short = s.shortRead {
                n = min(n, short)
                s.shortRead = nil
            }
            return Array(f.current[offset..<(offset + n)])
        }
    }

    public func sync(_ handle: Int32) throws {
        try withFile(handle) { f, s, path in
            try Self.injected(&s, "fdatasync", path, make: err)
            f.durable = f.current
            f.pending = []
        }
    }

    /// A file, or a directory holding one (directories are implicit: an empty one does not exist).
    public func exists(_ path: String) -> Bool {
        state.withLock { s in s.files[path] != nil || s.files.keys.contains { $0.hasPrefix(path + "/") } }
    }
    public func makeDirectory(_ path: String) throws {}

    public func list(_ directory: String) throws -> [String] {
        state.withLock { s in
            s.files.keys.filter { $0.hasPrefix(directory + "/") }.map { String($0.dropFirst(directory.count + 1)) }.sorted()
        }
    }

    public func remove(_ path: String) throws { state.withLock { _ = $0.files.removeValue(forKey: path) } }

    public func rename(_ from: String, to: String) throws {
        try state.withLock { s in
            guard var f = s.files.removeValue(forKey: from) else { throw err("rename", from, ENOENT) }
            f.durable = f.current
            f.pending = []
            s.files[to] = f
        }
    }

    public func syncDirectory(_ path: String) throws {}
}
