#if canImport(Glibc)
    import Glibc
#endif

// Over 250 lines: opening (recovery), appending, syncing and the ring's reclaiming all keep one
// set of positions (next, written, durable, synced seqs; the active segment) consistent; split,
// those positions would have to be opened to every part.
/// The gateway's write-ahead journal: a ring of preallocated segment files within a fixed byte
/// budget. When full it reclaims the oldest whole segment (counting the records dropped), unless
/// that segment holds a record at or after `retainFrom`: unfinished work is never reclaimed, and
/// the append is refused with `JournalError.full` instead (without poisoning the journal).
///
/// One writer owns a `Journal` (it is not shareable between tasks); readers in this or another
/// process use `JournalReader` on the same directory while it appends.
public final class Journal {
    private struct Active {
        var index: Int
        var generation: UInt64
        var end: Int
    }

    private struct TimeIndexEntry {
        var maxTime: Int64
        var seq: UInt64
    }

    public let layout: JournalLayout
    public let fsync: FsyncMode
    public let syncIntervalMs: Int64
    public private(set) var report = RecoveryReport()
    public internal(set) var statistics = Statistics()
    /// The first seq still held (older ones were reclaimed); nil when empty.
    public private(set) var oldestSeq: UInt64?
    /// The seq the next append gets.
    public private(set) var nextSeq: UInt64 = 1
    /// Appends up to this seq are written to the files (visible to readers).
    public private(set) var writtenSeq: UInt64 = 0
    /// Appends up to this seq are durable by the configured fsync mode.
    public internal(set) var durableSeq: UInt64 = 0
    /// The last record a sync made durable (with `fsync never`, where `durableSeq` moves without
    /// one, only the explicit syncs: before a snapshot, at shutdown). What the checkpoint says was
    /// synced (`storeCheckpoint`); from the stored checkpoint at open.
    var syncedSeq: UInt64 = 0
    public let checkpoint: CheckpointStore
    /// Whether the checkpoint file was missing when the journal was opened (a journal holding
    /// records then reports it: its output will be republished).
    private let checkpointMissing: Bool
    private let lockHandle: Int32
    /// The handle locking the journal's directory (nil on file layers without directories).
    private let directoryLockHandle: Int32?
    /// Records from this seq on are still needed (unprocessed input, unacknowledged output):
    /// the ring never reclaims a segment holding one. nil lets the ring reclaim freely.
    public var retainFrom: UInt64?

    let fileSystem: FileSystem
    var segments: SegmentSet
    private var segmentCounts: [Int]
    /// First seq held by each segment file (nil when unused); the ring's oldest data moves to
    /// the next segment's first seq when one is reclaimed.
    private var segmentFirstSeqs: [UInt64?]
    private var active: Active?
    private var maxGeneration: UInt64 = 0
    /// Set when damage at open moved `nextSeq` past seqs the damage may have held: the next
    /// segment header records it.
    private var skippedFrom: UInt64 = 0
    private var buffer: [UInt8] = []
    /// Segment files written since the last sync began.
    var dirty = Set<Int>()
    var poisoned: String?
    private var lastSync: Int64 = 0
    private var timeIndex: [TimeIndexEntry] = []
    private var maxTime = Int64.min
    private static let indexEvery = 256
    static let tornTailClearBytes = 4096

