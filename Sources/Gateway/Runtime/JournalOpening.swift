import Foundation
import Journal
import Logging

/// How the gateway opens its journal at start, and the same answer for `config check`: a
/// changed `journal-max-bytes` resizes it in place, keeping every record the broker has not
/// acknowledged (and older ones as far as they fit); only when those do not fit is the start
/// refused.
public enum JournalOpening {
    /// The first journal seq a resize must keep (`Journal.resizeKeepFrom`): after the
    /// acknowledged checkpoint, and everything the engine snapshot on disk still needs.
    /// `snapshot` is asked only when a resize is planned.
    static func keepFrom(_ layout: JournalLayout, snapshot: () -> EngineSnapshot?, fileSystem: FileSystem = POSIXFileSystem()) -> UInt64 {
        Journal.resizeKeepFrom(layout, snapshotRetainFrom: { snapshot()?.retainFrom }, fileSystem: fileSystem)
    }

    /// Why `run` stops at once (exit 73) when another gateway holds the data folder.
    static func inUseMessage(_ configuration: GatewayConfiguration, lockPath: String) -> String {
        "another sensor-gateway is using \(configuration.dataDirectory) (\(lockPath) is locked): run one gateway per data folder, or give this one its own --data-dir"
    }

    /// `run`'s message when a running gateway holds the data folder of `configuration` now,
    /// else nil; for `config check`, which must not say ok where `run` would stop.
    public static func inUse(_ configuration: GatewayConfiguration) -> String? {
        guard let layout = try? JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes),
            layout.isHeldByWriter()
        else { return nil }
        return inUseMessage(configuration, lockPath: layout.writerLockPath)
    }

    /// What `run` will do with the journal of `configuration`: a line to print, and whether it
    /// will refuse to start.
    public static func plan(_ configuration: GatewayConfiguration) -> (text: String, refused: Bool) {
        plan(configuration, freeBytes: DiskRoom.availableBytes(near:))
    }

    /// `plan`, with the free room of the disk near a path as `freeBytes` tells it.
    static func plan(_ configuration: GatewayConfiguration, freeBytes: (String) -> Int?) -> (text: String, refused: Bool) {
        let planned = planOpening(configuration, freeBytes: freeBytes)
        // What run does first with a resize an earlier start left in resize/, as `journal
        // verify` says it (found black-box, 47th review: a committed copy the next start swapped
        // in, and `config check` said "opened as it is").
        guard !planned.refused else { return planned }
        var text = planned.text
        if let pending = Journal.pendingResizeNote(directory: configuration.journalDirectory) {
            text = "journal: \(pending.replacingOccurrences(of: "the next start", with: "run")); then " + text.dropFirst("journal: ".count)
        }
        if let wear = SnapshotWear.warning(journalBytes: configuration.journalMaxBytes, snapshotPath: configuration.snapshotPath) {
            text += "\nwarning: \(wear)"
        }
        return (text, false)
    }

    private static func planOpening(_ configuration: GatewayConfiguration, freeBytes: (String) -> Int?) -> (text: String, refused: Bool) {
        if let problem = DataFolder.problem(dataDirectory: configuration.dataDirectory, journalDirectory: configuration.journalDirectory) {
            return ("journal: run will refuse to start: \(problem)", true)
        }
        let layout: JournalLayout
        do {
            layout = try JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes)
        } catch {
            return ("journal: \(error)", true)
        }
        let snapshot = { (try? EngineSnapshot.load(configuration.snapshotPath, fileSystem: POSIXFileSystem())) ?? nil }
        let plan = Journal.plan(layout: layout, resizeKeepingFrom: keepFrom(layout, snapshot: snapshot))
        let short = roomShortfall(plan, layout: layout, freeBytes: freeBytes)
        switch plan {
        case .create:
            if let short { return ("journal: none in \(layout.directory) yet; run will refuse to start: \(short)", true) }
            return ("journal: none in \(layout.directory) yet; run creates it", false)
        case .open:
            // Damage shows as it will at the start (`/healthz` degraded), not only in `journal
            // verify` (found black-box: "opened as it is" over a damaged folder).
            let found = try? JournalVerification.run(directory: layout.directory)
            guard let found, found.corrupt else { return ("journal: opened as it is", false) }
            return (
                "journal: opened as it is; it is damaged (\(found.problems.count) problem(s), first: \(found.problems[0])): run reports it (/healthz degraded), `sensor-gateway journal verify` names each",
                false
            )
        case .finishResize(let target):
            // Half swapped, its files say nothing of the journal it becomes: not verified as they
            // lie (found black-box, 53rd review: ten made-up problems, while `run` found one).
            // `plan` puts `journal verify`'s note on the resize (run finishes it) before this.
            return ("journal: opened with the resize's \(target.segmentCount) segments of \(target.segmentSize) bytes", false)
        case .healMeta(let why): return ("journal: \(why); run rewrites it from the segment files (the old one kept aside)", false)
        case .resize(let from, _, let kept, let dropped, let damage):
            if let short { return ("journal: run will refuse to start: \(short); nothing is changed", true) }
            return (
                "journal: run resizes it from \(from.segmentCount) segments of \(from.segmentSize) bytes to \(layout.segmentCount) of \(layout.segmentSize), keeping \(kept) records (every unacknowledged one)"
                    + (dropped > 0 ? " and dropping the \(dropped) oldest, already acknowledged" : "")
                    + (damage.isEmpty
                        ? ""
                        : "; the journal is damaged (\(damage.count) problem(s), first: \(damage[0])): run reports it, and what the resize keeps stays reported at every start; `sensor-gateway journal verify` names each"),
                false
            )
        case .refuse(let why): return ("journal: run will refuse to start: \(why)", true)
        }
    }
}

