import DeterministicRandom

extension FaultyFileSystem {
    /// A process kill: handles go, the page cache (written, unsynced bytes) stays.
    public func kill() { state.withLock { $0.handles = [:] } }

    /// A power cut: every file keeps its synced bytes plus some version of its unsynced writes.
    public func powerCut(_ mode: PowerCut, rng: inout SplitMix64) {
        state.withLock { s in
            for path in s.files.keys.sorted() {
                guard var f = s.files[path] else { continue }
                var image = f.durable
                for w in f.pending {
                    var bytes = w.bytes
                    switch mode {
                    case .dropAll: continue
                    case .keepSome: if rng.next() & 1 == 0 { continue }
                    case .tear512, .tear4096:
                        let unit = mode == .tear512 ? 512 : 4096
                        let keep = Int(rng.next() % UInt64(bytes.count / unit + 1)) * unit
                        bytes = Array(bytes.prefix(keep))
                    case .garble:
                        if rng.next() & 1 == 0 {
                            for i in bytes.indices where rng.next() % 4 == 0 { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
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

    /// Damage at rest: XORs `mask` into the byte at `offset` (durably).
    public func flip(_ path: String, at offset: Int, mask: UInt8) {
        mutate(path) { bytes in
            if offset < bytes.count { bytes[offset] ^= mask }
        }
    }

    /// Damage at rest: makes the file `size` bytes long (cut, or grown with the byte `fill`).
    public func resize(_ path: String, to size: Int, fill: UInt8 = 0) {
        mutate(path) { bytes in
            if size < bytes.count { bytes.removeLast(bytes.count - size) } else { bytes += [UInt8](repeating: fill, count: size - bytes.count) }
        }
    }

    /// Changes a file's bytes durably (damage tests and the world's at-rest faults).
    public func mutate(_ path: String, _ body: (inout [UInt8]) -> Void) {
        state.withLock { s in
            guard var f = s.files[path] else { return }
            body(&f.current)
            f.durable = f.current
            f.pending = []
            s.files[path] = f
        }
    }

    /// A file's current bytes (empty when it does not exist).
    public func bytes(_ path: String) -> [UInt8] { state.withLock { $0.files[path]?.current ?? [] } }

    /// The files' paths, sorted.
    public var paths: [String] { state.withLock { $0.files.keys.sorted() } }
}