    /// Opens (creating if needed) the journal in `layout.directory` and recovers it: takes the
    /// directory's lock (one writer per journal: `JournalError.locked` otherwise), heals a
    /// damaged `journal.meta` or segment file where no data is lost (keeping the damaged file
    /// aside), finds the newest data, clears a torn tail, reports damage, rebuilds the time index.
    ///
    /// With `resizeKeepingFrom`, a journal created with another size is resized in place to
    /// `layout` (see `JournalResize.swift`): every record from that seq is kept with its seq, older
    /// ones as far as they fit; refused only when those records do not fit. Without it, a size
    /// change is refused. `Journal.plan` says beforehand what opening will do.
    public init(
        layout requested: JournalLayout, fsync: FsyncMode = .interval, syncIntervalMs: Int64 = FsyncMode.defaultIntervalMs,
        resizeKeepingFrom: UInt64? = nil, fileSystem: FileSystem = POSIXFileSystem()
    ) throws {
        self.fileSystem = fileSystem
        self.fsync = fsync
        self.syncIntervalMs = syncIntervalMs
        layout = requested
        var report = RecoveryReport()
        do {
            try fileSystem.makeDirectory(requested.directory)
            // Before anything is read or repaired: a second writer must not touch the files. The
            // directory is locked as well as the lock file, so deleting the lock file by hand
            // under a running gateway does not let a second one in (found black-box).
            let directoryLock = try fileSystem.lockDirectoryExclusively(requested.directory)
            if directoryLock == .heldElsewhere { throw JournalError.locked(path: requested.lockPath) }
            if case .held(let h) = directoryLock { directoryLockHandle = h } else { directoryLockHandle = nil }
            guard let lock = try fileSystem.lockExclusively(requested.lockPath) else {
                if let directoryLockHandle { fileSystem.close(directoryLockHandle) }
                throw JournalError.locked(path: requested.lockPath)
            }
            lockHandle = lock
            do {
                switch try Journal.finishPendingResize(requested, fileSystem: fileSystem) {
                case .removed(let note): report.fileProblems.append(note)
                case .finished(let summary): report.resized = summary + " (finished at this start: the start that began it was stopped before it ended)"
                case nil: break
                }
                // No meta file and no segment yet: a new journal, whose segments are created,
                // not reported missing (the gateway says once that it started a new journal).
                let creating =
                    !fileSystem.exists(requested.metaPath) && !(0..<requested.segmentCount).contains { fileSystem.exists(requested.segmentPath($0)) }
                report.created = creating
                do {
                    try Journal.checkMeta(requested, resizeKeepingFrom: resizeKeepingFrom, fileSystem: fileSystem, report: &report)
                    segments = try SegmentSet(layout: requested, fileSystem: fileSystem, repair: true, creating: creating)
                } catch let error where creating && Journal.isDiskFull(error) {
                    throw Journal.noRoomToCreate(requested, error, fileSystem: fileSystem)
                }
            } catch {
                fileSystem.close(lock)
                if let directoryLockHandle { fileSystem.close(directoryLockHandle) }
                throw error
            }
            let missingOrShort = CheckpointStore.isMissingOrShort(path: requested.checkpointPath, fileSystem: fileSystem)
            do {
                checkpoint = try CheckpointStore(path: requested.checkpointPath, fileSystem: fileSystem)
            } catch {
                segments.closeAll()
                fileSystem.close(lock)
                if let directoryLockHandle { fileSystem.close(directoryLockHandle) }
                // The segments fitted and the checkpoint did not: refused as a setting too, with
                // nothing kept (found black-box, 85th review: exit 74 with 17 MB left behind, and
                // the same at every restart).
                if report.created && Journal.isDiskFull(error) {
                    try? fileSystem.remove(requested.checkpointPath)
                    throw Journal.noRoomToCreate(requested, error, fileSystem: fileSystem)
                }
                throw error
            }
            // A short file whose one whole slot still reads keeps that value (as after a torn write).
            checkpointMissing = missingOrShort && checkpoint.value == nil
        } catch let e as FileSystemError {
            throw JournalError.io(e)
        }
        report.fileProblems += segments.problems
        report.corruption += segments.damage
        report.setAside += segments.setAside
        self.report = report
        segmentCounts = Array(repeating: 0, count: layout.segmentCount)
        segmentFirstSeqs = Array(repeating: nil, count: layout.segmentCount)
        do { try recover() } catch let e as FileSystemError { throw JournalError.io(e) }
    }

    /// Whether `error` is the disk running out of room.
    static func isDiskFull(_ error: Error) -> Bool {
        switch error {
        case let e as FileSystemError: e.code == ENOSPC
        case JournalError.io(let e): e.code == ENOSPC
        default: false
        }
    }

