#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Changing a journal's size in place (issue 28): the records to keep are copied into the new
/// layout in `<journal>/resize/`, with their seqs unchanged, and swapped in by renames.
///
/// Crash safety: the copy is committed by writing `resize/journal.meta` (atomically, last). Until
/// then the old journal is untouched and an interrupted copy is thrown away at the next open;
/// after it, every open first finishes the swap (renames that are skipped once done), so the
/// operation is idempotent whatever moment a crash comes.
extension Journal {
    /// What a start found of a resize an earlier start left unfinished.
    enum PendingResize: Equatable {
        /// Staging that was never committed, or an empty staging folder, removed: a note for
        /// the report's file problems.
        case removed(String)
        /// A committed resize finished here: what it did, as the start that began it would
        /// have logged it (the summary staged beside the copy, when it was written).
        case finished(String)
    }

    /// The file in the staging folder holding the resize's summary, written before the commit.
    static let stagedSummaryName = "resize.summary"

    /// Finishes a committed resize (`resize/journal.meta` present) or throws away an interrupted
    /// one, and removes the staging folder. Called under the writer's lock before anything else
    /// is read. Says what it did, so a resize finished by a later start is logged as `journal
    /// resized` as one finished at once is (found black-box: the finishing start logged only
    /// `journal opened`). An empty staging folder (left by a start stopped right after a
    /// resize's last rename, or before its copy began) is removed (found black-box: it stayed).
    ///
    /// `verifyingCopy`: a copy an earlier start committed is checked first, and thrown away if
    /// it is damaged while the old journal is still whole (`damageInStagedCopy`); one this start
    /// just wrote and synced is not read again.
    @discardableResult
    static func finishPendingResize(_ layout: JournalLayout, verifyingCopy: Bool = true, fileSystem: FileSystem) throws -> PendingResize? {
        let staging = "\(layout.directory)/resize"
        let names = (try? fileSystem.list(staging)) ?? []
        guard !names.isEmpty else {
            guard fileSystem.exists(staging) else { return nil }
            try fileSystem.remove(staging)
            try fileSystem.syncDirectory(layout.directory)
            return .removed("an empty resize folder, left by a start stopped during or right after a resize, was removed")
        }
        let staged = (try? AtomicFile.read("\(staging)/\(stagedSummaryName)", fileSystem: fileSystem)).flatMap { $0 }
        if names == [stagedSummaryName], let staged {
            // Swapped in (the meta is renamed last), only its summary left: done, not yet said.
            try fileSystem.remove("\(staging)/\(stagedSummaryName)")
            try fileSystem.remove(staging)
            try fileSystem.syncDirectory(layout.directory)
            return .finished(String(decoding: staged, as: UTF8.self))
        }
        guard case .valid(let target) = JournalLayout.readMeta(in: staging, fileSystem: fileSystem) else {
            if let midSwap = unreadableCommitMidSwap(staging: staging, directory: layout.directory, fileSystem: fileSystem) {
                throw JournalError.invalidConfiguration(midSwap)
            }
            // Not committed (or committed and its meta file damaged before the swap began): the
            // old journal is whole; the partial copy goes, and is said.
            for name in names { try fileSystem.remove("\(staging)/\(name)") }
            try fileSystem.remove(staging)
            try fileSystem.syncDirectory(layout.directory)
            return .removed(
                "the partial copy of an interrupted resize (\(names.count) file(s) in resize/) was removed; the journal is as it was before it")
        }
        if verifyingCopy, let damage = damageInStagedCopy(target.moved(to: staging), fileSystem: fileSystem) {
            try discardStagedCopy(staging, in: layout.directory, fileSystem: fileSystem)
            return .removed(
                "a resize to \(target.segmentCount) segments of \(target.segmentSize) bytes was committed by an earlier start that stopped before swapping it in, and its copy was damaged since (\(damage.joined(separator: "; "))): the copy was removed and the journal is as it was before it"
            )
        }
        // Finished under a meta file the copy disagrees with, or to another size than the one
        // configured now, the swap would be followed by a resize from the wrong size (found
        // black-box, 53rd review: 166,000 records lost): refused, as `plan` predicts.
        if let disagreement = stagedMetaDisagreement(target, staging: staging, directory: layout.directory, fileSystem: fileSystem) {
            throw JournalError.invalidConfiguration(disagreement)
        }
        guard target.segmentCount == layout.segmentCount, target.segmentSize == layout.segmentSize else {
            throw JournalError.invalidConfiguration(pendingResizeOfOtherSize(target))
        }
        let summary =
            staged.map { String(decoding: $0, as: UTF8.self) }
            ?? "journal resized to \(target.segmentCount) segments of \(target.segmentSize) bytes"
        let finalLayout = target.moved(to: layout.directory)
        // The new segments replace the old by rename, and only then do old segments beyond the
        // new count go: until the first rename the old journal is whole (`damageInStagedCopy`).
        for i in 0..<target.segmentCount where fileSystem.exists("\(staging)/\(JournalLayout.segmentName(i))") {
            try fileSystem.rename("\(staging)/\(JournalLayout.segmentName(i))", to: finalLayout.segmentPath(i))
        }
        for name in try fileSystem.list(layout.directory) {
            if let i = JournalLayout.segmentIndex(ofName: name), i >= target.segmentCount, name == JournalLayout.segmentName(i) {
                try fileSystem.remove("\(layout.directory)/\(name)")
            }
        }
        try fileSystem.syncDirectory(layout.directory)
        try fileSystem.rename("\(staging)/journal.meta", to: finalLayout.metaPath)
        try fileSystem.syncDirectory(layout.directory)
        for name in (try? fileSystem.list(staging)) ?? [] { try fileSystem.remove("\(staging)/\(name)") }
        try fileSystem.syncDirectory(staging)
        try fileSystem.remove(staging)
        try fileSystem.syncDirectory(layout.directory)
        return .finished(summary)
    }

