import Journal
import Logging
import Synchronization
import Waiting

/// Writes engine snapshots off the service loop, one at a time.
///
/// A failure (a full disk, say) is logged and counted, never fatal: the journal is the truth,
/// and a snapshot only lets the journal forget old input and shortens the replay at a restart.
/// Until one succeeds, the journal keeps the input after the last good snapshot.
final class SnapshotWriter: Sendable {
    struct Status: Sendable, Equatable {
        var writing = false
        var written = 0
        var failures = 0
        var lastBytes = 0
        var lastDurationMs: Int64 = 0
        var lastError: String?
        /// The oldest journal seq a restart needs, as of the newest snapshot on disk.
        var retainFrom: UInt64?
        /// The input position of the newest snapshot on disk.
        var inputFrom: UInt64?
    }

    private let path: String
    private let logger: Logger
    private let state: Mutex<Status>
    /// The background write in progress (or the last one), for `waitIdle`.
    private let current = Mutex<Task<Void, Never>?>(nil)
    /// Signalled as each write ends, for `waitIdle(until:)`.
    private let ended = MonotonicSemaphore()

    /// `retainFrom`: what the snapshot already on disk needs (nil when there is none).
    init(path: String, logger: Logger, retainFrom: UInt64?) {
        self.path = path
        self.logger = logger
        state = Mutex(Status(retainFrom: retainFrom))
    }

    var status: Status { state.withLock { $0 } }

    /// Starts writing `snapshot` in the background; false (and nothing done) while one is
    /// still being written.
    func start(_ snapshot: EngineSnapshot) -> Bool {
        let busy = state.withLock { s in
            defer { s.writing = true }
            return s.writing
        }
        guard !busy else { return false }
        current.withLock { $0 = Task.detached { [self] in write(snapshot) } }
        return true
    }

    /// Writes now, on the caller's thread (shutdown); returns whether it worked.
    @discardableResult
    func writeNow(_ snapshot: EngineSnapshot) -> Bool {
        state.withLock { $0.writing = true }
        return write(snapshot)
    }

    /// Waits for a background write to end (its task's end: no polling).
    func waitIdle() async {
        await current.withLock { $0 }?.value
    }

    /// Waits for a background write to end, until `deadline` (monotonic ms) at most; false when
    /// it is still writing then (the write goes on: the file is replaced only once complete).
    /// Woken by the write's end, not by polling.
    func waitIdle(until deadline: Int64) async -> Bool {
        await onOwnThread { [self] in
            while state.withLock({ $0.writing }) {
                let left = deadline - Clocks.monotonicMilliseconds()
                if left <= 0 { return false }
                // A signal left over from a write nobody waited for only costs one more check.
                _ = ended.wait(milliseconds: left)
            }
            return true
        }
    }

    /// Whether a snapshot written now is expected to be done by `deadline` (monotonic ms): the
    /// last one's duration twice over, and a fifth of a second, fit before it.
    func expectedToFinish(by deadline: Int64) -> Bool {
        Clocks.monotonicMilliseconds() + 2 * status.lastDurationMs + 200 <= deadline
    }

    @discardableResult
    private func write(_ snapshot: EngineSnapshot) -> Bool {
        let started = Clocks.monotonicMilliseconds()
        defer { ended.signal() }
        do {
            let size = try snapshot.write(to: path, fileSystem: POSIXFileSystem())
            let (recovered, failures) = state.withLock { s in
                s.writing = false
                s.written += 1
                s.lastBytes = size
                s.lastDurationMs = Clocks.monotonicMilliseconds() - started
                defer { s.lastError = nil }
                s.retainFrom = snapshot.retainFrom
                s.inputFrom = snapshot.inputFrom
                return (s.lastError != nil, s.failures)
            }
            // The end of a run of failures is said too, so the log tells the whole story (found
            // black-box, 47th review: a full disk's 54 failures showed as one line).
            if recovered { logger.notice("engine snapshot saved again", metadata: ["failures_since_start": "\(failures)"]) }
            return true
        } catch {
            let failures = state.withLock { s in
                s.writing = false
                s.failures += 1
                s.lastError = "\(error)"
                return s.failures
            }
            // One line for the first failure and then one per hundred: a full disk must not
            // flood the log.
            if failures == 1 || failures % 100 == 0 {
                logger.error(
                    "engine snapshot not saved; the journal keeps the input it would have covered",
                    metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            return false
        }
    }
}
