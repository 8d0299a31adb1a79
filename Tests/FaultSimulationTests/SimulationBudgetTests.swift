import FaultSimulation
import Testing

/// The CI budget: a few seeds of the drawn worlds, every fault's trigger on (no finding is open;
/// the next one's trigger would be taken out with `Scenario.avoidingOpenFindings` while its fix
/// is under way), must keep every guarantee; and a seed must reproduce its run exactly.
@Suite("Fault simulator: seed budget and reproducibility")
struct SimulationBudgetTests {
    static let budget: [UInt64] = Array(1...12)
    /// The first six seeds whose measurement world has a humidity stream (about half of a
    /// world's sensors after the first are one, so a two-sensor world may have none).
    static let measurementBudget: [UInt64] = Array(
        (UInt64(1)...40).lazy.filter { Scenario.drawn(seed: $0).withMeasurements(seed: $0).sensors.contains { $0.measurement != nil } }.prefix(6))

    /// Runs `scenario` shorter than fault-sim's runs (1,500 + 700 steps), so the budget stays
    /// small in debug.
    static func shortRun(_ seed: UInt64, _ scenario: Scenario) async -> SimulationReport {
        var scenario = scenario
        scenario.steps = 800
        scenario.drainSteps = 500
        return await simulate(seed: seed, scenario: scenario)
    }

    @Test("every guarantee holds over the budget's seeds", arguments: budget)
    func budgetSeed(seed: UInt64) async {
        let report = await Self.shortRun(seed, .drawn(seed: seed))
        #expect(!report.failed, "\(report)")
        #expect(report.readingsAcknowledged > 0)
    }

    @Test("every guarantee holds over the budget's seeds in measurement worlds (humidity streams under other sensors' ids)", arguments: measurementBudget)
    func measurementSeed(seed: UInt64) async {
        let scenario = Scenario.drawn(seed: seed).withMeasurements(seed: seed)
        #expect(scenario.sensors.contains { $0.measurement != nil }, "the world has no humidity stream: the test's premise does not hold")
        let report = await Self.shortRun(seed, scenario)
        #expect(!report.failed, "\(report)")
        #expect(report.readingsAcknowledged > 0)
    }

    @Test(
        "every guarantee holds in measurement worlds where humidity has a reorder window and late horizon of its own",
        arguments: measurementBudget.prefix(3))
    func measurementWindowSeed(seed: UInt64) async {
        let scenario = Scenario.drawn(seed: seed).withMeasurements(seed: seed).withMeasurementWindows(seed: seed)
        #expect(scenario.engine.measurements?.first?.reorderWindowMs != nil)
        let report = await Self.shortRun(seed, scenario)
        #expect(!report.failed, "\(report)")
        #expect(report.readingsAcknowledged > 0)
    }

    @Test(
        "every guarantee holds while the gateway's input connection is lost now and then (its ticks journal the connection's state)",
        arguments: [UInt64(1), 2, 3])
    func inputOutageSeed(seed: UInt64) async {
        let report = await Self.shortRun(seed, Scenario.drawn(seed: seed).withInputOutages(seed: seed))
        #expect(report.faults[.inputOutage, default: 0] > 0, "no outage drawn: the test's premise does not hold")
        #expect(!report.failed, "\(report)")
        #expect(report.readingsAcknowledged > 0)
    }

    @Test(
        "every guarantee holds while the operator resizes the journal at restarts, grown and shrunk, some resizes interrupted",
        arguments: [UInt64(1), 2, 3])
    func resizeSeed(seed: UInt64) async {
        let report = await Self.shortRun(seed, Scenario.drawn(seed: seed).withResizes(seed: seed))
        #expect(report.faults[.journalResize, default: 0] > 0, "no resize drawn: the test's premise does not hold")
        #expect(!report.failed, "\(report)")
        #expect(report.readingsAcknowledged > 0)
    }

    @Test("the same seed gives the same run: faults, counts, trace and verdict")
    func reproducible() async {
        for seed: UInt64 in [4, 5] {
            let a = await simulate(seed: seed)
            let b = await simulate(seed: seed)
            #expect(a.description == b.description)
            #expect(a.faults == b.faults)
            #expect(a.trace == b.trace)
            #expect(a.cleanedMessages == b.cleanedMessages && a.readingsAcknowledged == b.readingsAcknowledged)
        }
    }
}
