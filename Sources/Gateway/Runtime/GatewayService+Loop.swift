import Foundation

/// The service loop's thread and its waits: when it sleeps, and what arrival wakes it.
extension GatewayService {
    /// The service loop's waits (monotonic ms), in one place.
    enum Waits {
        /// The longest sleep with nothing due.
        static let idleMs: Int64 = 200
        /// How soon output held back (no journal room, spilled publications) is tried again.
        static let retryOutputMs: Int64 = 20
        /// How long a drain waits for the broker's acknowledgements (the graceful-shutdown limit).
        static let drainLimitMs: Int64 = 3_000
        /// How long a draining turn waits for an arrival before the next.
        static let drainStepMs: Int64 = 20
        /// A whole drain ends within this: the systemd unit's `TimeoutStopSec` is 15 s, and a
        /// drain killed half-way loses nothing but wastes the snapshot it was writing.
        static let drainBudgetMs: Int64 = 10_000
        /// Set aside for the broker's close at the end of a drain (the offline status's
        /// acknowledgement, then both disconnects).
        static let closeMs: Int64 = 1_500
    }

    /// Runs the service loop on a thread of its own until the shutdown signal, then the drain's
    /// turns: it blocks between turns, where awaiting on the cooperative pool cost two child
    /// tasks and a timer per wait (the daemon used 14-17% less CPU without them,
    /// docs/PERFORMANCE.md), and it keeps a pool thread free.
    func runOnLoopThread() async throws {
        let handOff = LoopThreadHandOff(service: self)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread {
                do {
                    let service = handOff.service
                    while !service.shutdown.isRequested {
                        let (wait, condition) = service.nextWake()
                        if wait > 0 { service.inbox.waitBlocking(atMost: wait, until: condition) }
                        try service.turn()
                    }
                    try service.drainTurns()
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }.start()
        }
    }

    /// How long the loop may sleep, and what arrival wakes it sooner.
    ///
    /// Input wakes it at once, so the publications a reading makes are journaled while the
    /// flusher syncs the reading itself, and go out after the next sync: one sync of latency.
    /// (Waiting for the sync that covers the input before running it, to save turns, made it
    /// two: p50 77 ms instead of 27 ms at 1,000 readings/s with 20 syncs a second, and p99 297
    /// instead of 13 ms with 500; docs/PERFORMANCE.md.) The end of each sync wakes it too
    /// (`Inbox.journalDurable`). Acknowledgements wake it only when publications are held back
    /// by the in-flight limit, and then by half that limit.
    private func nextWake() -> (milliseconds: Int64, condition: Inbox.WakeCondition) {
        var wait = Waits.idleMs
        var condition = Inbox.WakeCondition()
        let durable = ingest.withJournal { $0.durableSeq }
        condition.acknowledgements = publisher.heldBackByInFlightLimit(durableThrough: durable) ? max(1, configuration.maxInFlight / 2) : .max
        if publisher.needsRetry { wait = min(wait, Waits.retryOutputMs) }
        let pacing = publisher.pacing
        if pacing.mayTick, let deadline = pipeline.nextDeadline { wait = min(wait, max(1, deadline - ingest.clock.now())) }
        // The rest of a batch runs next turn, without a wait.
        if pacing.mayRunInput && pipeline.hasUnrunInput { return (0, condition) }
        return (max(wait, 1), condition)
    }
}

/// Hands the service to its loop thread. Unchecked because `GatewayService` is not Sendable; it
/// is not shared either: `run()` waits for the thread to end before it touches the service again.
private struct LoopThreadHandOff: @unchecked Sendable {
    let service: GatewayService
}
