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
