import Foundation
import Journal
import Synchronization

/// The real file layer, except that the next sync of a journal segment file after `holdNextSync`
/// waits until `release`: a disk that takes as long as the test wants to sync.
final class GatedSyncFileSystem: FileSystem {
    private struct State {
        var paths: [Int32: String] = [:]
        var armed = false
        var holding = false
    }

    private let base = POSIXFileSystem()
    private let state = Mutex(State())
    private let gate = DispatchSemaphore(value: 0)

    /// The next segment sync waits for `release`.
    func holdNextSync() { state.withLock { $0.armed = true } }

    /// Whether a segment sync is waiting now.
    var holding: Bool { state.withLock { $0.holding } }

    /// Lets the held sync (if any, or the next one) go on.
    func release() {
        state.withLock { $0.armed = false }
        gate.signal()
    }

    func open(_ path: String, create: Bool) throws -> Int32 {
        let h = try base.open(path, create: create)
        state.withLock { $0.paths[h] = path }
        return h
    }

    func close(_ handle: Int32) {
        state.withLock { _ = $0.paths.removeValue(forKey: handle) }
        base.close(handle)
    }

    func sync(_ handle: Int32) throws {
        let hold = state.withLock { s in
            guard s.armed, (s.paths[handle] ?? "").hasSuffix(".log") else { return false }
            s.armed = false
            s.holding = true
            return true
        }
        if hold {
            gate.wait()
            state.withLock { $0.holding = false }
        }
        try base.sync(handle)
    }

    func size(_ handle: Int32) throws -> Int { try base.size(handle) }
    func allocate(_ handle: Int32, size: Int) throws { try base.allocate(handle, size: size) }
    func truncate(_ handle: Int32, size: Int) throws { try base.truncate(handle, size: size) }
    func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws { try base.write(handle, bytes, at: offset) }
    func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] { try base.read(handle, count: count, at: offset) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func makeDirectory(_ path: String) throws { try base.makeDirectory(path) }
    func list(_ directory: String) throws -> [String] { try base.list(directory) }
    func remove(_ path: String) throws { try base.remove(path) }
    func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
    func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    func lockExclusively(_ path: String) throws -> Int32? { try base.lockExclusively(path) }
    func openForReading(_ path: String) throws -> Int32 { try base.openForReading(path) }
}
