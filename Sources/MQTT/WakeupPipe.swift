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

    /// Empties the pipe; the next `signal()` writes again.
    func drain() {
        pending.store(false, ordering: .releasing)
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}
