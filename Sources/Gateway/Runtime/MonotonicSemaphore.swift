#if canImport(Glibc)
    import Glibc
#endif

/// A counting semaphore whose timed wait is measured on the monotonic clock.
///
/// `DispatchSemaphore.wait(timeout:)` on Linux ends in `sem_timedwait`, whose deadline is a
/// wall-clock time: a backward step of the wall clock while the service loop slept made the
/// sleep last as long as the step (an idle gateway stopped turning for 11 minutes, `/healthz`
/// said "no turn completed", and SIGTERM waited with it). A condition variable set to
/// `CLOCK_MONOTONIC` is not moved by steps.
///
/// `@unchecked Sendable`: the mutex and condition variable live at fixed heap addresses
/// allocated once, and every access to `count` happens with the mutex held; this type is
/// nothing but that wrapper.
final class MonotonicSemaphore: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var count = 0

    init() {
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

    func signal() {
        pthread_mutex_lock(mutex)
        count += 1
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits for a signal; false when `milliseconds` passed first (by the monotonic clock).
    func wait(milliseconds: Int64) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Int64(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(milliseconds / 1000) + Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        guard count > 0 else { return false }
        count -= 1
        return true
    }

    /// Waits for a signal, however long it takes.
    func wait() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 { pthread_cond_wait(condition, mutex) }
        count -= 1
    }
}
