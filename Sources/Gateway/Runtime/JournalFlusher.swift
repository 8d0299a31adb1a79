import Foundation
import Synchronization
import Waiting

/// The journal's group commit with `fsync interval`: a thread of its own that syncs the journal
/// as soon as something written waits on durability and the previous sync has ended, at most
/// `maxPerSecond` times a second (`fsync-max-per-second`: the flash-wear budget).
///
/// The sync itself (`sync`, given by `IngestJournal`) takes the journal's lock only to start
/// (write the buffer, note the position it will cover) and to finish (move the durable
/// position), never across the `fdatasync`, so the network thread goes on journaling and
/// acknowledging input, and the pipeline on journaling output, while the disk works. Whatever
/// is appended during a sync is covered by the next one: requests made meanwhile coalesce into
/// that one (as Kafka's log flusher and PostgreSQL's WAL writer group their commits).
final class JournalFlusher: Sendable {
    private struct State {
        /// A request arrived since the flusher last started a sync.
        var requested = false
        var stopping = false
        var sync: (@Sendable () -> Void)?
    }

    /// The least time between the starts of two syncs.
    let spacingMicroseconds: Int64
    private let state = Mutex(State())
    private let wakeUp = MonotonicSemaphore()

    init(maxPerSecond: Int) {
        spacingMicroseconds = 1_000_000 / Int64(max(1, maxPerSecond))
    }

    /// Starts the thread; `sync` runs one sync of everything written so far.
    func start(sync: @escaping @Sendable () -> Void) {
        state.withLock { $0.sync = sync }
        let thread = Thread { [self] in run() }
        thread.name = "journal-flusher"
        thread.start()
    }

    /// Something written waits on durability: a sync starts as soon as the budget and the
    /// sync in progress (if any) allow.
    func request() {
        let signal = state.withLock { s in
            defer { s.requested = true }
            return !s.requested
        }
        if signal { wakeUp.signal() }
    }

    /// Ends the thread after the sync in progress, if any. It does not wait: a sync holds the
    /// journal it syncs (so its files stay open) until it ends.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }

    private func run() {
        var lastStart = Int64.min / 2
        while true {
            wakeUp.wait()
            let (stopping, sync) = state.withLock { s in
                s.requested = false
                return (s.stopping, s.sync)
            }
            if stopping { break }
            let wait = lastStart + spacingMicroseconds - Clocks.monotonicMicroseconds()
            // A pause, not a poll: nothing but the budget (`fsync-max-per-second`) is waited for.
            if wait > 0 { usleep(useconds_t(wait)) }
            lastStart = Clocks.monotonicMicroseconds()
            sync?()
        }
        state.withLock { $0.sync = nil }
    }
}
