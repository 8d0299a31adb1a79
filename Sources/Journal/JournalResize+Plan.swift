/// What opening a journal directory would do about its size, found without changing anything:
/// `config check` and `journal verify` predict `run` with these (`JournalResize.swift` does it).
extension Journal {
    /// What opening a journal directory with a layout would do, found without changing anything
    /// (for `config check`, which must predict `run`).
    public enum OpenPlan: Sendable, Equatable {
        /// No journal there yet: it is created.
        case create
        /// The journal there has this layout: opened as it is.
        case open
        /// `journal.meta` is missing or damaged and the segments agree with the layout: rewritten.
        case healMeta(String)
        /// The size differs: the records from `keptFrom` (all of them when nil: the journal is
        /// empty) are copied into the new layout, and `dropped` older records do not fit.
        /// `damage` names what the old journal lost to damage, which stays reported after the copy.
        case resize(from: JournalLayout, keptFrom: UInt64?, kept: Int, dropped: Int, damage: [String] = [])
        /// A resize an earlier start committed and did not finish, to this layout (the configured
        /// one): its swap is finished first, then the journal is opened. Until then its files are
        /// half swapped, so reading them as they lie says nothing of the journal it becomes.
        case finishResize(JournalLayout)
        /// Opening fails with this message.
        case refuse(String)
    }

    /// Why a resize committed to `pending`'s size is not finished while another size is configured.
    static func pendingResizeOfOtherSize(_ pending: JournalLayout) -> String {
        let setting = pending.segmentCount == 16 ? " (journal-max-bytes \(16 * pending.segmentSize))" : ""
        return
            "a resize to \(pending.segmentCount) segments of \(pending.segmentSize) bytes is being finished; configure that size\(setting) until it has, then change it"
    }

    /// What `Journal(layout:resizeKeepingFrom:)` would do with the directory. Read-only.
    public static func plan(layout: JournalLayout, resizeKeepingFrom keep: UInt64?, fileSystem: FileSystem = POSIXFileSystem()) -> OpenPlan {
        do {
            if let midSwap = unreadableCommitMidSwap(staging: "\(layout.directory)/resize", directory: layout.directory, fileSystem: fileSystem),
                case .unreadable = JournalLayout.readMeta(in: "\(layout.directory)/resize", fileSystem: fileSystem)
            {
                return .refuse(midSwap)
            }
            if fileSystem.exists("\(layout.directory)/resize/journal.meta"),
                case .valid(let pending) = JournalLayout.readMeta(in: "\(layout.directory)/resize", fileSystem: fileSystem),
                damageInStagedCopy(pending.moved(to: "\(layout.directory)/resize"), fileSystem: fileSystem) == nil
            {
                // A resize committed but not finished: opening finishes it first.
                if let disagreement = stagedMetaDisagreement(
                    pending, staging: "\(layout.directory)/resize", directory: layout.directory, fileSystem: fileSystem)
                {
                    return .refuse(disagreement)
                }
                return pending.segmentCount == layout.segmentCount && pending.segmentSize == layout.segmentSize
                    ? .finishResize(pending.moved(to: layout.directory)) : .refuse(pendingResizeOfOtherSize(pending))
            }
            switch JournalLayout.readMeta(in: layout.directory, fileSystem: fileSystem) {
            case .missing:
                let (inferred, hasData) = JournalLayout.inferred(in: layout.directory, fileSystem: fileSystem)
                if !hasData { return .create }
                return inferred == layout
                    ? .healMeta("journal.meta is missing") : .refuse("journal.meta is missing and the segment files do not match the configured size")
            case .unreadable(let why):
                let (inferred, hasData) = JournalLayout.inferred(in: layout.directory, fileSystem: fileSystem)
                return !hasData || inferred == layout
                    ? .healMeta("journal.meta is unreadable (\(why))")
                    : .refuse("journal.meta is unreadable (\(why)) and the segment files do not match the configured size")
            case .valid(let stored):
                if let disagreement = stored.segmentsDisagree(mixedSizes: stored != layout && keep != nil, fileSystem: fileSystem) {
                    return .refuse(metaDisagreement(disagreement, verify: "run `sensor-gateway journal verify\(layout.verifyArguments)` to see what it holds"))
                }
                if stored == layout { return .open }
                guard let keep else {
                    return .refuse(
                        "journal in \(layout.directory) was created with \(stored.segmentCount) segments of \(stored.segmentSize) bytes; the configured size gives \(layout.segmentCount) of \(layout.segmentSize)"
                    )
                }
                let packing = try ResizePacking(from: stored, to: layout, keepingFrom: keep, fileSystem: fileSystem)
                if let refusal = packing.refusal { return .refuse(refusal) }
                return .resize(from: stored, keptFrom: packing.keptFrom, kept: packing.kept, dropped: packing.dropped, damage: packing.damage)
            }
        } catch {
            return .refuse("\(error)")
        }
    }

