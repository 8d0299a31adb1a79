import Logging

/// The runtime's periodic work, as named policies run at the end of each turn of the service
/// loop: the checkpoint, the journal's presence, engine snapshots, the journal's retained
/// position and the status. How often each runs is in one table (`Policy.interval`); nothing
/// else in the runtime keeps a timer.
///
/// Confined to the service loop's thread (`GatewayService`).
final class Maintenance {
    /// The periodic jobs, in the order a turn runs them.
    enum Policy: CaseIterable {
        /// Store the acknowledged position (`CheckpointStore`): a restart resends from there.
        case checkpoint
        /// Check the journal's files are still where they were opened (`JournalPresence`).
        case presence
        /// Start an engine snapshot in the background (`SnapshotWriter`), so the journal can
        /// forget input the engine has finished with and a restart replays less.
        case snapshot
        /// Move the journal's retained position past what is acknowledged and snapshotted.
        case retention
        /// Publish the status `/healthz`, `/metrics` and the status page read.
        case status
        /// Give the allocator's free memory back to the system, off this thread
        /// (`FreeMemoryRelease`): after a burst, resident size falls back to what is held.
        case freeMemory

        /// How long (monotonic ms) after its last run the policy is due: the one table of the
        /// runtime's periodic work. `underPressure`: the journal has less than a quarter of its
        /// room left, when snapshots and retention hurry so finished input can be forgotten (for
        /// snapshots, also when a restart would replay more than `restart-replay-max-records`).
        func interval(snapshotIntervalMs: Int64, underPressure: Bool) -> Int64 {
            switch self {
            case .checkpoint: 1_000
            case .presence: 1_000
            case .snapshot: underPressure ? min(Maintenance.snapshotUnderPressureMs, snapshotIntervalMs) : snapshotIntervalMs
            case .retention: underPressure ? 0 : 100
            case .status: 500
            case .freeMemory: FreeMemoryRelease.intervalMs
            }
        }
    }

    /// When the journal is short of room, snapshots come this often (at most).
    static let snapshotUnderPressureMs: Int64 = 500
    /// A snapshot waits until the journal has grown by this many times the last snapshot's
    /// size, so snapshots add at most 1/16 to the bytes the journal itself writes (flash wear).
    static let journalBytesPerSnapshotByte: UInt64 = 16

    private let ingest: IngestJournal
    private let pipeline: Pipeline
    private let publisher: Publisher
    let snapshots: SnapshotWriter
    private let presence: JournalPresence
    private let snapshotIntervalMs: Int64
    /// `restart-replay-max-records`: 0, no bound but the journal's growth and room.
    private let restartReplayMaxRecords: UInt64
    private let logger: Logger
    /// When each policy last ran (monotonic ms; 0: never, so each runs on the first turn).
    private var lastRun: [Policy: Int64] = [:]
    /// The acknowledged position last stored.
    private(set) var checkpoint: UInt64
    private(set) var checkpointFailures = 0
    /// The journal's appended bytes when the last snapshot was started.
    private var journalBytesAtLastSnapshot: UInt64 = 0
    /// Why the journal's files are no longer where they were opened, while they are not.
    private(set) var journalMissing: String?
    private let freeMemory = FreeMemoryRelease()

    init(
        ingest: IngestJournal, pipeline: Pipeline, publisher: Publisher, snapshots: SnapshotWriter, presence: JournalPresence,
        checkpoint: UInt64, snapshotIntervalMs: Int64, restartReplayMaxRecords: UInt64, logger: Logger
    ) {
        self.restartReplayMaxRecords = restartReplayMaxRecords
        self.ingest = ingest
        self.pipeline = pipeline
        self.publisher = publisher
        self.snapshots = snapshots
        self.presence = presence
        self.checkpoint = checkpoint
        self.snapshotIntervalMs = snapshotIntervalMs
        self.logger = logger
    }

    /// Runs every policy that is due at `now` (monotonic ms). `brokerHealthChanged`: what
    /// `/healthz` reports of the broker changed, so the status goes out at once, not up to
    /// half a second late; `publishStatus` publishes it.
    func run(now: Int64, brokerHealthChanged: Bool, publishStatus: () -> Void) {
        let pressure = ingest.withJournal { !$0.canAppend(bytes: $0.capacityBytes / 4) }
        let hurried = pressure || replayTooLong
        for policy in Policy.allCases {
            let due =
                now - (lastRun[policy] ?? 0)
                >= policy.interval(snapshotIntervalMs: snapshotIntervalMs, underPressure: policy == .snapshot ? hurried : pressure)
            switch policy {
            case .checkpoint where due: storeCheckpoint()
            case .presence where due: checkPresence()
            case .snapshot where due:
                // A snapshot that was not started is tried again next turn.
                if !startSnapshot(hurried: hurried) { continue }
            case .retention where due: updateRetention()
            case .status where due || brokerHealthChanged: publishStatus()
            case .freeMemory where due: freeMemory.start()
            default: continue
            }
            lastRun[policy] = now
        }
    }

    /// The journal keeps everything from the oldest of: what the snapshot on disk needs, the
    /// first unacknowledged publication, the first input the engine's state does not cover.
    func updateRetention() {
        let keep = min(snapshots.status.retainFrom ?? 1, publisher.acknowledgedThrough() + 1, pipeline.inputPosition)
        ingest.withJournal { $0.retainFrom = keep }
    }

