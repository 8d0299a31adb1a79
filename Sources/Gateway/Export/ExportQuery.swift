#if canImport(Glibc)
    import Glibc
#endif
import Recovery
import Wire

/// The cleaned stream of a window as consumers saw it, with restatements applied: each
/// (sensor, measurement, boot, seq) once, with its last value and quality. What
/// `sensor-gateway export` writes.
///
/// Two passes over the journal, both streaming: the first finds the restated seqs
/// (`RestatementIndex`, bounded) and where the journal ends now; the second, up to that end,
/// gives each message in the window in publication order, leaving out the `synthetic` and
/// `corrected` ones a later `restated` message replaces. A `restated` message comes where it
/// was published. Read-only, no lock: it runs beside a gateway appending to the same journal,
/// and what that gateway appends after the first pass is left to the next export.
public struct ExportQuery: Sendable {
    public var sensorID: String?
    public var measurement: String?
    public var from: Int64
    public var to: Int64
    /// As `ReplayQuery`'s: how long before `from` a reading of the window may have been received.
    public var receivedBeforeFromMs: Int64

    public init(sensorID: String?, measurement: String?, from: Int64, to: Int64) {
        self.sensorID = sensorID
        self.measurement = measurement
        self.from = from
        self.to = to
        receivedBeforeFromMs = ReplayQuery(sensorID: sensorID, from: from, to: to).receivedBeforeFromMs
    }

    /// How far the export has come, for a progress indicator.
    public struct Progress: Sendable {
        public enum Phase: Sendable { case indexing, writing }
        public var phase: Phase
        /// Cleaned messages of the requested streams read in this pass.
        public var read: Int
        /// How many the writing pass will read (nil while indexing).
        public var total: Int?
        public var written: Int
    }

    /// Calls `emit` for each row of the export, and `progress` after each message read.
    public func run(
        journalDirectory: String, progress: (Progress) -> Void = { _ in }, _ emit: (ExportRow) throws -> Void
    ) throws -> ReplayQuery.Result {
        let scan = CleanedPublicationScan(from: from, receivedBeforeFromMs: receivedBeforeFromMs)
        let matches = { (p: Publication) -> Bool in self.matches(topic: p.topic) }
        var index = RestatementIndex()
        var end: UInt64?
        var total = 0
        let first = try scan.run(journalDirectory: journalDirectory, matches: matches) { entry in
            total += 1
            end = entry.journalSeq
            if Self.isRestated(entry.publication.payload),
                let row = ExportRow(topic: entry.publication.topic, payload: entry.publication.payload, ts: entry.ts),
                row.quality == "restated"
            {
                try index.note(row, at: entry.position)
            }
            progress(Progress(phase: .indexing, read: total, total: nil, written: 0))
            return true
        }
        guard let end else { return first }
        var read = 0, written = 0
        var result = try scan.run(journalDirectory: journalDirectory, through: end, matches: matches) { entry in
            read += 1
            if entry.ts >= from && entry.ts < to,
                let row = ExportRow(topic: entry.publication.topic, payload: entry.publication.payload, ts: entry.ts),
                !index.isSuperseded(row, at: entry.position)
            {
                written += 1
                try emit(row)
            }
            progress(Progress(phase: .writing, read: read, total: total, written: written))
            return true
        }
        result.count = written
        return result
    }

    /// `cleaned/<sensor>/<measurement>` of the requested sensor(s) and measurement(s).
    func matches(topic: String) -> Bool {
        if sensorID == nil && measurement == nil { return topic.hasPrefix("cleaned/") && topic.utf8.count(where: { $0 == UInt8(ascii: "/") }) == 2 }
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 3, levels[0] == "cleaned" else { return false }
        if let sensorID, levels[1] != sensorID { return false }
        if let measurement, levels[2] != measurement { return false }
        return true
    }

    private static let restatedMarker = Array(#""quality":"restated""#.utf8)

    /// A quick look for `"quality":"restated"` (the gateway writes it so), before parsing.
    static func isRestated(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBufferPointer { p in
            restatedMarker.withUnsafeBufferPointer { m in
                guard p.count >= m.count, let base = p.baseAddress, let marker = m.baseAddress else { return false }
                for i in 0...(p.count - m.count) where p[i] == m[0] && memcmp(base + i, marker, m.count) == 0 { return true }
                return false
            }
        }
    }
}
