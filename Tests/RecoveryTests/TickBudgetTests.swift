import Foundation
import Testing

@testable import Recovery

/// A fleet that starts together (a restart, a backlog queued at the broker) releases its held
/// readings over several ticks of about `tickPublicationBudget` each, so the memory a turn
/// takes does not follow the backlog; and nothing is lost or reordered by the split.
@Suite struct TickBudgetTests {
    static let sensors = 300
    static let readingsEach = 30

    /// Every sensor's readings arrive before any sensor has started (all held).
    private func heldFleet() -> Harness {
        var h = Harness()
        for seq in 0..<TickBudgetTests.readingsEach {
            for s in 0..<TickBudgetTests.sensors { h.send("s\(s)", seq: seq) }
        }
        return h
    }

    @Test("a tick stops near the budget and the rest stays due at the same time")
    func splitsTheRelease() {
        var h = heldFleet()
        #expect(h.log.isEmpty)
        let held = TickBudgetTests.sensors * TickBudgetTests.readingsEach
        #expect(held > 3 * RecoveryEngine.tickPublicationBudget)
        let start = h.now + h.engine.configuration.reorderWindowMs
        var ticks: [[Publication]] = []
        while let due = h.engine.nextDeadline(), due <= start, ticks.count < 100 {
            var out: [Publication] = []
            h.engine.tick(now: start, into: &out)
            ticks.append(out)
        }
        let cleaned = ticks.map(\.cleaned.count)
        #expect(cleaned.reduce(0, +) == held)
        #expect(ticks.count >= 3)
        // No tick goes past the budget by more than one sensor's held readings (publications
        // other than cleaned ones, such as a sensor's state, count towards it too).
        for out in ticks {
            #expect(out.count < RecoveryEngine.tickPublicationBudget + TickBudgetTests.readingsEach + 5)
        }
        // Each sensor's readings came out once, in seq order.
        var seqs: [String: [Int]] = [:]
        for p in Array(ticks.joined()).cleaned { seqs[p.topic, default: []].append(p.seq ?? -1) }
        #expect(seqs.count == TickBudgetTests.sensors)
        #expect(seqs.values.allSatisfy { $0 == Array(0..<TickBudgetTests.readingsEach) })
        #expect(Array(ticks.joined()).cleaned.allSatisfy { $0.quality == "ok" })
    }

    @Test("an engine restored between two partial ticks goes on exactly as the original")
    func restoredEngineContinuesIdentically() throws {
        var original = heldFleet()
        let start = original.now + original.engine.configuration.reorderWindowMs
        original.now = start
        let first = original.advance(0)
        #expect(!first.isEmpty && original.engine.nextDeadline().map { $0 <= start } == true)
        // A restart restores the engine from its snapshot (its deadline queue is rebuilt, in
        // another layout) and replays the same input and ticks after it.
        var restored = original
        restored.engine = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(original.engine))
        restored.log = []
        original.log = []
        for h in [0, 1] {
            var harness = h == 0 ? original : restored
            for round in 0..<10 {
                harness.advance(0)
                harness.send("s\(TickBudgetTests.sensors - 1 - round)", seq: TickBudgetTests.readingsEach)
            }
            harness.advance(harness.engine.configuration.reorderWindowMs)
            if h == 0 { original = harness } else { restored = harness }
        }
        let expected = TickBudgetTests.sensors * TickBudgetTests.readingsEach + 10 - first.cleaned.count
        #expect(original.log.cleaned.count == expected)
        #expect(restored.log == original.log)
    }
}
