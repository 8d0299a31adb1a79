/// The values `IngestJournal` takes and reports: a journaled input, the limits that pause
/// input, why input is paused, and the counts shown on `/healthz` and the metrics.
extension IngestJournal {
    /// A journaled inbound message waiting for the engine.
    struct Input {
        var seq: UInt64
        var time: Int64
        var topic: String
        var payload: [UInt8]
    }

    struct Limits: Sendable {
        /// Acknowledged messages held only in memory before a write to the journal file.
        var unwrittenAtMost = 64
        /// Journaled messages waiting for the pipeline before input pauses.
        var pendingMessages = 4096
        var pendingBytes = 4 << 20
        /// Journal room kept for the pipeline's ticks and publications: input pauses below it
        /// (or below an eighth of the journal, when that is less).
        var reserveBytes = 4 << 20
    }

    /// Why input is paused, for `/healthz` and the status page.
    enum Pause: String, Sendable, CaseIterable {
        case pipelineBehind = "the pipeline is behind: input waits in the broker"
        case journalFull = "journal full of unfinished work (unacknowledged output or input not yet in a snapshot)"
        /// Brief: the room the ring reclaims goes to the engine's output first (`OutputPacing`).
        case outputWaiting = "output waits for the journal room the ring reclaims (a long fill streams out): input waits in the broker meanwhile"
        case closed = "input closed (shutting down)"
        case journalFailed = "journal failed"

        /// The metric label.
        var label: String {
            switch self {
            case .pipelineBehind: "pipeline_behind"
            case .journalFull: "journal_full"
            case .outputWaiting: "output_waiting"
            case .closed: "closed"
            case .journalFailed: "journal_failed"
            }
        }
    }

    struct Statistics: Sendable, Equatable {
        var accepted = 0
        /// Messages whose payload was cut before journaling (dead-lettered `payload_too_large`).
        var oversized = 0
        /// Messages held in memory because the journal was full when they arrived.
        var heldWhileFull = 0
        /// The most messages that waited for the pipeline at once.
        var pendingHighWater = 0
        /// Acknowledged messages that could not be journaled because the journal failed.
        var lostToJournalFailure = 0
        /// Journaled messages waiting for the pipeline now (filled in when read).
        var pending = 0
        /// The receive time (journal timeline) of the newest message accepted.
        var lastAcceptedAt: Int64?
        /// The same moment on the monotonic clock (ms), which no step of the wall clock moves.
        var lastAcceptedMonotonic: Int64?
        /// Journal syncs that failed (the first one poisons the journal: input stops, and the
        /// pipeline stops the gateway on it).
        var syncFailures = 0
    }
}
