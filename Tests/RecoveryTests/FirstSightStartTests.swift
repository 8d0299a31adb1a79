import Testing
@testable import Recovery

/// A new sensor's first readings are held one reorder window; a reading that arrives once the
/// window is over starts the stream itself, as the tick at its end would have. A tick serves
/// sensors only until `tickPublicationBudget` publications, so a fleet first seen together
/// behind a backlog waited for ticks, holding every reading that came meanwhile (a catch-up of
/// 10,000 sensors held 390,000 readings).
@Suite("First-sight holds end with the window, tick or not")
struct FirstSightStartTests {
    @Test("a reading after the window starts the stream at once: the held readings and it go out in order, no tick needed")
    func readingAfterWindowStarts() {
        var h = Harness { $0.reorderWindowMs = 300 }
        #expect(h.send(seq: 5).cleaned.isEmpty, "held: where the stream starts is not known yet")
        #expect(h.send(seq: 6, at: h.now + 100).cleaned.isEmpty, "still inside the window")
        let after = h.send(seq: 7, at: h.now + 250)
        #expect(after.summary == ["5:ok", "6:ok", "7:ok"])
        #expect(h.advance(1000).cleaned.isEmpty, "nothing left for the tick")
    }

    @Test("a hole among the held readings is asked for at the start and filled only when its window is over, as before")
    func holeWaitsForItsWindow() {
        var h = Harness { $0.reorderWindowMs = 300 }
        h.send(seq: 1)
        h.send(seq: 3, at: h.now + 100)
        let start = h.send(seq: 4, at: h.now + 300)
        #expect(start.summary == ["1:ok"], "1 goes out; 2 is missing")
        #expect(start.of(.resendRequest).count == 1, "2 is asked for")
        let later = h.advance(1000)
        #expect(later.summary == ["2:synthetic", "3:ok", "4:ok"])
    }

    @Test("10,000 sensors first seen together, each sending after its window without a tick: none holds more than the window's readings")
    func fleetDoesNotPileUp() {
        var h = Harness {
            $0.reorderWindowMs = 2000
            $0.maxSensors = 20_000
        }
        let sensors = 10_000
        // Ten rounds, every sensor once a round, 300 ms of receipt time a round.
        for round in 0..<10 {
            for s in 0..<sensors { h.send("s\(s)", seq: round, at: h.now + (s == 0 ? 300 : 0)) }
        }
        let most = h.engine.sensorStates.map(\.heap.count).max() ?? 0
        #expect(most <= 1, "each started once its window was over; held at most: \(most)")
        let waiting = h.engine.sensorStates.filter { !$0.started }.count
        #expect(waiting == 0, "\(waiting) sensors not started")
        #expect(h.log.cleaned.count >= sensors * 8)
    }
}
