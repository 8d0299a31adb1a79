import Foundation
import Testing
import Wire
@testable import Recovery

/// A gateway whose clock starts at 1970 and is stepped by NTP later (issue 29, item 7): readings
/// received before the step are not dead-lettered as being decades ahead.
@Suite("A gateway clock not yet set")
struct ClockNotSetTests {
    static let base: Int64 = 1_795_660_000_000

    @Test("readings received while the clock reads 1970 skip the future check (counted); after the step it applies again; 0-100 all ok")
    func clockAt1970ThenStepped() throws {
        var h = Harness { $0.futureToleranceMs = 86_400_000 }
        // Booted at 1970: receive times 30 s after the epoch, one reading a second.
        h.now = 30_000
        for seq in 0...80 {
            h.send(seq: seq, ts: Self.base + Int64(seq) * 1000, at: 30_000 + Int64(seq) * 1000)
            h.advance(0)
        }
        #expect(h.engine.counters.futureCheckSkipped == 81)
        // NTP steps the clock to the real time; the stream carries on.
        for seq in 81...100 {
            h.send(seq: seq, ts: Self.base + Int64(seq) * 1000, at: Self.base + Int64(seq) * 1000 + 50)
            h.advance(0)
        }
        h.advance(5_000)
        #expect(h.engine.counters.futureCheckSkipped == 81)
        #expect(h.log.of(.deadLetter).map { $0.reason ?? "?" } == [])
        let cleaned = try h.log.cleaned.map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
        let accounting = StreamAccounting(cleaned)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "s1", boot: nil)] == Array(0...100))
        #expect(accounting.messagesByQuality == [.ok: 101])

        // With the clock set, a reading more than the tolerance ahead is still dead-lettered.
        let ahead = h.send(seq: 101, ts: h.now + 86_400_001)
        #expect(ahead.map { $0.reason } == ["bad_value:ts"])
        #expect(h.engine.counters.futureCheckSkipped == 81)
    }

    @Test("the floor is 2025-01-01T00:00:00Z; from there on the check applies")
    func floor() {
        #expect(RecoveryEngine.clockFloorMs == 1_735_689_600_000)
        var h = Harness { $0.futureToleranceMs = 86_400_000 }
        h.now = RecoveryEngine.clockFloorMs
        #expect(h.send(seq: 0, ts: Self.base).first?.reason == "bad_value:ts")
        h.now = RecoveryEngine.clockFloorMs - 1
        #expect(h.send(seq: 0, ts: Self.base).allSatisfy { $0.kind != .deadLetter })
        #expect(h.engine.counters.futureCheckSkipped == 1)
    }
}