extension JournalOpening {
    /// Why the disk cannot hold what `plan` makes: a new journal, or a resize's copy beside the
    /// old one, each with its small files (`DiskRoom.journalFilesAllowance`). `run` and `config
    /// check` judge it the same way, so they agree; nil when it fits, nothing is made, or the
    /// free room cannot be told.
    static func roomShortfall(_ plan: Journal.OpenPlan, layout: JournalLayout, freeBytes: (String) -> Int?) -> String? {
        let needed = layout.ringBytes + DiskRoom.journalFilesAllowance
        // A new copy is made only where no committed one waits (`Journal.plan`): what `resize/`
        // holds then is an interrupted copy, which the start removes first, so its room is free
        // room (found black-box, 88th review: a start killed mid-copy left 7.5 MB there, and every
        // later start at the new size was refused though the copy would fit without it).
        let partialCopy = Self.partialCopyBytes(in: layout.directory)
        let freeBytes = { (path: String) in freeBytes(path).map { $0 + partialCopy } }
        switch plan {
        case .create:
            return DiskRoom.shortfall(
                needed, for: "a new journal of \(layout.segmentCount) segments of \(layout.segmentSize) bytes", near: layout.directory, free: freeBytes)
        case .resize:
            // The copy is made beside the old journal before it is swapped in.
            return DiskRoom.shortfall(
                needed, for: "resizing the journal to \(layout.segmentCount) segments of \(layout.segmentSize) bytes (a copy beside the old one)",
                near: layout.directory, free: freeBytes)
        default: return nil
        }
    }

    /// The bytes of the files in `directory`'s `resize/` folder (an interrupted resize's copy).
    static func partialCopyBytes(in directory: String) -> Int {
        let staging = "\(directory)/resize"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
        return names.reduce(0) { sum, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(staging)/\(name)"))?[.size] as? NSNumber
            return sum + (size?.intValue ?? 0)
        }
    }

