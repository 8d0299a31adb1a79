import Foundation
import Testing
@testable import Recovery

/// A gateway that was not running cannot tell a silent sensor from its own deafness: silence
/// counts from the first tick after it, so a restart after a long stop does not mark the whole
/// fleet stale before the broker's backlog is read (found black-box: every sensor flapped stale
/// and live, and each got an open-ended resend request).
@Suite("Staleness after the gateway was not listening")
struct StaleAfterDeafnessTests {
    static let sensors = ["a", "b", "c"]

    /// Three 1 Hz sensors, seqs 0-9, with the gateway ticking as it runs; stale after 5 s.
    static func heard() -> Harness {
        var h = Harness()
        for seq in 0..<10 {
            for id in sensors { h.send(id, seq: seq, at: 1_000_000 + Int64(seq) * 1000) }
            h.run(for: 0)
        }
        h.run(for: 1000)
        #expect(h.log.of(.sensorState).isEmpty && h.log.of(.resendRequest).isEmpty)
        return h
    }

    @Test("an hour without a tick, then the backlog: no sensor goes stale, none is asked to resend, the readings go on ok")
    func restartAfterAnHour() {
        var h = Self.heard()
        let hourLater = h.advance(3_600_000)
        #expect(hourLater.of(.sensorState).isEmpty, "\(hourLater.map(\.text))")
        #expect(hourLater.of(.resendRequest).isEmpty)
        // The broker hands over what it kept for the gateway meanwhile (here the next ten
        // each), then the sensors go on live.
        for seq in 10..<20 { for id in Self.sensors { h.send(id, seq: seq, at: h.now + 10) } }
        var after: [Publication] = []
        for seq in 20..<30 {
            for id in Self.sensors { h.send(id, seq: seq, at: h.now + 1000) }
            after += h.run(for: 0)
        }
        after += h.run(for: 2000)
        #expect(after.of(.sensorState).isEmpty, "\(after.map(\.text))")
        #expect(h.log.of(.resendRequest).isEmpty)
        #expect(h.log.summary.filter { !$0.hasSuffix(":ok") } == [])
        #expect(h.log.cleaned.count == 30 * Self.sensors.count)
    }

    @Test("a run's first tick an hour later says the connection is not up yet: once it is, a full stale time passes before a silent sensor goes stale")
    func restartNotConnectedYet() {
        var h = Self.heard()
        h.now += 3_600_000
        #expect(h.hear(false).isEmpty)
        h.now += 700
        #expect(h.hear(true).isEmpty)
        let back = h.now
        #expect(h.run(for: 4_900).of(.sensorState).isEmpty, "a stale time from \(back)")
        #expect(h.run(for: 200).of(.sensorState).count == Self.sensors.count)
    }

    @Test("a sensor with no backlog after the stop goes stale one stale time after the first tick, and is asked once, open-ended")
    func deadSensorStillGoesStale() {
        var h = Self.heard()
        h.advance(3_600_000)
        let resumed = h.now
        for seq in 10..<20 {
            for id in ["a", "b"] { h.send(id, seq: seq, at: h.now + 1000) }
            h.run(for: 0)
        }
        let states = h.log.of(.sensorState)
        #expect(states.map(\.topic) == ["gateway/gw/sensors/c"], "\(states.map(\.text))")
        #expect(states.first?.text == "{\"state\":\"stale\",\"last_seq\":9,\"last_seen\":1009000}")
        let requests = h.log.of(.resendRequest)
        #expect(requests.map(\.topic) == ["sensors/c/resend"])
        #expect(requests.first?.text == "{\"from_seq\":10,\"measurement\":\"temperature\"}")
        // Not before a stale time (5 s) after the first tick that found it silent.
        #expect(h.engine.summaries.first { $0.sensorID == "c" }?.stale == true)
        var early = Self.heard()
        early.advance(3_600_000)
        early.run(for: 4_000)
        #expect(early.log.of(.sensorState).isEmpty, "stale before \(resumed + 5000)")
    }

    @Test("a tick within a reorder window of the stale deadline (a running gateway, a short stall) marks the sensor stale at once")
    func punctualTickMarksStale() {
        var h = Self.heard()
        let deadline: Int64 = 1_009_000 + 5000
        h.advance(deadline + 2000 - h.now)  // the reorder window (2 s) late: still on time
        #expect(h.log.of(.sensorState).count == Self.sensors.count)
        #expect(h.log.of(.resendRequest).count == Self.sensors.count)
    }

