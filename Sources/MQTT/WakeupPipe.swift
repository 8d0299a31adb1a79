import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A self-pipe that wakes the network thread's `poll` when another thread has queued a packet
/// (libmosquitto's own wake-up socket is read only by its `mosquitto_loop`, which we don't use).
/// Signals are coalesced: at most one byte is in the pipe at a time.
final class WakeupPipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let pending = Atomic<Bool>(false)

    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe; the next `signal()` writes again. The pipe is read before the flag is
    /// cleared: the other order let a signal's byte be read here while its flag stayed set, so
    /// every later signal was skipped and the network thread woke only on its poll timeout.
    /// In this order a signal that finds the flag still set needs no byte: the caller looks for
    /// queued work after draining.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
        pending.store(false, ordering: .releasing)
    }
}