    /// The journal as the running gateway opened it, with what opening it found.
    struct Opened {
        var ingest: IngestJournal
        /// The engine snapshot on disk, loaded while the journal was opened.
        var snapshot: SnapshotPreload
        /// What opening the journal found damaged (shown on `/healthz` and in a metric).
        var damage: [String]
        /// Whether this start created the journal (no meta file and no segment was there).
        var created: Bool
        /// Whether the journal's files are still where they were opened.
        var presence: JournalPresence
    }

    /// Opens (recovering, resizing) the gateway's journal and logs what that found. `onInput`:
    /// the network thread's word that journaled input waits; `onDurable`: the flusher's that a
    /// sync ended (`IngestJournal`); `fileSystem`: a test's file layer (nil: the real one).
    static func open(
        _ configuration: GatewayConfiguration, limits: IngestJournal.Limits, clocks: JournalClock.Sources, fileSystem testFileSystem: FileSystem?,
        logger: Logger, onInput: @escaping @Sendable (_ waiting: Int) -> Void, onDurable: @escaping @Sendable () -> Void
    ) throws -> Opened {
        if let problem = DataFolder.problem(dataDirectory: configuration.dataDirectory, journalDirectory: configuration.journalDirectory) {
            throw JournalError.invalidConfiguration(problem)
        }
        let layout = try JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes)
        let snapshot = SnapshotPreload(path: configuration.snapshotPath)
        if testFileSystem == nil, !layout.isHeldByWriter(),
            let short = roomShortfall(
                Journal.plan(layout: layout, resizeKeepingFrom: keepFrom(layout, snapshot: { (try? snapshot.wait()) ?? nil })), layout: layout,
                freeBytes: DiskRoom.availableBytes(near:))
        {
            throw JournalError.invalidConfiguration("\(short); nothing was changed")
        }
        var fileSystem: FileSystem = POSIXFileSystem()
        if configuration.faultInjection == .powerLoss {
            logger.warning("fault injection: unsynced journal writes are held in memory, so a kill loses what a power cut would; for reliability runs only")
            fileSystem = PowerLossFileSystem()
        }
        if let testFileSystem { fileSystem = testFileSystem }
        let ingest = try IngestJournal(
            layout: layout, fsync: configuration.fsync, syncsPerSecond: configuration.fsyncMaxPerSecond,
            resizeKeepingFrom: keepFrom(layout, snapshot: { (try? snapshot.wait()) ?? nil }, fileSystem: fileSystem),
            limits: limits,
            passThroughTopic: configuration.replayTopic, maxPayloadBytes: configuration.engine.maxPayloadBytes,
            fileSystem: fileSystem, clock: JournalClock(sources: clocks), onInput: onInput, onDurable: onDurable)
        let report = ingest.withJournal { $0.report }
        // One account of what was found: a new journal, or an existing one with its records (a
        // missing journal.meta alone does not make it new; its warning follows).
        if report.created {
            logger.notice("no journal was found: started a new, empty one", metadata: ["directory": "\(configuration.journalDirectory)"])
        } else {
            logger.info("journal opened", metadata: ["records": "\(report.records)"])
        }
        let presence = JournalPresence(directory: configuration.journalDirectory, metaPath: layout.metaPath)
        for p in report.fileProblems { logger.warning("journal file problem", metadata: ["problem": "\(p)"]) }
        for c in report.corruption { logger.error("journal corruption", metadata: ["damage": "\(c)"]) }
        if report.tornTail { logger.notice("journal: an interrupted last write was discarded") }
        if let resized = report.resized { logger.notice("journal resized", metadata: ["change": "\(resized)"]) }
        if let bytes = snapshot.loadedBytes(), let wear = SnapshotWear.warning(journalBytes: layout.ringBytes, snapshotBytes: bytes) {
            logger.warning("\(wear)")
        }
        // Summed up once the restore has added what it found (`GatewayService`), so the log and
        // /healthz give one count.
        let damage = report.needsAttention ? report.corruption + report.setAside.map { "damaged file kept aside: \($0)" } : []
        return Opened(ingest: ingest, snapshot: snapshot, damage: damage, created: report.created, presence: presence)
    }
}
