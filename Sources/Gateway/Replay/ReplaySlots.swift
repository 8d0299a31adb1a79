import Synchronization

/// Counts the replays running, against `ReplayLimits.maxConcurrent`.
final class ReplaySlots: Sendable {
    private let running = Mutex(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all are taken.
    func take() -> Bool {
        running.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func release() { running.withLock { $0 -= 1 } }
}
