import DeterministicRandom
import Foundation
import Recovery
import Testing
@testable import Gateway

/// Engine snapshots must save whatever the readings were: a snapshot that cannot be written is
/// a journal that can never forget its input.
@Suite("Engine snapshots")
struct SnapshotTests {
    /// A random but reproducible stream: a few sensors, seq jumps, restarts, duplicates,
    /// out-of-range and extreme values, odd timestamps, corrupt payloads and ticks.
    static func feed(
        _ engine: inout RecoveryEngine, steps: Int, rng: inout SplitMix64, clock: inout Int64, seqs: inout [UInt64],
        into out: inout [Publication]
    ) {
        let extremes: [Double] = [-1e308, 1e308, -40, 85.5, 0, 49.999, 55.001, 52, 1e-300]
        for _ in 0..<steps {
            clock += Int64(rng.next() % 700)
            let sensor = Int(rng.next() % UInt64(seqs.count))
            switch rng.next() % 20 {
            case 0:
                engine.tick(now: clock, into: &out)
                continue
            case 1: seqs[sensor] += 1 + rng.next() % 900
            case 2: seqs[sensor] = 0
            case 3: break  // a duplicate
            default: seqs[sensor] += 1
            }
            let temperature = rng.next() % 4 == 0 ? extremes[Int(rng.next() % UInt64(extremes.count))] : 50 + 5 * rng.nextUnit()
            let ts: Int64 =
                switch rng.next() % 10 {
                case 0: 253_402_300_799_999
                case 1: -86_400_000
                default: 1_795_660_000_000 + Int64(seqs[sensor]) * 1000
                }
            let payload = rng.next() % 25 == 0 ? "{\"seq\":" : "{\"seq\":\(seqs[sensor]),\"ts\":\(ts),\"temperature\":\(temperature),\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/p\(sensor)/temperature", payload: Array(payload.utf8), receivedAt: clock, into: &out)
        }
    }

    /// The snapshot's state as JSON with sorted keys: equal for equal states, whatever order a
    /// dictionary happened to encode its entries in.
    static func canonical(_ s: EngineSnapshot) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header = EngineSnapshot.Header(
            inputFrom: s.inputFrom, publicationsThrough: s.publicationsThrough, pending: s.pending, engine: s.engine.snapshotHeader)
        var text = String(decoding: try encoder.encode(header), as: UTF8.self)
        for i in 0..<s.engine.sensorCount {
            text += "\n" + String(decoding: try encoder.encode(s.engine.sensorSnapshot(at: i)), as: UTF8.self)
        }
        return text
    }

    @Test("random engine states (empty windows, infinities, extreme values) round-trip to the same state and carry on identically", arguments: 0..<12)
    func roundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var configuration = EngineConfiguration()
        configuration.aggregateWindowMs = [1000, 5000, 60_000][Int(rng.next() % 3)]
        configuration.fill = FillMethod.allCases[Int(rng.next() % 3)]
        configuration.maxFill = [5, 50, 600][Int(rng.next() % 3)]
        configuration.reorderWindowMs = [0, 300, 2000][Int(rng.next() % 3)]
        var engine = RecoveryEngine(configuration: configuration)
        var clock: Int64 = 1_795_660_000_000
        var seqs = [UInt64](repeating: 0, count: 1 + Int(rng.next() % 6))
        var out: [Publication] = []
        for _ in 0..<4 {
            Self.feed(&engine, steps: 300, rng: &rng, clock: &clock, seqs: &seqs, into: &out)
            let snapshot = EngineSnapshot(inputFrom: 7, publicationsThrough: 5, engine: engine, pending: Array(out.suffix(3)))
            let bytes = try snapshot.encode()
            let restored = try EngineSnapshot.decode(bytes)
            #expect(try Self.canonical(restored) == Self.canonical(snapshot))
            #expect(restored.pending == snapshot.pending)

            // The restored engine must behave exactly like the original from here on.
            var original = engine, copy = restored.engine
            var rngA = rng, rngB = rng
            var clockA = clock, clockB = clock
            var seqsA = seqs, seqsB = seqs
            var outA: [Publication] = [], outB: [Publication] = []
            Self.feed(&original, steps: 200, rng: &rngA, clock: &clockA, seqs: &seqsA, into: &outA)
            Self.feed(&copy, steps: 200, rng: &rngB, clock: &clockB, seqs: &seqsB, into: &outB)
            #expect(outA == outB)
        }
    }

    @Test("a window that only ever saw estimates (no valid reading, so infinite extremes) saves and restores")
    func infiniteWindowBounds() throws {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        for seq in 0..<5 {
            let payload = "{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + seq * 1000),\"temperature\":80,\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/stuck/temperature", payload: Array(payload.utf8), receivedAt: 1_795_660_000_000 + Int64(seq) * 1000, into: &out)
        }
        engine.tick(now: 1_795_660_010_000, into: &out)
        let snapshot = EngineSnapshot(inputFrom: 1, publicationsThrough: 0, engine: engine, pending: [])
        let restored = try EngineSnapshot.decode(try snapshot.encode())
        #expect(try Self.canonical(restored) == Self.canonical(snapshot))
    }

    /// The frame bodies of an encoded snapshot, by their length fields.
    static func frameRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = EngineSnapshot.mark.count + 4
        while at + EngineSnapshot.frameHeaderSize <= bytes.count {
            let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            ranges.append((at + EngineSnapshot.frameHeaderSize)..<(at + EngineSnapshot.frameHeaderSize + length))
            at += EngineSnapshot.frameHeaderSize + length
        }
        return ranges
    }

    /// How decoding failed: "other version", "damaged", or nil when it did not.
    static func failure(_ body: () throws -> EngineSnapshot) -> String? {
        do {
            _ = try body()
            return nil
        } catch SnapshotError.otherVersion {
            return "other version"
        } catch SnapshotError.damaged {
            return "damaged"
        } catch {
            return "\(error)"
        }
    }

    @Test("a snapshot is a mark, a header frame and a frame per sensor; another version or a JSON one is ignored; damage is reported")
    func frameFormat() throws {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        var rng = SplitMix64(seed: 11)
        var clock: Int64 = 1_795_660_000_000
        var seqs = [UInt64](repeating: 0, count: 4)
        Self.feed(&engine, steps: 200, rng: &rng, clock: &clock, seqs: &seqs, into: &out)
        let bytes = try EngineSnapshot(inputFrom: 3, publicationsThrough: 2, engine: engine, pending: []).encode()
        #expect(bytes.starts(with: Array("SGES".utf8)))
        let frames = Self.frameRanges(bytes)
        #expect(frames.count == engine.sensorCount + 1)
        #expect(frames.last?.upperBound == bytes.count)
        #expect(engine.sensorCount > 1)

        // Another version, and the JSON Lines of version 4 and earlier: rebuilt from the journal.
        var other = bytes
        other[4] = UInt8(EngineSnapshot.version + 1)
        #expect(Self.failure { try EngineSnapshot.decode(other) } == "other version")
        #expect(Self.failure { try EngineSnapshot.decode(Array("{\"version\":4,\"inputFrom\":1}\n".utf8)) } == "other version")

        // A missing sensor, a cut frame, a flipped bit, a foreign file: damaged, never a trap.
        let lastSensorAt = frames[frames.count - 1].lowerBound - EngineSnapshot.frameHeaderSize
        #expect(Self.failure { try EngineSnapshot.decode(Array(bytes[0..<lastSensorAt])) } == "damaged")
        #expect(Self.failure { try EngineSnapshot.decode(Array(bytes.dropLast(3))) } == "damaged")
        var flipped = bytes
        flipped[frames[1].lowerBound + frames[1].count / 2] ^= 0x10
        #expect(Self.failure { try EngineSnapshot.decode(flipped) } == "damaged")
        #expect(Self.failure { try EngineSnapshot.decode(Array("not a snapshot".utf8)) } == "damaged")
        #expect(Self.failure { try EngineSnapshot.decode([]) } == "damaged")
    }
}
