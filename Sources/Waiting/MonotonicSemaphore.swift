import Synchronization

/// A counting semaphore on a `MonotonicCondition`: for one thread that sleeps until another
/// signals it (the service loop in the `Inbox`, the journal's flusher, the snapshot writer's
/// waiter), with a timeout that a step of the wall clock does not move.
public final class MonotonicSemaphore: Sendable {
    private let count = Atomic<Int>(0)
    private let condition = MonotonicCondition()

    public init() {}

    public func signal() {
        count.add(1, ordering: .releasing)
        condition.broadcast()
    }

    /// Waits for a signal; false when `milliseconds` passed first (by the monotonic clock).
    public func wait(milliseconds: Int64) -> Bool {
        condition.wait(atMost: milliseconds) { takeSignal() }
    }

    /// Waits for a signal, however long it takes.
    public func wait() {
        condition.wait { takeSignal() }
    }

    /// Takes one signal when one is there (under the condition's mutex, so two waiters never
    /// take the same one).
    private func takeSignal() -> Bool {
        let available = count.load(ordering: .acquiring)
        guard available > 0 else { return false }
        count.subtract(1, ordering: .relaxed)
        return true
    }
}