    /// Records the acknowledged position (and the journal's synced one, `Journal.storeCheckpoint`)
    /// when either moved. A failure is logged and counted: the checkpoint is a hint (a restart
    /// then resends a little more, with identical content).
    func storeCheckpoint() {
        let acked = max(publisher.acknowledgedThrough(), checkpoint)
        do {
            let stored = try ingest.withJournal { j in
                guard j.checkpointIsBehind(acknowledged: acked) else { return false }
                try j.storeCheckpoint(acked)
                return true
            }
            guard stored else { return }
            checkpoint = acked
        } catch {
            checkpointFailures += 1
            if checkpointFailures == 1 || checkpointFailures % 100 == 0 {
                logger.error("checkpoint not saved", metadata: ["error": "\(error)", "failures": "\(checkpointFailures)"])
            }
        }
    }

    /// Reports (once, and on `/healthz` while it lasts) a journal removed or replaced under the
    /// running gateway.
    private func checkPresence() {
        let problem = presence.problem()
        if let problem, journalMissing == nil { logger.critical("\(problem)") }
        // Its end is logged too, so the log tells the whole story (found black-box, 41st review).
        if problem == nil, let was = journalMissing { logger.notice("the journal's files are back where they were opened", metadata: ["was": "\(was)"]) }
        journalMissing = problem
    }

    /// Whether a restart now would replay more than `restartReplayMaxRecords` journal records
    /// after the last snapshot saved: a snapshot is then due whatever the journal's growth, so a
    /// restart's replay stays about a second long at any fleet size (measured: at 10,000
    /// sensors, snapshots waiting for 16 times their size of journal left restarts replaying
    /// 240,000-310,000 inputs, 2.9 s; docs/PERFORMANCE.md, "A restart's replay bounded").
    private var replayTooLong: Bool {
        guard restartReplayMaxRecords > 0 else { return false }
        let from = snapshots.status.inputFrom ?? 1
        let position = pipeline.inputPosition
        return position > from && position - from > restartReplayMaxRecords
    }

    /// Starts a snapshot when it is worth one: only when the engine has taken input since the
    /// last snapshot saved (an idle gateway writes nothing, and a failed one is tried again)
    /// and, unless the journal is short of room or a restart would replay too much (`hurried`),
    /// when the journal has grown enough to pay for it in bytes written. Returns whether one
    /// started.
    private func startSnapshot(hurried: Bool) -> Bool {
        let journalBytes = ingest.withJournal { $0.statistics.appendedBytes }
        let last = snapshots.status
        let grownEnough =
            last.lastError != nil  // the last attempt failed: retry without waiting for growth
            || journalBytes - journalBytesAtLastSnapshot >= Maintenance.journalBytesPerSnapshotByte * UInt64(last.lastBytes)
        guard hurried || grownEnough, pipeline.inputPosition != last.inputFrom else { return false }
        guard let snapshot = takeSnapshot(), snapshots.start(snapshot) else { return false }
        journalBytesAtLastSnapshot = journalBytes
        return true
    }

    /// Right after a restart's restore, before anything new runs: a snapshot of the restored
    /// engine, so no later restore replays across this start. What a restore learns outside the
    /// journal (the broker's retained `latest/` values, output the journal lost) is in the engine
    /// but not in the journal, so a later replay across this start, from an older snapshot, did
    /// not make what this run journaled (found black-box after plain SIGKILLs, and reproduced by
    /// a SIGKILL loop resizing the journal: "the replay met the journaled output in another
    /// order than it made it"). Not saved (a full disk), the gateway goes on: the next restore
    /// replays from the older snapshot, as before.
    func snapshotAtStart() {
        guard let snapshot = takeSnapshot(), snapshots.writeNow(snapshot) else { return }
        journalBytesAtLastSnapshot = ingest.withJournal { $0.statistics.appendedBytes }
    }

    /// At shutdown: waits for a snapshot being written, then writes one of the final state,
    /// when it can be done by `deadline` (monotonic ms; the last one's duration says). Skipped,
    /// the journal keeps what it would have covered: only the next start's replay is longer.
    func finalSnapshot(deadline: Int64) async {
        if await snapshots.waitIdle(until: deadline), snapshots.expectedToFinish(by: deadline) {
            if let snapshot = takeSnapshot() { snapshots.writeNow(snapshot) }
        } else {
            logger.notice(
                "no engine snapshot at shutdown: it would not be done in time; the journal keeps what it would have covered",
                metadata: ["last_snapshot_ms": "\(snapshots.status.lastDurationMs)"])
        }
    }

    /// The engine's state now, with the publications it made that the journal does not hold yet.
    /// nil when the journal could not be synced: the snapshot must never refer to journal records
    /// a crash could lose, and a failed sync poisons the journal (the gateway stops on it).
    private func takeSnapshot() -> EngineSnapshot? {
        do {
            try ingest.sync()
        } catch {
            logger.error("journal sync before a snapshot failed; no snapshot taken", metadata: ["error": "\(error)"])
            ingest.fail("\(error)")
            return nil
        }
        // The checkpoint then says those records were synced, before any snapshot refers to
        // them: damage to them is never taken for a torn write at the next open.
        storeCheckpoint()
        return EngineSnapshot(
            inputFrom: pipeline.inputPosition, publicationsThrough: publisher.publicationsThrough, engine: pipeline.engine,
            pending: publisher.pending, time: ingest.clock.now())
    }

    /// Maintenance's part of the status.
    func report(into s: inout GatewayStatusSnapshot) {
        s.snapshots = snapshots.status
        s.checkpoint = checkpoint
        s.runtime.checkpointFailures = checkpointFailures
        s.journalMissing = journalMissing
    }
}
