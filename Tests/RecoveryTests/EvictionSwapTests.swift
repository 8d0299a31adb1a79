import Foundation
import Testing
import Wire
@testable import Recovery

/// Two sensors taking turns in one place under `max-sensors`: each comes back after a minute's
/// silence and evicts the other. The remembered sensors are capped at `max-sensors`, so
/// remembering the evicted one first dropped the memory of the one coming back: it started
/// afresh and the readings it missed were never asked for, filled or reported (found by the
/// fault simulator, `fault-sim --seed 176 --avoid-open-findings`: seqs 3270-4001 skipped).
@Suite("Sensors evicting each other at the cap")
struct EvictionSwapTests {
    static func run() -> Harness {
        var h = Harness {
            $0.maxSensors = 1
            $0.maxFill = 600
            $0.sensorRetentionMs = 86_400_000
        }
        let start = h.now
        for seq in 0...4 { h.send("a", seq: seq, at: start + Int64(seq) * 1000) }
        h.advance(3_000)
        // a falls silent; b waits for a minute at the door, then takes the place.
        h.send("b", seq: 0, at: start + 10_000)
        h.send("b", seq: 1, at: start + 66_000)
        for seq in 2...4 { h.send("b", seq: seq, at: start + 64_000 + Int64(seq) * 1000) }
        h.advance(3_000)
        // b falls silent; a is back with seq 10 after a minute, and evicts b.
        h.send("a", seq: 10, at: start + 130_000)
        for seq in 11...12 { h.send("a", seq: seq, at: start + 130_000 + Int64(seq - 10) * 1000) }
        h.advance(10_000)
        return h
    }

    @Test("the sensor coming back continues its epoch: the seqs it missed are asked for, then filled")
    func returningSensorContinues() throws {
        let h = Self.run()
        #expect(h.engine.counters.evicted == 2)
        let resends = h.log.of(.resendRequest).filter { $0.topic == "sensors/a/resend" }.map(\.text)
        #expect(resends.contains("{\"from_seq\":5,\"to_seq\":9,\"measurement\":\"temperature\"}"), "\(resends)")
        let cleaned = try h.log.cleaned.filter { $0.topic == "cleaned/a/temperature" }
            .map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
        let accounting = StreamAccounting(cleaned)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "a", boot: nil)] == Array(0...12), "\(h.log.summary)")
        #expect(cleaned.filter { (5...9).contains($0.seq) }.allSatisfy { $0.quality == .synthetic })
    }
}
