import Journal
import Recovery

/// Selects past cleaned readings from the journal: those of one sensor (or all) with
/// `from <= ts < to`, in the order they were published. Shared by MQTT replay requests and the
/// offline `sensor-gateway replay` command, and reading the journal exactly as the live path
/// wrote it, so both give what was published.
public struct ReplayQuery: Sendable {
    public var sensorID: String?
    public var from: Int64
    public var to: Int64

    public init(sensorID: String?, from: Int64, to: Int64) {
        self.sensorID = sensorID
        self.from = from
        self.to = to
    }

    public struct Result: Sendable, Equatable {
        public var count = 0
        /// The journal no longer reaches back to `from`.
        public var truncated = false
        /// The earliest event time the journal still holds, when truncated.
        public var oldestAvailable: Int64?
    }

    /// Calls `emit` for each matching cleaned publication.
    public func run(journalDirectory: String, _ emit: (Publication) throws -> Void) throws -> Result {
        let reader = try JournalReader(directory: journalDirectory)
        var result = Result()
        let wanted = sensorID.map { "cleaned/\($0)/temperature" }
        var oldest: Int64?          // over the requested sensor(s)
        var oldestOverall: Int64?
        var firstSeq: UInt64?
        try reader.read { record in
            firstSeq = firstSeq ?? record.seq
            guard record.type == RecordType.publication.rawValue, record.flags == UInt16(Publication.Kind.cleaned.rawValue),
                  let p = JournalRecords.decodePublication(record.payload), let ts = CleanedMessage.eventTime(p.payload) else { return true }
            oldestOverall = min(oldestOverall ?? ts, ts)
            if let wanted, p.topic != wanted { return true }
            oldest = min(oldest ?? ts, ts)
            if ts >= from && ts < to {
                result.count += 1
                try emit(p)
            }
            return true
        }
        // Truncated only when the ring has overwritten data (the journal no longer starts at
        // seq 1) and what is left of the requested sensor(s) begins after `from` (or is gone).
        let reclaimed = (firstSeq ?? 1) > 1
        if reclaimed, oldest.map({ $0 > from }) ?? true {
            result.truncated = true
            result.oldestAvailable = oldest ?? oldestOverall
        }
        return result
    }
}
