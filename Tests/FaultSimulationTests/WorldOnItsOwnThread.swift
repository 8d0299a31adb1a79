import FaultSimulation
import Foundation

/// Runs a world on a thread of its own. A world is seconds of CPU; run on the cooperative pool
/// (two threads on two cores) it held up the suite's other tests, which wait on events there (found
/// in a full run: an in-process gateway's start waited 5 minutes for a thread of the pool).
func simulate(seed: UInt64, scenario: Scenario? = nil) async -> SimulationReport {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: Simulation.run(seed: seed, scenario: scenario)) }
    }
}
