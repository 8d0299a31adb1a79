/// `journal verify`: checks every record of a journal directory and summarises it.
public struct JournalVerification: Sendable, Equatable {
    public var records = 0
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?
    public var firstTime: Int64?
    public var lastTime: Int64?
    public var segmentsInUse = 0
    public var segmentCount = 0
    public var problems: [String] = []

    /// True when damage was found (a clean journal, or one with only an interrupted last write, is not corrupt).
    public var corrupt: Bool { !problems.isEmpty }

    public static func run(directory: String, fileSystem: FileSystem = POSIXFileSystem()) throws -> JournalVerification {
        let reader = try JournalReader(directory: directory, fileSystem: fileSystem)
        var v = JournalVerification()
        v.segmentCount = reader.layout.segmentCount
        v.segmentsInUse = reader.segmentsInUse
        var expected: UInt64?
        var gaps: [ClosedRange<UInt64>] = []
        let outcome = try reader.read { record in
            if let e = expected, record.seq > e { gaps.append(e...(record.seq - 1)) }
            expected = record.seq + 1
            v.records += 1
            v.firstSeq = v.firstSeq ?? record.seq
            v.lastSeq = record.seq
            v.firstTime = min(v.firstTime ?? record.time, record.time)
            v.lastTime = max(v.lastTime ?? record.time, record.time)
            return true
        }
        v.problems += reader.fileProblems + outcome.corruption
        // Damage inside a segment is reported above with the records it took; a gap in the seqs
        // that no such report explains (between segments) is reported on its own.
        for gap in gaps where !outcome.lostSeqs.contains(gap) {
            v.problems.append("records \(gap.lowerBound)...\(gap.upperBound) missing")
        }
        return v
    }

    public var summary: String {
        var lines = [
            "records: \(records)" + (firstSeq.map { " (seq \($0)...\(lastSeq!))" } ?? ""),
            "time span: " + (firstTime.map { "\($0)...\(lastTime!) ms" } ?? "empty"),
            "segments: \(segmentsInUse) of \(segmentCount) in use",
        ]
        lines.append(problems.isEmpty ? "corruption: none" : "corruption: \(problems.count) problem(s)")
        lines += problems.map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}
