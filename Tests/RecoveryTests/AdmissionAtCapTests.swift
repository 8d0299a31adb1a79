import Foundation
import Testing
@testable import Recovery

/// At the `max-sensors` cap, a new id takes the place of a sensor silent for a minute, so a flood
/// of one-shot ids cannot lock real sensors out until the retention period ends.
@Suite("Admission at the max-sensors cap")
struct AdmissionAtCapTests {
    static func harness(maxSensors: Int) -> Harness {
        Harness {
            $0.maxSensors = maxSensors
            $0.sensorRetentionMs = 86_400_000
        }
    }

    static func expiredTopics(_ log: [Publication]) -> [String] {
        log.filter { $0.kind == .sensorState && $0.json["state"] as? String == "expired" }.map(\.topic)
    }

    @Test("a new id is refused while every tracked sensor was heard from within a minute, then replaces the longest-silent one")
    func silentSensorMakesRoom() {
        var h = Self.harness(maxSensors: 3)
        let start = h.now
        for s in 1...3 {
            h.send("s\(s)", seq: 0, at: start + Int64(s))
            h.send("s\(s)", seq: 1, at: start + 1000 + Int64(s))  // heard twice: a period is known
        }
        h.send("late", seq: 0, at: start + 30_000)
        #expect(h.log.last?.reason == "too_many_sensors")

        h.log.removeAll()
        h.send("s1", seq: 2, at: start + 40_000)  // s1 spoke again: s2 is now the longest silent
        h.send("late", seq: 0, at: start + 61_002)
        #expect(Self.expiredTopics(h.log) == ["gateway/gw/sensors/s2"])
        #expect(!h.log.contains { $0.reason == "too_many_sensors" })
        #expect(h.engine.counters.evicted == 1)
        #expect(Set(h.engine.summaries.map(\.sensorID)) == ["s1", "s3", "late"])
        // The evicted sensor's readings came out before its notice, in its aggregate window.
        #expect(h.log.contains { $0.kind == .aggregate && $0.topic.contains("/s2/") })

        // The newcomer is an ordinary sensor; the evicted one, back, starts afresh in turn.
        h.log.removeAll()
        h.send("late", seq: 1, at: start + 62_000)
        h.advance(5_000)
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/late/temperature" }.compactMap(\.seq) == [0, 1])
        h.send("s2", seq: 3, at: h.now + 60_000)
        #expect(Self.expiredTopics(h.log) == ["gateway/gw/sensors/s3"])
    }

    @Test("sensors silent for over a minute, heard from after they were queued, are replaced at the cap (found black-box: none was, 25 new ids refused)")
    func silentBehindNewer() {
        var h = Harness { $0.maxSensors = 10 }
        for s in 0..<5 { for seq in 0..<5 { h.send("slow-\(s)", seq: seq, at: h.now + 100) } }
        for _ in 0..<65 { h.advance(1000) }
        for n in 0..<30 { h.send("new-\(n)", seq: 0, at: h.now + 50) }
        #expect(h.engine.counters.evicted >= 5, "the five sensors silent for 65 s")
        #expect(h.log.of(.deadLetter).count <= 20)
    }

    @Test("an id heard from only once makes room after two reorder windows (at least 5 s), once its reading is out")
    func oneShotMakesRoomSooner() {
        var h = Self.harness(maxSensors: 3)
        let start = h.now
        for s in 1...3 { h.send("once-\(s)", seq: 0, at: start + Int64(s)) }
        h.send("new", seq: 0, at: start + 4_000)
        #expect(h.log.last?.reason == "too_many_sensors")
        h.log.removeAll()
        h.send("new", seq: 0, at: start + 5_002)
        #expect(Self.expiredTopics(h.log) == ["gateway/gw/sensors/once-1"])
        // once-1's one reading (held: no tick ran) was published as it went.
        #expect(h.log.cleaned.contains { $0.topic == "cleaned/once-1/temperature" })
        #expect(h.engine.counters.evicted == 1)
    }

    @Test("beside a flood of 5,000 one-shot ids at a cap of 100, a real fleet arriving later is admitted within a minute and published complete")
    func floodDoesNotLockOutTheFleet() {
        var h = Self.harness(maxSensors: 100)
        let start = h.now
        for n in 0..<5_000 { h.send("flood-\(n)", seq: 0, at: start + Int64(n)) }
        #expect(h.engine.sensorCount == 100)
        // Real sensors start 10 s later and send every second; refused at first, then admitted.
        h.log.removeAll()
        for second in 0..<120 {
            let t = start + 10_000 + Int64(second) * 1000
            for s in 0..<10 { h.send("real-\(s)", seq: second, at: t + Int64(s)) }
            h.advance(0)
        }
        h.advance(10_000)
        for s in 0..<10 {
            let published = h.log.cleaned.filter { $0.topic == "cleaned/real-\(s)/temperature" }.compactMap(\.seq)
            #expect(!published.isEmpty)
            // From its admission on, every reading: ordered, none missing, none filled.
            if let first = published.first {
                #expect(published == Array(first..<120), "real-\(s) published \(published.prefix(5))…")
                #expect(first <= 62, "real-\(s) admitted only at seq \(first)")
            }
        }
        #expect(h.engine.counters.evicted >= 10)
        #expect(h.engine.sensorCount == 100)
    }

    @Test("a restored engine evicts the same sensors as the original (the queue is in the snapshot)")
    func sameEvictionsAfterRestore() throws {
        var c = EngineConfiguration()
        c.maxSensors = 20
        c.sensorRetentionMs = 86_400_000
        var steps: [(String, Int64)] = []
        var t: Int64 = 1_000_000
        for n in 0..<900 {
            t += 500
            // Five steady sensors heard every 7.5 s (their queue entries go stale), and 97 ids
            // each back every 72 s, through 20 places.
            steps.append((n % 3 == 0 ? "steady-\((n / 3) % 5)" : "id-\(n % 97)", t))
        }
        func run(_ slice: ArraySlice<(String, Int64)>, _ engine: inout RecoveryEngine) -> [Publication] {
            var out: [Publication] = []
            for (n, (id, at)) in zip(slice.indices, slice) {
                let payload = Array("{\"seq\":\(n),\"ts\":\(1_795_660_000_000 + Int64(n) * 1000),\"temperature\":52,\"status\":\"normal\"}".utf8)
                engine.ingest(topic: "sensors/\(id)/temperature", payload: payload, receivedAt: at, into: &out)
                engine.tick(now: at, into: &out)
            }
            return out
        }
        var a = RecoveryEngine(configuration: c)
        let whole = run(steps[...], &a)
        var b = RecoveryEngine(configuration: c)
        var split = run(steps[..<500], &b)
        let header = try JSONDecoder().decode(RecoveryEngine.SnapshotHeader.self, from: JSONEncoder().encode(b.snapshotHeader))
        let sensors = try (0..<b.sensorCount).map {
            try JSONDecoder().decode(RecoveryEngine.SensorSnapshot.self, from: JSONEncoder().encode(b.sensorSnapshot(at: $0)))
        }
        var restored = RecoveryEngine(header: header, sensors: sensors)
        split += run(steps[500...], &restored)
        #expect(a.counters.evicted > 20)
        let firstDifference =
            zip(whole, split).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? (whole.count == split.count ? nil : min(whole.count, split.count))
        #expect(firstDifference == nil, "the restored engine's output differs from publication \(firstDifference ?? -1) on")
        #expect(restored.counters == a.counters)
    }
}
