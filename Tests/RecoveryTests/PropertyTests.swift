import Foundation
import DeterministicRandom
import Testing
@testable import Recovery

/// Random streams with every kind of fault; the contract's guarantees must hold for all of them.
@Suite("Recovery engine properties over random streams")
struct PropertyTests {
    /// One scripted message or tick.
    enum Step {
        case message(topic: String, payload: [UInt8], at: Int64)
        case tick(Int64)
    }

    /// A fleet of sensors with gaps, duplicates, reordering, corruption, restarts and late data.
    static func stream(seed: UInt64, sensors: Int = 6, readings: Int = 400) -> [Step] {
        var rng = SplitMix64(seed: seed)
        func chance(_ p: Double) -> Bool { rng.nextUnit() < p }
        var pending: [(at: Int64, topic: String, payload: [UInt8])] = []
        let start: Int64 = 1_000_000
        for s in 0..<sensors {
            var seq = UInt64(rng.next() % 50)
            var boot = 1
            var t = start + Int64(s) * 37
            for _ in 0..<readings {
                t += 200
                if chance(0.01) { boot += 1; seq = UInt64(rng.next() % 3) }
                let temperature = chance(0.05) ? 80.0 : 50 + Double(rng.next() % 500) / 100
                let body = "{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + Int64(t)),\"temperature\":\(temperature),\"status\":\"normal\",\"boot\":\(boot)}"
                var payload = Array(body.utf8)
                if chance(0.01) { payload = Array(payload.prefix(payload.count / 2)) }
                let topic = "sensors/sensor-\(s)/temperature"
                if !chance(0.10) {
                    var at = t
                    if chance(0.02) { at += 50 + Int64(rng.next() % 1500) }  // reordered within the window
                    if chance(0.01) { at += 3000 + Int64(rng.next() % 20_000) }  // late: after the window
                    pending.append((at, topic, payload))
                    if chance(0.01) { pending.append((at + 10, topic, payload)) }  // duplicate
                }
                seq += 1
            }
        }
        pending.sort { ($0.at, $0.topic) < ($1.at, $1.topic) }
        var steps: [Step] = []
        var nextTick = start
        for p in pending {
            while nextTick <= p.at {
                steps.append(.tick(nextTick))
                nextTick += 250
            }
            steps.append(.message(topic: p.topic, payload: p.payload, at: p.at))
        }
        for _ in 0..<200 {
            steps.append(.tick(nextTick))
            nextTick += 250
        }
        return steps
    }

    static func run(_ steps: ArraySlice<Step>, on engine: inout RecoveryEngine) -> [Publication] {
        var out: [Publication] = []
        for step in steps {
            switch step {
            case .message(let topic, let payload, let at): engine.ingest(topic: topic, payload: payload, receivedAt: at, into: &out)
            case .tick(let now): engine.tick(now: now, into: &out)
            }
        }
        return out
    }

    static func configuration() -> EngineConfiguration {
        var c = EngineConfiguration()
        c.maxFill = 40
        return c
    }

    @Test("output is ordered, covers each seq once, keeps estimates in range, and restates at most once", arguments: [UInt64(1), 2, 3, 4, 5])
    func invariants(seed: UInt64) throws {
        var engine = RecoveryEngine(configuration: Self.configuration())
        let out = Self.run(Self.stream(seed: seed)[...], on: &engine)
        var covered: [String: [UInt64]] = [:]
        var restated: [String: Set<UInt64>] = [:]
        for p in out where p.kind == .cleaned {
            let j = p.json
            let key = "\(j["sensor_id"]!)/\(j["boot"] ?? "-")"
            let quality = try #require(j["quality"] as? String)
            let seq = try #require((j["seq"] as? NSNumber)?.uint64Value)
            switch quality {
            case "restated":
                #expect(restated[key, default: []].insert(seq).inserted, "restated twice: \(key) \(seq)")
            case "gap":
                let from = (j["from_seq"] as! NSNumber).uint64Value, to = (j["to_seq"] as! NSNumber).uint64Value
                covered[key, default: []].append(contentsOf: from...to)
            default:
                if quality != "ok" {
                    let v = try #require((j["temperature"] as? NSNumber)?.doubleValue)
                    #expect((50...55).contains(v), "\(quality) value \(v) out of range")
                }
                covered[key, default: []].append(seq)
            }
        }
        #expect(!covered.isEmpty)
        for (key, seqs) in covered {
            #expect(seqs == Array(seqs.first!...seqs.last!), "\(key): not each seq exactly once, in order")
        }
        for (key, seqs) in restated {
            #expect(seqs.allSatisfy { covered[key]?.contains($0) == true }, "restated a seq never published")
        }
    }

