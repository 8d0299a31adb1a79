import Synchronization

/// Counts the replays running, against `ReplayLimits.maxConcurrent` as it stands when each
/// request comes (a SIGHUP may change it; replays already running finish).
final class ReplaySlots: Sendable {
    private let running = Mutex(0)

    /// Takes a slot if fewer than `limit` replays run; false when all are taken.
    func take(limit: Int) -> Bool {
        running.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func release() { running.withLock { $0 -= 1 } }
}
