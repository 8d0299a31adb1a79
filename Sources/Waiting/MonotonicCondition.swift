#if canImport(Glibc)
    import Glibc
#endif

/// The one way a thread of this package blocks until something changes: a condition variable on
/// the monotonic clock, over state that other threads change.
///
/// The state stays where it belongs (an atomic, a `Mutex`); the waiter names it in a predicate,
/// which `wait` checks with the condition's mutex held, and whoever changes it calls `broadcast()`
/// after the change. That order loses no wake-up: a waiter that found the predicate false is
/// inside `pthread_cond_wait` before the changer can take the mutex to broadcast. Deadlines are
/// kept on `CLOCK_MONOTONIC`, so a step of the wall clock neither lengthens nor ends a wait
/// (`DispatchSemaphore.wait(timeout:)` on Linux ends in `sem_timedwait`, whose deadline is a
/// wall-clock time: a backward step once kept an idle gateway asleep for 11 minutes).
///
/// `@unchecked Sendable`: the mutex and condition variable live at fixed heap addresses,
/// allocated once and used only through the pthread calls, which are safe from any thread; this
/// type is nothing but that wrapper.
public final class MonotonicCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Wakes every waiter to check its predicate again. Call it after changing what the
    /// predicates read, from any thread.
    public func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until `ready()` returns true, or until `milliseconds` have passed on the monotonic
    /// clock (nil: no limit). Returns what `ready()` said last. `ready` runs with the condition's
    /// mutex held: it must only look (or take what it found, as `MonotonicSemaphore` does) and
    /// never block.
    @discardableResult
    public func wait(atMost milliseconds: Int64? = nil, until ready: () -> Bool) -> Bool {
        let deadline = milliseconds.map(MonotonicCondition.deadline(after:))
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !ready() {
            guard var deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { return ready() }
        }
        return true
    }

    /// `CLOCK_MONOTONIC` now plus `milliseconds` (none below zero).
    private static func deadline(after milliseconds: Int64) -> timespec {
        let milliseconds = max(0, milliseconds)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = Int64(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(milliseconds / 1000) + Int(nanoseconds / 1_000_000_000)
        deadline.tv_nsec = Int(nanoseconds % 1_000_000_000)
        return deadline
    }
}
