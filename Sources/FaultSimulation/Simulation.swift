/// One seeded run of the fault simulator: the world `Scenario.drawn(seed:)` describes (or the one
/// given), driven step by step with the contract's guarantees checked after every step. The same
/// seed and scenario always give the same run, step for step: the only randomness is the seeded
/// SplitMix64, the only clocks are simulated, the only files are in memory.
public enum Simulation {
    /// Runs `seed` in `scenario` (by default the one drawn from the seed). `log` receives every
    /// trace line as it happens (`--verbose`).
    public static func run(seed: UInt64, scenario: Scenario? = nil, log: ((String) -> Void)? = nil) -> SimulationReport {
        var world = World(seed: seed, scenario: scenario ?? Scenario.drawn(seed: seed), log: log)
        return world.run()
    }
}

/// What one run did and, if it failed, where and how.
public struct SimulationReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    /// Steps run (fewer than the scenario's when it failed).
    public var stepsRun: Int
    /// Faults injected, by kind.
    public var faults: [FaultKind: Int]
    /// The first broken guarantee, and the step it broke at.
    public var violation: Violation?
    public var failedStep: Int?
    /// The last trace lines before the end (or the failure).
    public var trace: [String]
    /// Readings the broker got a PUBACK for (each delivery counts).
    public var readingsAcknowledged: Int
    /// Cleaned messages and dead letters the consumers received.
    public var cleanedMessages: Int
    public var deadLetters: Int
    /// Gateway restarts after crashes and journal failures.
    public var restarts: Int
    /// Aggregate windows checked against the cleaned stream at the end (nil: not checked, the
    /// gateway still had work or was down when the world ended; `AggregateChecker`).
    public var aggregateWindowsChecked: Int? = nil

    /// Whether a guarantee broke.
    public var failed: Bool { violation != nil }

    /// A failure as `fault-sim` prints it: seed, step, invariant, trace.
    public var description: String {
        guard let violation, let failedStep else {
            return "seed \(seed): ok, \(stepsRun) steps, \(readingsAcknowledged) readings acknowledged, \(cleanedMessages) cleaned, \(restarts) restarts"
        }
        return (["seed \(seed) FAILED at step \(failedStep): \(violation)", "trace (last \(trace.count) events):"] + trace.map { "  \($0)" })
            .joined(separator: "\n")
    }
}