    @Test("the deafness survives a snapshot: restored mid-wait, the sensor goes stale when the original would have")
    func survivesSnapshot() throws {
        var h = Self.heard()
        h.advance(3_600_000)
        var restored = h
        restored.engine = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(h.engine))
        let original = h.run(for: 10_000)
        let replayed = restored.run(for: 10_000)
        #expect(original.map(\.text) == replayed.map(\.text))
        #expect(original.of(.sensorState).count == Self.sensors.count)
    }

    @Test("the input connection down for a minute: no sensor goes stale meanwhile; back, only the time it was up counts as silence")
    func connectionDown() {
        var h = Self.heard()  // last readings at 1,009,000; stale after 5 s
        h.advance(500)  // 1.5 s of silence heard
        h.hear(false)
        let down = h.run(for: 60_000)
        #expect(down.of(.sensorState).isEmpty && down.of(.resendRequest).isEmpty)
        #expect(!h.engine.isListening)
        h.hear(true)
        let back = h.now
        #expect(h.run(for: 3_400).of(.sensorState).isEmpty, "3.5 s of the stale time were left at \(back)")
        let stale = h.run(for: 200)
        #expect(stale.of(.sensorState).count == Self.sensors.count)
        #expect(stale.of(.resendRequest).count == Self.sensors.count)
    }

    @Test("a connection that keeps dropping (1 s up, 1 s down): a dead sensor still goes stale once 5 s of listening passed; the live ones never do")
    func flappingConnection() {
        var h = Self.heard()
        var seq = 10
        var staleAt: Int64?
        for _ in 0..<10 {
            h.hear(true)
            for _ in 0..<2 {
                let at = h.now + 500
                for id in ["a", "b"] { h.send(id, seq: seq, at: at) }
                seq += 1
                h.run(for: 0)
            }
            h.hear(false)
            if staleAt == nil, !h.log.of(.sensorState).isEmpty { staleAt = h.now }
            h.run(for: 1000)
        }
        let states = h.log.of(.sensorState)
        #expect(states.map(\.topic) == ["gateway/gw/sensors/c"], "\(states.map(\.text))")
        // c's last reading at 1,009,000: 2 s of its silence heard before the first drop, then 1 s
        // each round up; its fifth second heard ends the fourth round up, 8 s after its last reading.
        #expect(staleAt.map { $0 - 1_009_000 } == 8_000, "\(String(describing: staleAt))")
    }

    @Test("the sensors' queued readings arrive once the connection is back: none goes stale, none is asked to resend")
    func connectionBackWithQueues() {
        var h = Self.heard()
        h.hear(false)
        h.run(for: 30_000)
        h.hear(true)
        for seq in 10..<40 {
            for id in Self.sensors { h.send(id, seq: seq, at: h.now + (seq < 30 ? 0 : 1000)) }
            h.run(for: 0)
        }
        h.run(for: 2_000)
        #expect(h.log.of(.sensorState).isEmpty && h.log.of(.resendRequest).isEmpty)
        #expect(h.log.summary.filter { !$0.hasSuffix(":ok") } == [])
    }

    @Test("deaf survives both snapshot forms, and a tick's journal record carries the state (unknown bytes: unchanged)")
    func deafSnapshotAndRecord() throws {
        var h = Self.heard()
        h.hear(false)
        let whole = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(h.engine))
        #expect(!whole.isListening)
        let header = try JSONDecoder().decode(RecoveryEngine.SnapshotHeader.self, from: JSONEncoder().encode(h.engine.snapshotHeader))
        var parts = RecoveryEngine(header: header, sensors: (0..<h.engine.sensorCount).map(h.engine.sensorSnapshot))
        #expect(!parts.isListening)
        var out: [Publication] = []
        parts.tick(now: h.now + 600_000, into: &out)
        #expect(out.isEmpty, "deaf: nobody goes stale")
        #expect(JournalRecords.decodeTick(JournalRecords.encodeTick(listening: true)) == true)
        #expect(JournalRecords.decodeTick(JournalRecords.encodeTick(listening: false)) == false)
        #expect(JournalRecords.encodeTick(listening: nil).isEmpty && JournalRecords.decodeTick([]) == nil)
        #expect(JournalRecords.decodeTick([7]) == nil && JournalRecords.decodeTick([1, 0]) == nil)
    }

    @Test(
        "a backlog read at once (readings 1 s apart by their ts, received 2 ms apart) does not shorten a 1 Hz sensor's stale time to its floor: silent for 4.5 s it is not stale, past 5 s it is (found black-box: stale after 4 s, then live, with an open-ended resend request)"
    )
    func backlogKeepsThePeriod() {
        var h = Self.heard()
        for seq in 10..<50 { h.send("a", seq: seq, at: h.now + 2) }
        let quiet = h.run(for: 4_500)
        #expect(quiet.of(.sensorState).filter { $0.topic.hasSuffix("/a") }.isEmpty, "\(quiet.of(.sensorState).map(\.text))")
        let later = h.run(for: 1_000)
        #expect(later.of(.sensorState).contains { $0.topic.hasSuffix("/a") && $0.text.contains("\"stale\"") }, "\(later.map(\.text))")
    }
}
