import FaultSimulation
import Foundation
import Waiting

/// Runs a world on a thread of its own, one world at a time. A world is a fraction of a second
/// to seconds of CPU; run on the cooperative pool (two threads on two cores) it held up the
/// suite's other tests, which wait on events there (found in a full run: an in-process gateway's
/// start waited 5 minutes for a thread of the pool), and a hundred worlds started at once took
/// both cores for minutes.
func simulate(seed: UInt64, scenario: Scenario? = nil) async -> SimulationReport {
    await worldTurns.take()
    let report = await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: Simulation.run(seed: seed, scenario: scenario)) }
    }
    await worldTurns.give()
    return report
}

/// The right to run a world: one at a time, in the order asked.
let worldTurns = Turns()
