import DeterministicRandom
import Foundation
import Journal
import Recovery
import Testing
import TestSupport
@testable import Gateway

/// A damaged engine snapshot far larger than any real one is refused at its first bad frame,
/// having read little past the sound ones (found black-box, 55th review: a 2 GB damaged
/// snapshot was read whole before its checksum failed, holding the start and its SIGTERM).
@Suite("Large damaged engine snapshots")
struct DamagedLargeSnapshotTests {
    static let size = 2 << 30

    /// A sound snapshot of a few sensors.
    static func sound() throws -> [UInt8] {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        var rng = SplitMix64(seed: 5)
        var clock: Int64 = 1_795_660_000_000
        var seqs = [UInt64](repeating: 0, count: 6)
        SnapshotTests.feed(&engine, steps: 300, rng: &rng, clock: &clock, seqs: &seqs, into: &out)
        return try EngineSnapshot(inputFrom: 3, publicationsThrough: 2, engine: engine, pending: []).encode()
    }

    /// What follows the sound snapshot in a file of `size` bytes.
    enum Tail: CaseIterable, CustomStringConvertible {
        case zeros, noise, hugeClaim
        var description: String {
            switch self {
            case .zeros: "zeros"
            case .noise: "noise"
            case .hugeClaim: "a frame claiming a gigabyte"
            }
        }
    }

    /// The bytes at `offset..<offset+count` of the sound snapshot followed by `tail`.
    static func bytes(_ sound: [UInt8], _ tail: Tail, offset: Int, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var at = offset
        while at < offset + count, at < sound.count {
            out.append(sound[at])
            at += 1
        }
        switch tail {
        case .zeros:
            out += [UInt8](repeating: 0, count: offset + count - at)
        case .hugeClaim:
            // A frame header claiming 1 GiB (beyond any real frame), then zeros.
            let claim: [UInt8] = [0, 0, 0, 0x40, 1, 2, 3, 4]
            while at < offset + count {
                out.append(at - sound.count < claim.count ? claim[at - sound.count] : 0)
                at += 1
            }
        case .noise:
            // The same noise for the same offset, whatever the chunks asked for.
            while at < offset + count {
                var rng = SplitMix64(seed: UInt64(at / 8))
                let word = rng.next()
                out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(at % 8))))
                at += 1
            }
        }
        return out
    }

    @Test(
        "2 GB of zeros, of noise, or a frame claiming a gigabyte after a sound snapshot: damaged, read at most a chunk and a largest frame past it",
        arguments: Tail.allCases)
    func refusedEarly(tail: Tail) throws {
        let sound = try Self.sound()
        var read = 0
        var file = SnapshotFrames(size: Self.size) { offset, count in
            read += count
            return Self.bytes(sound, tail, offset: offset, count: count)
        }
        #expect(throws: SnapshotError.self) { try EngineSnapshot.decode(&file) }
        let limit = sound.count + SnapshotFrames.chunkBytes + (tail == .noise ? SnapshotFrames.maxFrameBytes : 0)
        #expect(read <= limit, "read \(read) bytes of \(Self.size)")
        // The same snapshot whole still reads: the bound is not a refusal of sound frames.
        var whole = SnapshotFrames(size: sound.count) { offset, count in Array(sound[offset..<(offset + count)]) }
        #expect(try EngineSnapshot.decode(&whole).engine.sensorCount == 6)
    }

    @Test("on disk: a sparse 2 GB file holding a sound snapshot and a hole is damaged, and counts as the snapshot's bytes for the wear advice")
    func onDisk() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("engine.snapshot")
        let sound = try Self.sound()
        try Data(sound).write(to: URL(fileURLWithPath: path))
        #expect(EngineSnapshot.soundBytes(path, fileSystem: POSIXFileSystem()) == sound.count)
        #expect(truncate(path, off_t(Self.size)) == 0)
        #expect(throws: SnapshotError.self) { try EngineSnapshot.load(path, fileSystem: POSIXFileSystem()) }
        #expect(EngineSnapshot.soundBytes(path, fileSystem: POSIXFileSystem()) == sound.count)
        #expect(EngineSnapshot.soundBytes(dir.file("none"), fileSystem: POSIXFileSystem()) == nil)
    }
}
