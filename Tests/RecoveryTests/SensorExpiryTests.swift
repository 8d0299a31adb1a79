import Foundation
import Testing
@testable import Recovery

/// Idle sensors are forgotten after the retention period, so the tracked count comes down again.
@Suite("Idle sensors expire")
struct SensorExpiryTests {
    static let retention: Int64 = 3_600_000

    static func harness(maxSensors: Int? = nil) -> Harness {
        Harness {
            $0.sensorRetentionMs = retention
            $0.maxSensors = maxSensors
        }
    }

    @Test("the published totals count every cleaned message and resend request, and do not fall when sensors are forgotten")
    func totalsOutliveSensors() throws {
        var h = Self.harness()
        h.send("a", seq: 0)
        h.advance(3000)
        h.send("a", seq: 1, temp: 70)  // corrected
        h.send("a", seq: 3)  // 2 missing: a resend request, then a synthetic reading
        h.advance(3000)
        h.send("b", seq: 0)
        h.advance(3000)
        let cleaned = h.log.cleaned
        let before = h.engine.counters.output
        for quality in [Quality.ok, .corrected, .synthetic, .restated, .gap] {
            #expect(before.cleaned(quality) == cleaned.filter { $0.quality == quality.rawValue }.count, "\(quality)")
        }
        #expect(before.ok == 3 && before.corrected == 1 && before.synthetic == 1)
        #expect(before.resendRequests == h.log.of(.resendRequest).count && before.resendRequests > 0)
        h.run(for: Self.retention + 60_000)
        #expect(h.engine.sensorCount == 0)
        let after = h.engine.counters.output
        for quality in [Quality.ok, .corrected, .synthetic, .restated, .gap] {
            #expect(after.cleaned(quality) == before.cleaned(quality), "\(quality) after both sensors expired")
        }
        // Going stale on the way asked each sensor once more (open-ended): counted, not lost.
        #expect(after.resendRequests == h.log.of(.resendRequest).count && after.resendRequests > before.resendRequests)
        // And they survive a snapshot.
        let restored = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(h.engine))
        #expect(restored.counters.output == after)
    }

    @Test("silent sensors are announced expired (retained), their open windows published, and their room comes back under max-sensors")
    func floodAgesOut() {
        var h = Self.harness(maxSensors: 3)
        for s in 1...3 { h.send("s\(s)", seq: 0) }
        h.send("s4", seq: 0)
        #expect(h.log.last?.reason == "too_many_sensors")
        h.advance(3000)
        #expect(h.engine.sensorCount == 3)
        // The engine asks to be woken for the sweep even though nothing else is due.
        var engine = h.engine
        let wake = engine.nextDeadline()
        #expect(wake != nil && wake! <= h.now + Self.retention + 60_000)

        h.log.removeAll()
        h.run(for: Self.retention + 60_000)
        let states = h.log.filter { $0.kind == .sensorState }
        // A sensor heard once is never stale (a flood of one-shot ids would each cost a request):
        // expired is the only notice.
        let expired = states.filter { $0.json["state"] as? String == "expired" }
        #expect(states.count == 3)
        #expect(expired.map(\.topic).sorted() == (1...3).map { "gateway/gw/sensors/s\($0)" })
        #expect(expired.allSatisfy { $0.retain && $0.json["last_seq"] as? Int == 0 })
        // The one reading each sensor sent is in a window no later reading closed: published now.
        let aggregates = h.log.filter { $0.kind == .aggregate }
        #expect(aggregates.count == 3)
        #expect(aggregates.allSatisfy { $0.json["count"] as? Int == 1 && $0.json["ok"] as? Int == 1 })
        #expect(h.engine.sensorCount == 0)
        #expect(h.engine.counters.expired == 3)

        // A new id is tracked again, and a returning sensor starts afresh.
        h.log.removeAll()
        h.send("s4", seq: 0)
        h.send("s1", seq: 7)
        #expect(h.log.allSatisfy { $0.reason == nil })
        #expect(h.engine.sensorCount == 2)
    }

    @Test("a sensor that keeps sending is never expired, and what a sensor still holds is published before it goes")
    func activeSensorsStay() {
        var h = Self.harness()
        h.send("quiet", seq: 0)
        h.send("quiet", seq: 2)  // seq 1 missing: held, waiting
        var seq = 0
        var t = h.now
        let end = t + Self.retention + 120_000
        while t < end {
            t += 1000
            h.send("busy", seq: seq, at: t)
            seq += 1
            if seq % 50 == 0 { h.advance(0) }
        }
        h.advance(1000)
        let expired = h.log.filter { $0.kind == .sensorState && $0.json["state"] as? String == "expired" }
        #expect(expired.map(\.topic) == ["gateway/gw/sensors/quiet"])
        #expect(h.engine.summaries.map(\.sensorID) == ["busy"])
        // quiet's seq 1 was filled and seq 2 published, in order, before the expiry notice.
        let quiet = h.log.filter { $0.topic == "cleaned/quiet/temperature" }
        #expect(quiet.compactMap(\.seq) == [0, 1, 2])
        let expiryIndex = h.log.firstIndex { $0.kind == .sensorState && $0.json["state"] as? String == "expired" }!
        #expect(h.log.lastIndex { $0.topic == "cleaned/quiet/temperature" }! < expiryIndex)
    }

    @Test("no retention keeps sensors for ever")
    func noRetention() {
        var h = Harness()
        h.send(seq: 0)
        h.advance(30 * 86_400_000)
        #expect(h.engine.sensorCount == 1)
        #expect(h.engine.counters.expired == 0)
    }
}