    /// Copies the records to keep from the journal in `stored` into `requested`'s layout and swaps
    /// it in. Throws `invalidConfiguration` when the records from `keepingFrom` do not fit.
    static func resize(
        from stored: JournalLayout, to requested: JournalLayout, keepingFrom: UInt64, fileSystem: FileSystem
    ) throws -> (summary: String, damage: [String]) {
        let packing = try ResizePacking(from: stored, to: requested, keepingFrom: keepingFrom, fileSystem: fileSystem)
        if let refusal = packing.refusal { throw JournalError.invalidConfiguration(refusal) }
        if packing.nextSeq > (packing.lastSeq ?? 0) &+ 1 {
            try keepSeqFloor(packing.nextSeq, checkpointPath: stored.checkpointPath, fileSystem: fileSystem)
        }
        let staging = "\(requested.directory)/resize"
        do {
            try stage(packing, from: stored, to: requested, in: staging, fileSystem: fileSystem)
        } catch let error as FileSystemError {
            // Nothing is committed: the old journal is whole. The partial copy goes, so a full
            // disk is not left fuller, and a copy the disk cannot hold is refused as a setting
            // (exit 78, not restarted), not an I/O failure restarted every 2 s (found black-box).
            removeStaging(staging, in: requested.directory, fileSystem: fileSystem)
            guard error.code == ENOSPC else { throw error }
            let needed = requested.ringBytes
            throw JournalError.invalidConfiguration(
                "resizing the journal to \(requested.segmentCount) segments of \(requested.segmentSize) bytes needs \(needed) bytes of disk beside the old journal until it is swapped in, and the disk is full (\(error)); nothing was changed: free space, or keep the old journal-max-bytes"
            )
        }
        let summary =
            "journal resized from \(stored.segmentCount) segments of \(stored.segmentSize) bytes to \(requested.segmentCount) of \(requested.segmentSize): "
            + "\(packing.kept) records kept" + (packing.keptFrom.map { " (from seq \($0))" } ?? "")
            + (packing.dropped > 0 ? ", \(packing.dropped) older records did not fit and were dropped" : "")
            + (packing.damage.isEmpty
                ? ""
                : "; the old journal was damaged (\(packing.damage.joined(separator: "; "))): records lost there that the resize keeps in range stay a hole every open and read reports")
        let target = requested.moved(to: staging)
        do {
            // Staged with the copy, so a start that finishes this resize after a crash says the same.
            try AtomicFile.write(Array(summary.utf8), to: "\(staging)/\(stagedSummaryName)", fileSystem: fileSystem)
            // The commit point: its file is written whole before it is renamed into place, so a
            // full disk fails it uncommitted.
            try AtomicFile.write(Array(target.metaText.utf8), to: target.metaPath, fileSystem: fileSystem)
        } catch let error as FileSystemError where error.code == ENOSPC && !fileSystem.exists(target.metaPath) {
            // The copy fitted and its two small files did not (found black-box, 85th review: exit
            // 74, the copy left filling the disk, and the same at every restart).
            removeStaging(staging, in: requested.directory, fileSystem: fileSystem)
            throw JournalError.invalidConfiguration(
                "resizing the journal to \(requested.segmentCount) segments of \(requested.segmentSize) bytes needs \(requested.ringBytes) bytes of disk and a little more beside the old journal until it is swapped in, and the disk is full (\(error)); nothing was changed: free space, or keep the old journal-max-bytes"
            )
        }
        try finishPendingResize(requested, verifyingCopy: false, fileSystem: fileSystem)
        return (summary, packing.damage)
    }