    @Test("the same input gives byte-identical output, also when restored from a snapshot midway", arguments: [UInt64(7), 8, 9])
    func determinismAndSnapshots(seed: UInt64) throws {
        let steps = Self.stream(seed: seed)
        var a = RecoveryEngine(configuration: Self.configuration())
        let whole = Self.run(steps[...], on: &a)

        var b = RecoveryEngine(configuration: Self.configuration())
        let cut = steps.count / 2 + Int(seed)
        var split = Self.run(steps[..<cut], on: &b)
        var restored = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(b))
        split += Self.run(steps[cut...], on: &restored)

        #expect(whole.count > 1000)
        #expect(whole == split)
        #expect(a.counters == restored.counters)
    }

    @Test("forgetting idle sensors is deterministic too: a restore between sweeps expires the same sensors at the same tick")
    func expiryAcrossRestore() throws {
        var c = Self.configuration()
        c.sensorRetentionMs = 20_000
        let steps = Self.stream(seed: 12)
        var a = RecoveryEngine(configuration: c)
        let whole = Self.run(steps[...], on: &a)

        var b = RecoveryEngine(configuration: c)
        let cut = steps.count - 120  // in the silent tail: after some sweeps, before the expiry
        var split = Self.run(steps[..<cut], on: &b)
        var restored = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(b))
        split += Self.run(steps[cut...], on: &restored)

        let expired = whole.filter { $0.kind == .sensorState && String(decoding: $0.payload, as: UTF8.self).contains("\"expired\"") }
        #expect(expired.count == 6)
        #expect(whole == split)
        #expect(restored.counters.expired == 6)
        #expect(restored.sensorCount == 0)
    }

    @Test("memory stays bounded: state does not grow with the length of the stream")
    func boundedState() throws {
        var engine = RecoveryEngine(configuration: Self.configuration())
        var sizes: [Int] = []
        let steps = Self.stream(seed: 11, sensors: 3, readings: 3000)
        for chunk in stride(from: 0, to: steps.count, by: steps.count / 4) {
            _ = Self.run(steps[chunk..<min(chunk + steps.count / 4, steps.count)], on: &engine)
            sizes.append(try JSONEncoder().encode(engine).count)
        }
        // The late horizon (1 h) exceeds this stream, so history grows with fills; bound it loosely:
        // the last quarter may not cost more than twice the first.
        #expect(sizes.last! < sizes.first! * 2 + 100_000, "\(sizes)")
    }
}

@Suite("Period estimator")
struct PeriodEstimatorTests {
    @Test("the median sorted on the stack is the middle of the sorted values, for every count up to the capacity")
    func medianMatchesSorted() {
        var rng = SplitMix64(seed: 11)
        for count in 1...PeriodEstimator.capacity {
            for _ in 0..<50 {
                let values = (0..<count).map { _ in Int64(rng.next() % 5000) }
                #expect(PeriodEstimator.median(of: values) == values.sorted()[count / 2], "\(values)")
            }
        }
    }

    @Test(
        "readings delivered bunched (a backlog, a queue, a burst of answers: receipts milliseconds apart, their own ts seconds apart) do not teach a period; a batching sensor's rhythm is its batches'"
    )
    func bunchedDeliveriesNotLearnt() {
        var p = PeriodEstimator()
        var ts: Int64 = 1_795_660_000_000
        var now: Int64 = 0
        for _ in 0..<16 {
            ts += 1000
            now += 1000
            p.observe(now, ts: ts)
        }
        #expect(p.period == 1000)
        // A restart's backlog: 40 readings 1 s apart by their ts, read 2 ms apart.
        for _ in 0..<40 {
            ts += 1000
            now += 2
            p.observe(now, ts: ts)
        }
        #expect(p.period == 1000)
        // Copies and answers carrying earlier ts than the last are judged the same way.
        p.observe(now + 1000, ts: ts - 30_000)
        #expect(p.period == 1000)
        // A new stream's first two readings, swapped 1 ms apart: no period (found black-box,
        // 44th review: a 1 ms period, stale after two reorder windows).
        var swapped = PeriodEstimator()
        swapped.observe(0, ts: ts)
        swapped.observe(1, ts: ts - 4000)
        #expect(swapped.period == nil)
        // A stream read bunched (no period), then a late message 3 s after the last, stamped
        // 10 s before it: no 3 s period (found black-box, 72nd review: stale 3 s later).
        var late = PeriodEstimator()
        late.observe(0, ts: ts)
        late.observe(100, ts: ts + 2000)
        late.observe(3100, ts: ts - 8000)
        #expect(late.period == nil)
        // A sensor that sends a batch of 10 readings (1 s apart by ts) every 10 s.
        var batching = PeriodEstimator()
        for batch in 0..<20 {
            for i in 0..<10 { batching.observe(Int64(batch) * 10_000 + Int64(i), ts: ts + Int64(batch * 10 + i) * 1000) }
        }
        #expect(batching.period.map { $0 >= 9_000 } == true, "\(String(describing: batching.period))")
    }
}