    /// A new journal the disk cannot hold: the files made so far are removed, so the next
    /// start finds no half-made journal to report as damaged, and the start is refused as a
    /// setting (exit 78, not restarted), not an I/O failure restarted every 2 s (found black-box:
    /// 6 of 16 segments left, then `config check` said "damaged" and a smaller size was refused).
    static func noRoomToCreate(_ layout: JournalLayout, _ error: Error, fileSystem: FileSystem) -> JournalError {
        for i in 0..<layout.segmentCount { try? fileSystem.remove(layout.segmentPath(i)) }
        try? fileSystem.remove(layout.metaPath)
        try? fileSystem.syncDirectory(layout.directory)
        let needed = layout.ringBytes
        return .invalidConfiguration(
            "a new journal of \(layout.segmentCount) segments of \(layout.segmentSize) bytes needs \(needed) bytes of disk, and the disk is full (\(error)); no segment was kept: free space, or lower journal-max-bytes"
        )
    }

    deinit {
        segments.closeAll()
        fileSystem.close(lockHandle)
        if let directoryLockHandle { fileSystem.close(directoryLockHandle) }
    }

    /// Why a journal whose meta file its segment files disagree with (`segmentsDisagree`) is not
    /// opened (`checkMeta`; `plan` predicts it).
    static func metaDisagreement(_ disagreement: String, verify: String) -> String {
        "\(disagreement); nothing was changed. \(verify); then set journal-max-bytes to match and restore journal.meta, or move the directory aside"
    }

    /// Checks `journal.meta` against the configured layout, writing it when missing and healing
    /// it when damaged, as long as the segment files agree with the configuration (or hold
    /// nothing); otherwise refuses, naming the file and the next step.
    static func checkMeta(_ requested: JournalLayout, resizeKeepingFrom: UInt64?, fileSystem: FileSystem, report: inout RecoveryReport) throws {
        let directory = requested.directory
        let verify = "run `sensor-gateway journal verify\(requested.verifyArguments)` to see what it holds"
        switch JournalLayout.readMeta(in: directory, fileSystem: fileSystem) {
        case .valid(let stored):
            // A meta file that disagrees with the segment files (replaced or damaged by hand, or
            // a resize's swap interrupted and its staging folder removed) would have every
            // segment salvaged, or copied by a resize, at the wrong size, losing what lies past
            // it: refused instead (found black-box, 53rd review: a resize then dropped 166,000
            // records of segments the meta file called smaller than they were).
            if let disagreement = stored.segmentsDisagree(mixedSizes: stored != requested && resizeKeepingFrom != nil, fileSystem: fileSystem) {
                throw JournalError.invalidConfiguration(Self.metaDisagreement(disagreement, verify: verify))
            }
            if stored != requested, let keep = resizeKeepingFrom {
                let resized = try Journal.resize(from: stored, to: requested, keepingFrom: keep, fileSystem: fileSystem)
                report.resized = resized.summary
                // Reported at this start whatever the copy kept (damage in records a shrink
                // dropped is gone from the journal, but the disk had it; found black-box: such
                // a start said ok). What it kept is reported again at every open.
                report.corruption += resized.damage.map { "found before the resize: \($0)" }
                return
            }
            guard stored == requested else {
                throw JournalError.invalidConfiguration(
                    "journal in \(directory) was created with \(stored.segmentCount) segments of \(stored.segmentSize) bytes; "
                        + "the configured size gives \(requested.segmentCount) of \(requested.segmentSize). Keep the old journal-max-bytes or move the directory aside."
                )
            }
        case .missing:
            let (inferred, hasData) = JournalLayout.inferred(in: directory, fileSystem: fileSystem)
            if hasData {
                guard inferred == requested else {
                    throw JournalError.invalidConfiguration(
                        "\(requested.metaPath) is missing and the segment files in \(directory) "
                            + (inferred.map { "were written with \($0.segmentCount) segments of \($0.segmentSize) bytes" } ?? "do not show one layout")
                            + ", not the configured \(requested.segmentCount) of \(requested.segmentSize); nothing was changed. \(verify); then set journal-max-bytes to match, or move the directory aside"
                    )
                }
                report.fileProblems.append("journal.meta was missing; rewritten from the configuration, which the segment files agree with")
            }
            try AtomicFile.write(Array(requested.metaText.utf8), to: requested.metaPath, fileSystem: fileSystem)
        case .unreadable(let why):
            let (inferred, hasData) = JournalLayout.inferred(in: directory, fileSystem: fileSystem)
            guard !hasData || inferred == requested else {
                throw JournalError.invalidConfiguration(
                    "\(requested.metaPath) is unreadable (\(why)) and the segment files "
                        + (inferred.map { "were written with \($0.segmentCount) segments of \($0.segmentSize) bytes" } ?? "do not show one layout")
                        + ", not the configured \(requested.segmentCount) of \(requested.segmentSize); nothing was changed. \(verify); then set journal-max-bytes to match, or move the directory aside"
                )
            }
            let names = (try? fileSystem.list(directory)) ?? []
            let taken = names.compactMap { $0.hasPrefix("journal.meta.damaged-") ? Int($0.dropFirst(21)) : nil }
            let aside = "\(requested.metaPath).damaged-\((taken.max() ?? 0) + 1)"
            try fileSystem.rename(requested.metaPath, to: aside)
            try AtomicFile.write(Array(requested.metaText.utf8), to: requested.metaPath, fileSystem: fileSystem)
            report.fileProblems.append(
                "journal.meta was unreadable (\(why)); rewritten from the configuration, which the segment files agree with; the old one is kept as \(aside)")
            report.setAside.append(aside)
        }
    }

