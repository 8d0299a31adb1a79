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

    @Test("a split release is deterministic: the same input and ticks give the same output")
    func replaysIdentically() {
        func run() -> [Publication] {
            var h = heldFleet()
            let start = h.now + h.engine.configuration.reorderWindowMs
            // Input arriving between the partial ticks, as it does in a live turn.
            for round in 0..<10 {
                h.now = start
                h.advance(0)
                h.send("s\(round)", seq: TickBudgetTests.readingsEach)
            }
            h.advance(h.engine.configuration.reorderWindowMs)
            return h.log
        }
        let first = run()
        #expect(first.cleaned.count == TickBudgetTests.sensors * TickBudgetTests.readingsEach + 10)
        #expect(first == run())
    }
}
