import Foundation
import Journal
import Synchronization

/// An in-memory file system that keeps what was written apart from what was synced, and can
/// "crash": unsynced writes are then dropped, torn at 512 B or 4 KiB boundaries, or garbled.
/// It can also start failing writes with an errno (ENOSPC) to test error handling.
final class SimulatedFileSystem: FileSystem {
    enum CrashMode: CaseIterable { case dropAll, tear512, tear4096, garble, keepSome }

    private struct File {
        var durable: [UInt8] = []
        var current: [UInt8] = []
        var pending: [(offset: Int, bytes: [UInt8])] = []
    }

    private struct State {
        var files: [String: File] = [:]
        var handles: [Int32: String] = [:]
        var nextHandle: Int32 = 3
        var failWrites: Int32?
    }

    private let state = Mutex(State())

    func failWrites(with code: Int32?) { state.withLock { $0.failWrites = code } }

    private func err(_ op: String, _ path: String, _ code: Int32) -> FileSystemError {
        FileSystemError(operation: op, path: path, code: code, message: String(cString: strerror(code)))
    }

    func open(_ path: String, create: Bool) throws -> Int32 {
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

    func close(_ handle: Int32) { state.withLock { _ = $0.handles.removeValue(forKey: handle) } }

    private func withFile<T>(_ h: Int32, _ body: (inout File, inout State) throws -> T) throws -> T {
        try state.withLock { s in
            guard let path = s.handles[h], var f = s.files[path] else { throw err("use", "fd \(h)", EBADF) }
            let r = try body(&f, &s)
            s.files[path] = f
            return r
        }
    }

    func size(_ handle: Int32) throws -> Int { try withFile(handle) { f, _ in f.current.count } }

    func allocate(_ handle: Int32, size: Int) throws {
        try withFile(handle) { f, _ in
            if f.current.count < size { f.current += [UInt8](repeating: 0, count: size - f.current.count) }
            if f.durable.count < size { f.durable += [UInt8](repeating: 0, count: size - f.durable.count) }
        }
    }

    func truncate(_ handle: Int32, size: Int) throws {
        try withFile(handle) { f, _ in
            f.current = Array(f.current.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - f.current.count))
            f.durable = f.current
            f.pending = []
        }
    }

    func write(_ handle: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try withFile(handle) { f, s in
            if let code = s.failWrites { throw err("write", "fd \(handle)", code) }
            let data = Array(bytes)
            if f.current.count < offset + data.count { f.current += [UInt8](repeating: 0, count: offset + data.count - f.current.count) }
            f.current.replaceSubrange(offset..<(offset + data.count), with: data)
            f.pending.append((offset, data))
        }
    }

    func read(_ handle: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        try withFile(handle) { f, _ in
            guard offset < f.current.count else { return [] }
            return Array(f.current[offset..<min(offset + count, f.current.count)])
        }
    }

    func sync(_ handle: Int32) throws {
        try withFile(handle) { f, s in
            if let code = s.failWrites { throw err("fdatasync", "fd \(handle)", code) }
            f.durable = f.current
            f.pending = []
        }
    }

    func exists(_ path: String) -> Bool { state.withLock { $0.files[path] != nil } }
    func makeDirectory(_ path: String) throws {}

    func list(_ directory: String) throws -> [String] {
        state.withLock { s in
            s.files.keys.filter { $0.hasPrefix(directory + "/") }.map { String($0.dropFirst(directory.count + 1)) }.sorted()
        }
    }

    func remove(_ path: String) throws { state.withLock { _ = $0.files.removeValue(forKey: path) } }

    func rename(_ from: String, to: String) throws {
        try state.withLock { s in
            guard var f = s.files.removeValue(forKey: from) else { throw err("rename", from, ENOENT) }
            f.durable = f.current
            f.pending = []
            s.files[to] = f
        }
    }

    func syncDirectory(_ path: String) throws {}

    /// Loses power: every file keeps its synced bytes plus some version of its unsynced writes.
    func crash(_ mode: CrashMode, rng: inout some RandomNumberGenerator) {
        state.withLock { s in
            for (path, var f) in s.files {
                var image = f.durable
                for w in f.pending {
                    var bytes = w.bytes
                    switch mode {
                    case .dropAll: continue
                    case .keepSome: if Bool.random(using: &rng) { continue }
                    case .tear512, .tear4096:
                        let unit = mode == .tear512 ? 512 : 4096
                        let keep = Int.random(in: 0...(bytes.count / unit), using: &rng) * unit
                        bytes = Array(bytes.prefix(keep))
                    case .garble:
                        if Bool.random(using: &rng) {
                            for i in bytes.indices where Int.random(in: 0..<4, using: &rng) == 0 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
                        }
                    }
                    if image.count < w.offset + bytes.count { image += [UInt8](repeating: 0, count: w.offset + bytes.count - image.count) }
                    image.replaceSubrange(w.offset..<(w.offset + bytes.count), with: bytes)
                }
                f.durable = image
                f.current = image
                f.pending = []
                s.files[path] = f
            }
            s.handles = [:]
        }
    }

    /// Direct access for damage tests.
    func mutate(_ path: String, _ body: (inout [UInt8]) -> Void) {
        state.withLock { s in
            guard var f = s.files[path] else { return }
            body(&f.current)
            f.durable = f.current
            s.files[path] = f
        }
    }

    func bytes(_ path: String) -> [UInt8] { state.withLock { $0.files[path]?.current ?? [] } }
}
