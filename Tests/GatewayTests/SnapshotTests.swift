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

    @Test("random engine states (empty windows, infinities, extreme values) round-trip byte for byte and carry on identically", arguments: 0..<12)
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
            let restored = try #require(try EngineSnapshot.decode(bytes))
            #expect(try restored.encode() == bytes)
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

    @Test("a window that only ever saw estimates (no valid reading, so no extremes: nothing infinite is written) saves and restores")
    func infiniteWindowBounds() throws {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        for seq in 0..<5 {
            let payload = "{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + seq * 1000),\"temperature\":80,\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/stuck/temperature", payload: Array(payload.utf8), receivedAt: 1_795_660_000_000 + Int64(seq) * 1000, into: &out)
        }
        engine.tick(now: 1_795_660_010_000, into: &out)
        let bytes = try EngineSnapshot(inputFrom: 1, publicationsThrough: 0, engine: engine, pending: []).encode()
        #expect(!String(decoding: bytes, as: UTF8.self).contains("inf"))
        let restored = try #require(try EngineSnapshot.decode(bytes))
        #expect(try restored.encode() == bytes)
    }

    @Test("a snapshot is one header line and one line per sensor; another version is ignored, a short file is damaged")
    func lineFormat() throws {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        var rng = SplitMix64(seed: 11)
        var clock: Int64 = 1_795_660_000_000
        var seqs = [UInt64](repeating: 0, count: 4)
        Self.feed(&engine, steps: 200, rng: &rng, clock: &clock, seqs: &seqs, into: &out)
        let bytes = try EngineSnapshot(inputFrom: 3, publicationsThrough: 2, engine: engine, pending: []).encode()
        let lines = bytes.split(separator: 0x0A)
        #expect(lines.count == engine.sensorCount + 1)
        #expect(engine.sensorCount > 1)

        let older = Array(
            String(decoding: lines[0], as: UTF8.self).replacingOccurrences(
                of: "\"version\":\(EngineSnapshot.version)", with: "\"version\":\(EngineSnapshot.version - 1)"
            ).utf8)
        #expect(try EngineSnapshot.decode(older + [0x0A] + Array(bytes.drop { $0 != 0x0A }.dropFirst())) == nil)

        let truncated = Array(lines.dropLast().joined(separator: [0x0A]))
        #expect(throws: SnapshotError.self) { try EngineSnapshot.decode(truncated) }
    }
}