    private func recover() throws {
        let cp = CheckpointStore.Reading(
            value: checkpoint.value, durable: checkpoint.durable, unreadable: checkpoint.unreadable, missing: checkpointMissing)
        let scan = try RecoveryScan(segments: segments, checkpoint: cp) { record in noteTime(record.time, seq: record.seq) }
        report.records = scan.records
        report.corruption += scan.corruption
        report.lostSeqs += scan.lostSeqs
        segmentCounts = scan.counts
        segmentFirstSeqs = scan.firstSeqs
        oldestSeq = scan.firstSeq
        maxGeneration = scan.maxGeneration
        nextSeq = max(1, scan.nextSeq)
        if let a = scan.active {
            active = Active(index: a.index, generation: a.generation, end: a.end)
        }
        switch scan.tail {
        case .clean:
            // Seqs skipped past records the checkpoint knew of: appends continue in the next
            // segment, whose header records the skip, so the hole is reported once (now), not as
            // a jump inside a segment at every open.
            if let last = scan.skippedAfter {
                skippedFrom = last &+ 1
                active?.end = layout.segmentSize
            }
        case .torn(let index, let from, let to):
            // Zeroing the torn write is enough for the next open to see a clean end (whatever
            // follows fails its checksum or is a former lap's): the rest of the segment is not
            // rewritten. Idempotent: a crash here leaves the same tail to clear again.
            report.tornTail = true
            try clear(index, from: from, to: max(to, min(from + Journal.tornTailClearBytes, layout.segmentSize)))
        case .damaged(let index, let from, let to):
            let path = layout.segmentPath(index)
            let aside = try SegmentSet.keepCopy(of: segments.handles[index], path: path, fileSystem: fileSystem)
            report.setAside.append(aside)
            try clear(index, from: from, to: to)
            // Appends continue in the next segment, whose header records the seqs skipped, so
            // the hole is reported once (now), not at every open.
            skippedFrom = scan.tailLast &+ 1
            active?.end = layout.segmentSize
        }
        writtenSeq = nextSeq - 1
        durableSeq = writtenSeq
        syncedSeq = min(checkpoint.durable ?? 0, writtenSeq)
    }

    private func clear(_ index: Int, from: Int, to: Int) throws {
        let end = min(to, layout.segmentSize)
        guard end > from else { return }
        var offset = from
        while offset < end {
            let n = min(1 << 20, end - offset)
            try fileSystem.write(segments.handles[index], bytes: [UInt8](repeating: 0, count: n), at: offset)
            offset += n
        }
        try fileSystem.sync(segments.handles[index])
    }

