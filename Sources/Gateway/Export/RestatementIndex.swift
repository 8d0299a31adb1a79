/// The seqs a journal restates, found in a first pass so that the export can drop the estimates
/// they replace in a second one without holding the window in memory.
///
/// Memory: one entry per restated seq in the range read (about 60 bytes; restatements are at most
/// one per filled or corrected seq, within the late horizon), plus one per stream. At most
/// `limit` entries: past that the export stops with an error rather than grow without bound.
struct RestatementIndex {
    /// Far above what a journal of the default size (256 MiB) can hold (under 1.5 million
    /// cleaned messages of the smallest size): about 100 MB at most.
    static let limit = 2_000_000

    struct TooMany: Error, CustomStringConvertible {
        var description: String {
            "more than \(RestatementIndex.limit) restated readings in the range the export reads; export one --sensor at a time"
        }
    }

    private struct Key: Hashable {
        var stream: Int32
        var seq: UInt64
    }

    /// A stream is (sensor, measurement, boot); the topic names the first two.
    private var streams: [String: Int32] = [:]
    /// Each restated key's latest restatement, by its place in the journal.
    private var latest: [Key: CleanedPublicationScan.JournalPosition] = [:]

    var count: Int { latest.count }

    private static func streamName(_ row: ExportRow) -> String { "\(row.sensorID)/\(row.measurement)/\(row.boot ?? "-")" }

    /// Records that `row`, a `restated` message, was journaled at `position`.
    mutating func note(_ row: ExportRow, at position: CleanedPublicationScan.JournalPosition) throws {
        let name = Self.streamName(row)
        let stream: Int32
        if let known = streams[name] {
            stream = known
        } else {
            stream = Int32(streams.count)
            streams[name] = stream
        }
        let key = Key(stream: stream, seq: row.seq)
        if latest[key] == nil && latest.count >= Self.limit { throw TooMany() }
        latest[key] = max(latest[key] ?? position, position)
    }

    /// Whether `row`, journaled at `position`, is replaced by a restatement journaled after it.
    /// (A sensor without `boot` that restarts repeats its seqs: a restatement then also replaces
    /// an unrestated estimate of the same seq from the earlier epoch. Sensors that send `boot`
    /// keep their epochs apart.)
    func isSuperseded(_ row: ExportRow, at position: CleanedPublicationScan.JournalPosition) -> Bool {
        guard row.isRestatable, let stream = streams[Self.streamName(row)], let restated = latest[Key(stream: stream, seq: row.seq)]
        else { return false }
        return restated > position
    }
}