    /// Raises the checkpoint's synced mark to `nextSeq - 1` when the old journal's recovery moved
    /// its next seq past records its newest segment lost: the resized journal's recovery then
    /// reports them lost and writes on from `nextSeq`, as the old one would have. Written before
    /// the copy: the old journal, still in place until the commit, reads the same with it. An
    /// unreadable or missing checkpoint is left as it is (its own report stands); one never
    /// stored keeps its value: nothing acknowledged.
    private static func keepSeqFloor(_ nextSeq: UInt64, checkpointPath: String, fileSystem: FileSystem) throws {
        let found = try CheckpointStore.peek(path: checkpointPath, fileSystem: fileSystem)
        guard nextSeq > 1, !found.unreadable, !found.missing, (found.durable ?? 0) < nextSeq - 1 else { return }
        try CheckpointStore(path: checkpointPath, fileSystem: fileSystem).store(found.value ?? 0, durableThrough: nextSeq - 1)
    }

    /// Removes an uncommitted staging folder and what it holds, as far as it can.
    private static func removeStaging(_ staging: String, in directory: String, fileSystem: FileSystem) {
        for name in (try? fileSystem.list(staging)) ?? [] { try? fileSystem.remove("\(staging)/\(name)") }
        try? fileSystem.remove(staging)
        try? fileSystem.syncDirectory(directory)
    }

    /// Copies the records `packing` keeps into a new layout in `staging`, synced, uncommitted.
    private static func stage(
        _ packing: ResizePacking, from stored: JournalLayout, to requested: JournalLayout, in staging: String, fileSystem: FileSystem
    ) throws {
        try fileSystem.makeDirectory(staging)
        for name in try fileSystem.list(staging) { try fileSystem.remove("\(staging)/\(name)") }
        let target = requested.moved(to: staging)
        var handles: [Int32] = []
        defer { for h in handles { fileSystem.close(h) } }
        for i in 0..<requested.segmentCount {
            let h = try fileSystem.open(target.segmentPath(i), create: true)
            handles.append(h)
            try fileSystem.allocate(h, size: requested.segmentSize)
        }
        // The copy: one segment at a time, a new segment at every hole in the seqs (whose header
        // says the hole was there before, so it is not reported as new damage).
        let segments = try SegmentSet(layout: stored, fileSystem: fileSystem, repair: false)
        defer { segments.closeAll() }
        var index = -1
        var buffer: [UInt8] = []
        var end = 0
        var last: UInt64?
        func flush() throws {
            guard index >= 0, !buffer.isEmpty else { return }
            try fileSystem.write(handles[index], bytes: buffer, at: end - buffer.count)
            buffer.removeAll(keepingCapacity: true)
        }
        for entry in segments.used {
            _ = try segments.scanner(entry).scan { record, _ in
                guard let from = packing.keptFrom, record.seq >= from else { return true }
                let size = RecordFormat.paddedSize(payload: record.payload.count)
                let hole = last.map { record.seq != $0 &+ 1 } ?? false
                // A hole the old journal skipped on purpose stays one; a hole damage made stays
                // damage (`ResizePacking.lost`), reported at every open and read as before.
                let skipped = hole && !packing.holeIsDamage(from: (last ?? 0) &+ 1, to: record.seq)
                if index < 0 || end + size > requested.segmentSize || hole {
                    try flush()
                    index += 1
                    let header = SegmentHeader(
                        generation: UInt64(index + 1), baseSeq: record.seq, segmentSize: UInt64(requested.segmentSize),
                        skippedFrom: skipped ? (last ?? 0) &+ 1 : 0)
                    try fileSystem.write(handles[index], bytes: header.encode(), at: 0)
                    end = SegmentHeader.size
                }
                record.payload.withUnsafeBytes {
                    RecordFormat.encode(record.seq, record.time, record.type, record.flags, $0, generation: UInt64(index + 1), into: &buffer)
                }
                end += size
                last = record.seq
                if buffer.count >= 1 << 20 { try flush() }
                return true
            }
        }
        try flush()
        for h in handles { try fileSystem.sync(h) }
        try fileSystem.syncDirectory(staging)
    }
}
