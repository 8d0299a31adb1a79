/// `journal verify`: checks every record of a journal directory and says what opening it would
/// find and do. It walks the files with the writer's own recovery (`SegmentSet`, `RecoveryScan`),
/// read-only, so what it reports is what `run` does, in the same words.
public struct JournalVerification: Sendable, Equatable {
    public var records = 0
    public var firstSeq: UInt64?
    public var lastSeq: UInt64?
    public var firstTime: Int64?
    public var lastTime: Int64?
    public var segmentsInUse = 0
    public var segmentCount = 0
    /// Damage and file problems, each with what opening does about it.
    public var problems: [String] = []
    /// What opening does that is not damage (an interrupted last write it clears).
    public var notes: [String] = []
    /// The copies of damaged files opening would keep aside.
    public var setAside: [String] = []
    /// The seqs the damage took, as far as they can be known.
    public var lostSeqs: [ClosedRange<UInt64>] = []
    /// The seq the writer would give its next record.
    public var nextSeq: UInt64 = 1

    /// True when damage was found (a clean journal, or one with only an interrupted last write, is not corrupt).
    public var corrupt: Bool { !problems.isEmpty }

    public static func run(directory: String, fileSystem: FileSystem = POSIXFileSystem()) throws -> JournalVerification {
        var v = JournalVerification()
        let (layout, metaProblem) = try JournalLayout.forReading(directory: directory, fileSystem: fileSystem)
        if let metaProblem { v.problems.append(metaProblem) }
        let segments = try SegmentSet(layout: layout, fileSystem: fileSystem, repair: false)
        defer { segments.closeAll() }
        var checkpoint: CheckpointStore.Reading
        do {
            checkpoint = try CheckpointStore.peek(path: layout.checkpointPath, fileSystem: fileSystem)
        } catch {
            checkpoint = CheckpointStore.Reading(value: nil, durable: nil, unreadable: false, missing: false)
            v.problems.append("checkpoint cannot be read (\(error)); opening fails until it is moved aside")
        }
        let scan = try RecoveryScan(segments: segments, checkpoint: checkpoint) { record in
            v.firstTime = min(v.firstTime ?? record.time, record.time)
            v.lastTime = max(v.lastTime ?? record.time, record.time)
        }
        v.segmentCount = layout.segmentCount
        v.segmentsInUse = segments.used.count
        v.records = scan.records
        v.firstSeq = scan.firstSeq
        v.lastSeq = scan.lastSeq
        v.nextSeq = scan.nextSeq
        v.problems += segments.problems + segments.damage + scan.corruption
        v.setAside = segments.setAside
        v.lostSeqs = scan.lostSeqs
        if let note = scan.tornTailNote(writerRunning: layout.isHeldByWriter()) { v.notes.append(note) }
        if let note = Journal.pendingResizeNote(directory: directory, fileSystem: fileSystem) { v.notes.append(note) }
        // Evidence an earlier open kept aside stays until someone removes it: say it is there.
        for name in try fileSystem.list(directory) where name.contains(".damaged-") && !name.hasSuffix(".tmp") {
            v.notes.append("\(name) was kept aside by an earlier open (damaged data, for inspection; remove it when done)")
        }
        if case .damaged(let index, _, _) = scan.tail {
            v.setAside.append(try SegmentSet.asideName(for: layout.segmentPath(index), fileSystem: fileSystem, promised: v.setAside))
        }
        return v
    }

    public var summary: String {
        var lines = [
            "records: \(records)" + (firstSeq.map { " (seq \($0)...\(lastSeq ?? $0))" } ?? ""),
            "time span: " + (firstTime.map { "\($0)...\(lastTime ?? $0) ms" } ?? "empty"),
            "segments: \(segmentsInUse) of \(segmentCount) in use",
        ]
        lines.append(problems.isEmpty ? "corruption: none" : "corruption: \(problems.count) problem(s)")
        lines += problems.map { "  - \($0)" }
        lines += notes.map { "note: \($0)" }
        if !setAside.isEmpty { lines.append("damaged files kept aside by opening: \(setAside.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
