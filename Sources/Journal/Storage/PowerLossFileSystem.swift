import Synchronization

/// A fault-injection layer over another file system that makes a SIGKILL cost what a power cut
/// would: writes stay in this process's memory until the file is synced, so a killed process
/// loses exactly the bytes that were never fsynced (a real kill loses none: the kernel's page
/// cache keeps them). Reads through this layer see the unsynced writes as usual.
///
/// For reliability runs only (`SENSOR_GATEWAY_FAULT_INJECTION=power-loss`, docs/RELIABILITY.md):
/// unsynced bytes are held in memory, so it needs an fsync mode that syncs. Metadata changes
/// (allocate, truncate, rename, remove) pass through at once, as a journaling file system
/// would keep them; only data is held back. Torn writes are not simulated here (the journal's
/// own crash tests do that in memory).
public final class PowerLossFileSystem: FileSystem {
    private struct Write {
        var offset: Int
        var bytes: [UInt8]
        var end: Int { offset + bytes.count }
    }

    private struct State {
        var paths: [Int32: String] = [:]
        var unsynced: [String: [Write]] = [:]
        var unsyncedBytes = 0
    }

    private let base: FileSystem
    private let state = Mutex(State())

    public init(over base: FileSystem = POSIXFileSystem()) {
        self.base = base
    }

    /// Bytes written but not yet synced (what a power cut now would lose).
    public var unsyncedBytes: Int { state.withLock { $0.unsyncedBytes } }

    private func path(_ handle: Int32) -> String { state.withLock { $0.paths[handle] ?? "" } }

    public func open(_ path: String, create: Bool) throws -> Int32 {
        let h = try base.open(path, create: create)
        state.withLock { $0.paths[h] = path }
        return h
    }

    public func openForReading(_ path: String) throws -> Int32 {
        let h = try base.openForReading(path)
        state.withLock { $0.paths[h] = path }
        return h
    }

    public func close(_ handle: Int32) {
        state.withLock { _ = $0.paths.removeValue(forKey: handle) }
        base.close(handle)
    }

    public func size(_ handle: Int32) throws -> Int {
        let held = state.withLock { s in s.unsynced[s.paths[handle] ?? "", default: []].map(\.end).max() ?? 0 }
        return max(try base.size(handle), held)
    }

    public func allocate(_ handle: Int32, size: Int) throws { try base.allocate(handle, size: size) }

    public func truncate(_ handle: Int32, size: Int) throws {
        try base.truncate(handle, size: size)
        state.withLock { s in
            let path = s.paths[handle] ?? ""
            guard var writes = s.unsynced[path] else { return }
            let before = writes.reduce(0) { $0 + $1.bytes.count }
            writes = writes.compactMap { w in
                guard w.offset < size else { return nil }
                return Write(offset: w.offset, bytes: Array(w.bytes.prefix(size - w.offset)))
            }
            s.unsyncedBytes -= before - writes.reduce(0) { $0 + $1.bytes.count }
            s.unsynced[path] = writes
        }
    }

    public func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        state.withLock { s in
            s.unsynced[s.paths[handle] ?? "", default: []].append(Write(offset: offset, bytes: Array(bytes)))
            s.unsyncedBytes += bytes.count
        }
    }

    public func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        var out = try base.read(handle, count: count, at: offset)
        let writes = state.withLock { s in s.unsynced[s.paths[handle] ?? "", default: []] }
        for w in writes where w.offset < offset + count && w.end > offset {
            let from = max(w.offset, offset), to = min(w.end, offset + count)
            if out.count < to - offset { out += [UInt8](repeating: 0, count: to - offset - out.count) }
            out.replaceSubrange((from - offset)..<(to - offset), with: w.bytes[(from - w.offset)..<(to - w.offset)])
        }
        return out
    }

    /// Applies the held writes in order, then syncs: from here on they survive a kill. (Under
    /// the lock, so that a read never misses bytes on their way from memory to the file.)
    public func sync(_ handle: Int32) throws {
        try state.withLock { s in
            let path = s.paths[handle] ?? ""
            for w in s.unsynced[path, default: []] { try base.write(handle, bytes: w.bytes, at: w.offset) }
            s.unsyncedBytes -= (s.unsynced.removeValue(forKey: path) ?? []).reduce(0) { $0 + $1.bytes.count }
        }
        try base.sync(handle)
    }

    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func makeDirectory(_ path: String) throws { try base.makeDirectory(path) }
    public func list(_ directory: String) throws -> [String] { try base.list(directory) }

    public func remove(_ path: String) throws {
        try base.remove(path)
        state.withLock { s in
            s.unsyncedBytes -= (s.unsynced.removeValue(forKey: path) ?? []).reduce(0) { $0 + $1.bytes.count }
        }
    }

    public func rename(_ from: String, to: String) throws {
        try base.rename(from, to: to)
        state.withLock { s in
            s.unsyncedBytes -= (s.unsynced.removeValue(forKey: to) ?? []).reduce(0) { $0 + $1.bytes.count }
            if let moved = s.unsynced.removeValue(forKey: from) { s.unsynced[to] = moved }
            for (h, p) in s.paths where p == from { s.paths[h] = to }
        }
    }

    public func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }

    public func lockExclusively(_ path: String) throws -> Int32? {
        guard let h = try base.lockExclusively(path) else { return nil }
        state.withLock { $0.paths[h] = path }
        return h
    }

    public func lockDirectoryExclusively(_ path: String) throws -> DirectoryLock {
        let lock = try base.lockDirectoryExclusively(path)
        if case .held(let h) = lock { state.withLock { $0.paths[h] = path } }
        return lock
    }
}
