/// What a journal reports: what opening found and did, and its running counts.
extension Journal {
    /// What opening the journal found and did.
    public struct RecoveryReport: Sendable, Equatable {
        public var records = 0
        /// Damage found, each with what opening did about it (records lost, files salvaged and
        /// kept aside, an unreadable checkpoint). Log as errors; show on `/healthz`.
        public var corruption: [String] = []
        /// Bytes after the last valid record of the newest segment that were not zero (an
        /// interrupted write), cleared on open.
        public var tornTail = false
        /// What was wrong with files where no data was at stake (missing or empty segments,
        /// extra files, a rewritten `journal.meta`). Log as warnings.
        public var fileProblems: [String] = []
        /// Copies of damaged files kept beside the journal (never deleted by the gateway): the
        /// evidence for `journal verify` and for whoever looks into the disk.
        public var setAside: [String] = []
        /// The seqs the damage took (as far as they can be known).
        public var lostSeqs: [ClosedRange<UInt64>] = []
        /// Set when opening resized the journal: from what, to what, what was kept. Log it.
        public var resized: String?
        /// True when there was no journal (no `journal.meta` and no segment file) and opening
        /// started a new, empty one. A journal whose `journal.meta` alone is missing is not new:
        /// its records are recovered and the rewritten meta file is a `fileProblems` entry.
        public var created = false

        /// True when opening found damage or kept files aside: the gateway should say so
        /// (`/healthz` degraded, a metric), naming `sensor-gateway journal verify` as the next step.
        public var needsAttention: Bool { !corruption.isEmpty || !setAside.isEmpty }

        /// One line for `/healthz` and the log: the first problem and how many there are.
        public var attentionSummary: String? {
            guard needsAttention else { return nil }
            let first = corruption.first ?? "damaged journal files kept aside: \(setAside.joined(separator: ", "))"
            let more = corruption.count > 1 ? " (and \(corruption.count - 1) more)" : ""
            return "journal damage found at start: \(first)\(more); run `sensor-gateway journal verify`"
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var appended: UInt64 = 0
        /// Bytes of the records appended (headers included): what the journal itself writes.
        public var appendedBytes: UInt64 = 0
        /// `appendedBytes` by record type (types 0-7; the gateway uses 1-4), so the input's own
        /// share of the journal's writes can be told from its publications' (flash budget).
        public var appendedBytesByType = [UInt64](repeating: 0, count: 8)
        /// Records lost when the ring reclaimed a segment.
        public var droppedRecords: UInt64 = 0
        public var reclaimedSegments: UInt64 = 0
        public var syncs: UInt64 = 0
        public init() {}
    }
}
