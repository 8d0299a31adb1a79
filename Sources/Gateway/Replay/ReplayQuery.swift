import Journal
import Recovery
import Wire

/// Selects past cleaned readings from the journal: those of one sensor (or all) with
/// `from <= ts < to`, in the order they were published. Shared by MQTT replay requests and the
/// offline `sensor-gateway replay` command, and reading the journal exactly as the live path
/// wrote it, so both give what was published.
public struct ReplayQuery: Sendable {
    public var sensorID: String?
    public var from: Int64
    public var to: Int64
    /// How long before `from` a matching reading may have been received: its `ts` can be ahead
    /// of its receipt by up to the future tolerance (a day by default), plus an hour for steps of
    /// the wall clock. Records received earlier are skipped without being read.
    public var receivedBeforeFromMs: Int64

    public init(sensorID: String?, from: Int64, to: Int64, futureToleranceMs: Int64? = EngineConfiguration.defaultFutureToleranceMs) {
        self.sensorID = sensorID
        self.from = from
        self.to = to
        receivedBeforeFromMs = (futureToleranceMs ?? 3_650 * 86_400_000) + 3_600_000
    }

    public struct Result: Sendable, Equatable {
        public var count = 0
        /// The answer may be incomplete: the journal no longer reaches back to `from`, or damage
        /// in the journal took records the window may have held (`damage` says which).
        public var truncated = false
        /// The journal's ring no longer reaches back to `from`.
        public var reclaimed = false
        /// The earliest event time the journal still holds, when reclaimed.
        public var oldestAvailable: Int64?
        /// The damage the read met, each with the records it took (empty when none): the damaged
        /// records cannot be read, so whether they lay in the window cannot be known.
        public var damage: [String] = []
    }

    /// Calls `emit` for each matching cleaned publication.
    public func run(journalDirectory: String, _ emit: (Publication) throws -> Void) throws -> Result {
        // An empty window holds nothing and misses nothing: answered without reading the journal
        // (found black-box, 84th review: it read the whole journal, holding a replay slot for a
        // second, so back-to-back requests were refused busy).
        guard from < to else { return Result() }
        // Every measurement of the sensor (`cleaned/<id>/<measurement>`).
        let wanted = sensorID.map { "cleaned/\($0)/" }
        var count = 0
        var result = try CleanedPublicationScan(from: from, receivedBeforeFromMs: receivedBeforeFromMs).run(
            journalDirectory: journalDirectory, matches: { p in wanted.map { p.topic.hasPrefix($0) } ?? true }
        ) { entry in
            if entry.ts >= from && entry.ts < to {
                count += 1
                try emit(entry.publication)
            }
            return true
        }
        result.count = count
        return result
    }
}