    /// Keeps the sparse time index (every 256th record, with the largest time seen so far), from
    /// which `oldestTime` answers how far back the ring reaches. Replays find their start from
    /// the segment headers instead (`JournalReader.start(receivedFrom:)`), since they run in
    /// other processes.
    private func noteTime(_ time: Int64, seq: UInt64) {
        if time > maxTime { maxTime = time }
        if (seq &- 1) % UInt64(Journal.indexEvery) == 0 { timeIndex.append(TimeIndexEntry(maxTime: maxTime, seq: seq)) }
    }

    // MARK: - Appending

    /// Appends a record to the write buffer and returns its seq. It reaches the files at the
    /// next `commit()` (or when the buffer fills a segment).
    @discardableResult
    public func append(type: UInt16, flags: UInt16 = 0, time: Int64, payload: UnsafeRawBufferPointer) throws -> UInt64 {
        if let poisoned { throw JournalError.poisoned(poisoned) }
        let size = RecordFormat.paddedSize(payload: payload.count)
        guard payload.count <= maxRecordPayload else { throw JournalError.recordTooLarge(payload.count) }
        if active == nil || active!.end + buffer.count + size > layout.segmentSize {
            try guarded { try flushBuffer() }
            let next = nextSegmentIndex
            if segmentCounts[next] > 0, let keep = retainFrom, lastSeq(inSegment: next) >= keep {
                throw JournalError.full
            }
            try guarded { try rotate() }
        }
        let seq = nextSeq
        let before = buffer.count
        RecordFormat.encode(seq, time, type, flags, payload, generation: active!.generation, into: &buffer)
        nextSeq += 1
        segmentCounts[active!.index] += 1
        statistics.appended += 1
        statistics.appendedBytes += UInt64(buffer.count - before)
        if type < 8 { statistics.appendedBytesByType[Int(type)] += UInt64(buffer.count - before) }
        if oldestSeq == nil { oldestSeq = seq }
        noteTime(time, seq: seq)
        return seq
    }

    @discardableResult
    public func append(type: UInt16, flags: UInt16 = 0, time: Int64, payload: [UInt8]) throws -> UInt64 {
        try payload.withUnsafeBytes { try append(type: type, flags: flags, time: time, payload: $0) }
    }

    /// How long until `commit` at monotonic time `now` would sync in `interval` mode (0: it would
    /// now), so a caller waiting for durability can wake exactly then.
    public func millisecondsUntilSync(now: Int64) -> Int64 {
        fsync == .interval ? max(0, lastSync + syncIntervalMs - now) : 0
    }

    /// Writes buffered appends to the files and, by the fsync mode, makes them durable.
    /// `now` (monotonic ms) paces `interval` mode.
    public func commit(now: Int64) throws {
        if let poisoned { throw JournalError.poisoned(poisoned) }
        try guarded { try flushBuffer() }
        switch fsync {
        case .always: try sync()
        case .interval: if now - lastSync >= syncIntervalMs { try sync(); lastSync = now }
        case .never: durableSeq = writtenSeq
        }
    }

    /// Writes buffered appends to the files (where a crash of this process can no longer lose
    /// them) without syncing. With `fsync never` that is all durability means, so they count
    /// as durable too.
    public func write() throws {
        if let poisoned { throw JournalError.poisoned(poisoned) }
        try guarded { try flushBuffer() }
        if fsync == .never { durableSeq = writtenSeq }
    }

    /// Makes everything written so far durable now (start-up, shutdown, before a snapshot),
    /// on the caller's thread. A writer shared between threads uses `beginSync` and
    /// `finishSync` instead, so that appends need not wait for the disk.
    public func sync() throws {
        guard let pending = try beginSync() else { return }
        var failure: (any Error)?
        do { try pending.run() } catch { failure = error }
        try finishSync(pending, failure: failure)
    }

