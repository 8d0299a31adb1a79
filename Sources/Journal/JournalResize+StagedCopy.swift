/// The check a start makes of a resize an earlier start committed and did not finish: the copy
/// has sat on disk since, where it can rot as any file can. Swapping a damaged copy in would
/// throw away the old journal's good records for damaged ones, so while the old journal is still
/// whole the copy is verified first, and a damaged one is thrown away instead (found by the 47th
/// black-box review, which flipped a bit in a committed copy).
extension Journal {
    /// What is wrong with the committed copy in `staging` (laid out as `target`), when the old
    /// journal beside it is still whole; nil when the copy reads clean, or when the swap has
    /// begun (a segment already renamed out of `staging`), after which it can only be finished.
    static func damageInStagedCopy(_ target: JournalLayout, fileSystem: FileSystem) -> [String]? {
        // Every segment is renamed out before anything of the old journal is removed
        // (`finishPendingResize`): all of them here means the old journal is untouched.
        guard (0..<target.segmentCount).allSatisfy({ fileSystem.exists(target.segmentPath($0)) }) else { return nil }
        do {
            let segments = try SegmentSet(layout: target, fileSystem: fileSystem, repair: false)
            defer { segments.closeAll() }
            var damage = segments.damage
            for entry in segments.used {
                // No payload is needed: each record's checksum is still verified.
                var scanner = segments.scanner(entry)
                scanner.payloads = false
                let result = try scanner.scan { _, _ in true }
                damage += result.corruption.map { $0.description(segment: entry.index) }
                // The copy was synced whole before its commit: nothing of it was torn.
                if result.dirtyTail { damage.append("segment \(entry.index) bytes \(result.end)..<\(result.dirtyEnd) damaged") }
            }
            return damage.isEmpty ? nil : damage
        } catch {
            return ["it cannot be read (\(error))"]
        }
    }

    /// Why the committed copy's meta file (`target`, in `staging`) cannot be trusted: a segment
    /// of the copy, still in `staging` or already swapped into `directory`, whose header records
    /// another segment size (the meta file damaged into other valid numbers). Finishing the swap
    /// under it would then resize every segment to the wrong size, losing what lies past it
    /// (found black-box, 53rd review). nil when they agree.
    ///
    /// The segments still in `staging` are the copy's for certain; once all are swapped in, the
    /// journal's are (one deleted from `staging` by hand leaves an old segment in its place, which
    /// says nothing of the meta file: `missingFromStagedCopy`).
    static func stagedMetaDisagreement(_ target: JournalLayout, staging: String, directory: String, fileSystem: FileSystem) -> String? {
        let staged = (0..<target.segmentCount).filter { fileSystem.exists("\(staging)/\(JournalLayout.segmentName($0))") }
        for i in staged.isEmpty ? Array(0..<target.segmentCount) : staged {
            let name = JournalLayout.segmentName(i)
            let path = staged.isEmpty ? "\(directory)/\(name)" : "\(staging)/\(name)"
            guard let size = JournalLayout.segmentSizeInHeader(of: path, fileSystem: fileSystem), size != UInt64(target.segmentSize) else { continue }
            return
                "resize/journal.meta says \(target.segmentCount) segments of \(target.segmentSize) bytes, but \(name) of the resize's copy was written with segments of \(size) bytes: the meta file is damaged, so the resize is not finished and nothing was changed; restore resize/journal.meta to the copy's size, or move the directory aside"
        }
        return nil
    }

    /// The copy's segments neither in `staging` nor swapped in (deleted by hand): finishing the
    /// swap leaves the old journal's segment of that number in place, so the records the copy
    /// held there are lost (reported by the start). For `journal verify` and `config check`.
    static func missingFromStagedCopy(_ target: JournalLayout, staging: String, directory: String, fileSystem: FileSystem) -> [Int] {
        (0..<target.segmentCount).filter { i in
            let name = JournalLayout.segmentName(i)
            guard !fileSystem.exists("\(staging)/\(name)") else { return false }
            guard fileSystem.exists("\(directory)/\(name)") else { return true }
            return JournalLayout.segmentSizeInHeader(of: "\(directory)/\(name)", fileSystem: fileSystem).map { $0 != UInt64(target.segmentSize) } ?? false
        }
    }

    /// Why a resize whose committed meta file is unreadable cannot be thrown away: its swap had
    /// begun (the copy's first segment is no longer in `staging`), so the old journal is no
    /// longer whole and its copy is half in place. The meta file exists only once the copy is
    /// committed (it is written atomically, last), so a damaged one still shows a commit. nil
    /// when the meta file is missing, or the swap had not begun (the old journal is whole and the
    /// copy can go).
    static func unreadableCommitMidSwap(staging: String, directory: String, fileSystem: FileSystem) -> String? {
        guard fileSystem.exists("\(staging)/journal.meta"), !fileSystem.exists("\(staging)/\(JournalLayout.segmentName(0))") else { return nil }
        let shown = JournalLayout.segmentSizeInHeader(of: "\(directory)/\(JournalLayout.segmentName(0))", fileSystem: fileSystem)
        return
            "resize/journal.meta is unreadable, and the resize it committed had begun its swap (segment-0000.log is no longer in resize/): the journal is half swapped, so nothing was changed; write resize/journal.meta again (segments=N, segment_size="
            + (shown.map { "\($0)" } ?? "S") + ", as the copy's segment headers show), or move the directory aside"
    }

    /// Removes a committed copy found damaged, meta file first so no later start takes what is
    /// left of it for a commit.
    static func discardStagedCopy(_ staging: String, in directory: String, fileSystem: FileSystem) throws {
        try fileSystem.remove("\(staging)/journal.meta")
        try fileSystem.syncDirectory(staging)
        for name in try fileSystem.list(staging) { try fileSystem.remove("\(staging)/\(name)") }
        try fileSystem.remove(staging)
        try fileSystem.syncDirectory(directory)
    }
}

extension JournalLayout {
    /// The same segment count and size in another directory: a resize's staged copy, and the
    /// journal it becomes.
    func moved(to directory: String) -> JournalLayout {
        JournalLayout(directory: directory, segmentCount: segmentCount, segmentSize: segmentSize)
    }
}