    /// What the next open will do with a resize left in `directory`'s staging folder
    /// (`finishPendingResize`), found without changing anything, for `journal verify` (found
    /// black-box, 41st review: it did not say a partial copy was there).
    public static func pendingResizeNote(directory: String, fileSystem: FileSystem = POSIXFileSystem()) -> String? {
        let staging = "\(directory)/resize"
        guard fileSystem.exists(staging) else { return nil }
        let names = (try? fileSystem.list(staging)) ?? []
        if names.isEmpty { return "an empty resize folder (resize/) is there: the next start removes it" }
        if names == [stagedSummaryName] { return "a finished resize's summary is in resize/: the next start logs it and removes it" }
        guard case .valid(let target) = JournalLayout.readMeta(in: staging, fileSystem: fileSystem) else {
            if let midSwap = unreadableCommitMidSwap(staging: staging, directory: directory, fileSystem: fileSystem) {
                return "the next start refuses to open the journal: \(midSwap)"
            }
            return
                "the partial copy of an interrupted resize (\(names.count) file(s) in resize/) is there: the next start removes it, and the journal stays as it is"
        }
        if let damage = damageInStagedCopy(target.moved(to: staging), fileSystem: fileSystem) {
            return
                "a resize to \(target.segmentCount) segments of \(target.segmentSize) bytes was committed but not finished, and its copy in resize/ is damaged (\(damage.joined(separator: "; "))): the next start removes the copy, keeps the journal as it is, and copies it again if the size still differs"
        }
        if let disagreement = stagedMetaDisagreement(target, staging: staging, directory: directory, fileSystem: fileSystem) {
            return "the next start refuses to open the journal: \(disagreement)"
        }
        let swapBegun = (0..<target.segmentCount).contains { !fileSystem.exists("\(staging)/\(JournalLayout.segmentName($0))") }
        let missing = missingFromStagedCopy(target, staging: staging, directory: directory, fileSystem: fileSystem)
        return "a resize to \(target.segmentCount) segments of \(target.segmentSize) bytes was committed but not finished (resize/): the next start finishes it"
            + (swapBegun
                ? "; its swap had begun, so the segment files lie half swapped: what is said here of the journal's segments (their sizes, records lost, files to keep aside) is the swap's state, not damage, and `config check` says what the start will do"
                : "")
            + (missing.isEmpty
                ? ""
                : "; segment(s) \(missing.map(String.init).joined(separator: ", ")) of its copy are missing from resize/ (removed by hand?): the swap is finished without them, and the start reports the records they held as lost (journal damage)")
    }

    /// The first seq a resize of the journal in `layout` must keep: after the acknowledged
    /// checkpoint, and everything the engine snapshot on disk still needs (`snapshotRetainFrom`,
    /// its `retainFrom`; input it does not cover); everything when there is no usable snapshot
    /// (the engine then rebuilds from the journal, which must hold all the input not yet
    /// published: a shrink after a crash dropped acknowledged input the snapshot did not cover,
    /// found by a black-box test). `snapshotRetainFrom` is asked only when a resize is planned.
    /// The gateway's start and `config check` (`JournalOpening`) and the fault simulator share it.
    public static func resizeKeepFrom(_ layout: JournalLayout, snapshotRetainFrom: () -> UInt64?, fileSystem: FileSystem) -> UInt64 {
        // Everything when nothing was acknowledged or the checkpoint cannot be read.
        guard let peeked = try? CheckpointStore.peek(path: layout.checkpointPath, fileSystem: fileSystem), let acknowledged = peeked.value else {
            return 1
        }
        // A shrink refused even for what is unacknowledged is refused for the snapshot's needs
        // too: the refusal names all the unfinished work (found black-box: at the smallest size it
        // named 5,629 records, at the next sizes 48,056, so an operator who followed the first
        // figure was refused again).
        switch plan(layout: layout, resizeKeepingFrom: acknowledged + 1, fileSystem: fileSystem) {
        case .resize, .refuse: break
        default: return acknowledged + 1
        }
        guard let retainFrom = snapshotRetainFrom() else { return 1 }
        return min(acknowledged + 1, retainFrom)
    }
}