    /// Runs file work; any failure poisons the journal (a retried fsync can report success for
    /// data it already lost, so nothing is retried until reopen).
    func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            poisoned = "\(error)"
            throw (error as? FileSystemError).map(JournalError.io) ?? error
        }
    }

    public var isPoisoned: Bool { poisoned != nil }

    func flushBuffer() throws {
        guard let a = active, !buffer.isEmpty else { return }
        // The write ends with a record header's worth of zeros (where there is room), so what
        // follows the newest record reads as a clean end even in a segment reused from a former
        // lap of the ring; the next write starts over them. Non-zero bytes there at open are
        // then a write that was interrupted, not old data.
        let records = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: min(RecordFormat.headerSize, layout.segmentSize - a.end - records)))
        try fileSystem.write(segments.handles[a.index], bytes: buffer, at: a.end)
        active!.end += records
        buffer.removeAll(keepingCapacity: true)
        dirty.insert(a.index)
        writtenSeq = nextSeq - 1
    }

    /// The segment file the ring moves to next.
    private var nextSegmentIndex: Int {
        active.map { ($0.index + 1) % layout.segmentCount } ?? (segments.used.first?.index ?? 0)
    }

    /// The last seq a used segment holds: one before the first seq of the next segment after it
    /// that holds any (a segment recreated empty after it was lost is passed over: else the one
    /// before it would seem to hold the newest records, and the ring could never reclaim it).
    private func lastSeq(inSegment index: Int) -> UInt64 {
        (firstSeq(after: index) ?? nextSeq) &- 1
    }

    /// The first seq of the next segment after `index`, in ring order, that has one.
    private func firstSeq(after index: Int) -> UInt64? {
        var i = (index + 1) % layout.segmentCount
        while i != index {
            if let first = segmentFirstSeqs[i] { return first }
            i = (i + 1) % layout.segmentCount
        }
        return nil
    }

    /// Bytes that can still be appended without reclaiming anything at or after `retainFrom`
    /// (record headers and padding included, so a little less payload fits).
    public var appendableBytes: Int { appendableBytes(upTo: .max) }

    /// Whether at least `bytes` can be appended (as `appendableBytes >= bytes`, but it stops
    /// counting once there is enough: the ingest path asks for every message).
    public func canAppend(bytes: Int) -> Bool { appendableBytes(upTo: bytes) >= bytes }

    /// `appendableBytes`, counted only until it reaches `limit`.
    private func appendableBytes(upTo limit: Int) -> Int {
        let usable = layout.segmentSize - SegmentHeader.size
        guard let a = active else { return usable * layout.segmentCount }
        var free = layout.segmentSize - a.end - buffer.count
        var i = (a.index + 1) % layout.segmentCount
        while i != a.index && free < limit {
            if segmentCounts[i] > 0, let keep = retainFrom, lastSeq(inSegment: i) >= keep { break }
            free += usable
            i = (i + 1) % layout.segmentCount
        }
        return free
    }

    /// The time of the oldest records held, to within `indexEvery` records (nil when empty): how
    /// far back replays can reach.
    public var oldestTime: Int64? { timeIndex.first?.maxTime }

    /// The ring's whole usable size.
    public var capacityBytes: Int { (layout.segmentSize - SegmentHeader.size) * layout.segmentCount }

    /// The largest payload one record can carry.
    public var maxRecordPayload: Int { layout.maxRecordPayload }

    /// Moves to the next segment file, reclaiming it if it holds the oldest data.
    private func rotate() throws {
        let index = nextSegmentIndex
        if segmentCounts[index] > 0 {
            try Journal.checkReclaim(lastSeq: lastSeq(inSegment: index), retainFrom: retainFrom)
            statistics.droppedRecords += UInt64(segmentCounts[index])
            statistics.reclaimedSegments += 1
            let newOldest = firstSeq(after: index) ?? nextSeq
            oldestSeq = newOldest
            timeIndex.removeAll { $0.seq < newOldest }
            segmentCounts[index] = 0
        }
        segmentFirstSeqs[index] = nextSeq
        maxGeneration += 1
        let header = SegmentHeader(generation: maxGeneration, baseSeq: nextSeq, segmentSize: UInt64(layout.segmentSize), skippedFrom: skippedFrom)
        skippedFrom = 0
        try fileSystem.write(segments.handles[index], bytes: header.encode(), at: 0)
        dirty.insert(index)
        active = Active(index: index, generation: maxGeneration, end: SegmentHeader.size)
    }
}
