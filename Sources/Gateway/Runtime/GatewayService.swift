import Foundation
import Journal
import Logging
import MQTT
import Recovery

/// The daemon: journal, recover, publish, acknowledge (docs/INTERFACE.md sections 1-9).
///
/// Data flows one way. The input connection's network thread appends each reading to the
/// journal as libmosquitto hands it over (`IngestJournal`). The pipeline, one task, takes the
/// journaled input in order, runs it and the clock ticks through the engine, journals the
/// resulting publications, commits, and hands what is durable to the outbound queue, which the
/// output connection sends; broker acknowledgements advance the checkpoint. Engine snapshots
/// are written in the background (`SnapshotWriter`). The journal never reclaims what is still
/// needed: input not yet covered by a snapshot on disk, output not yet acknowledged.
public final class GatewayService {
    public let configuration: GatewayConfiguration
    public let status: StatusBoard
    private let logger: Logger
    private let shutdown: ShutdownSignal
    private let ingest: IngestJournal
    /// Replaced when a SIGHUP changes the connection settings (`BrokerReconnection`).
    private var broker: BrokerSession
    private let inbox: Inbox
    private let snapshots: SnapshotWriter
    private var engine: RecoveryEngine
    private var outbound: OutboundQueue
    /// Publications made by the engine and not yet journaled (the journal was full).
    private var pendingPublications: [Publication] = []
    /// Reused for each publication's record payload.
    private var recordBuffer: [UInt8] = []
    /// Input taken from the journal and not yet run through the engine.
    private var batch = InputBatch()
    /// Settings a SIGHUP reload changed (nil: none can change, as in tests that build a service).
    private let live: LiveSettings?
    /// Engine settings the journal had no room for yet: journaled at the next take.
    private var unjournaledSettings: EngineConfiguration?
    /// The first journal seq of input the engine has not taken.
    private var inputFrom: UInt64
    /// The last journal seq of a publication journaled.
    private var publicationsThrough: UInt64
    private var lastCheckpoint: UInt64 = 0
    private var lastCheckpointAt: Int64 = 0
    private var lastSnapshotAt: Int64 = 0
    private lazy var replaySlots = ReplaySlots(limit: configuration.replay.maxConcurrent)
    /// The journal's appended bytes when the last snapshot was started.
    private var journalBytesAtLastSnapshot: UInt64 = 0
    private var lastStatusAt: Int64 = 0
    private var lastBrokerHealth: BrokerHealth?
    /// When the per-sensor rows of the status were last rebuilt: every status update for a
    /// small fleet, less often for a large one (`sensorRowsEveryMs`).
    private var lastSensorRowsAt: Int64 = 0
    private var lastRetentionAt: Int64 = 0
    /// Readiness, stopping and watchdog pings for a `Type=notify` systemd unit (nil outside one).
    private let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
    private var counters = RuntimeCounters()
    /// What opening the journal found damaged (shown on `/healthz` and in a metric).
    private let journalDamage: [String]
    /// Whether the journal's files are still where they were opened (checked once a second).
    private let presence: JournalPresence
    private var journalMissing: String?
    /// Sensors' lifecycle in the log, rate-limited.
    private var sensorEvents: SensorEventLog
    private let startedAt = Clocks.epochMilliseconds()
    /// Test hook: runs before each batch of input reaches the engine (to make it slow).
    var beforeBatch: (@Sendable () -> Void)?
    /// Test hook: told how many publications await their acknowledgement after each send.
    var afterSending: (@Sendable (_ inFlight: Int) -> Void)?

    /// When the journal has less than a quarter of its room left, snapshots come this often
    /// instead, and the retained position is updated every turn.
    static let snapshotUnderPressureMs: Int64 = 500
    /// A snapshot waits until the journal has grown by this many times the last snapshot's
    /// size, so snapshots add at most 1/16 to the bytes the journal itself writes (flash wear).
    static let journalBytesPerSnapshotByte: UInt64 = 16
    /// How often the journal's retained position follows acknowledgements and snapshots.
    static let retentionEveryMs: Int64 = 100
    static let checkpointEveryMs: Int64 = 1_000

    /// Opens the journal (recovering it), restores the engine and prepares both broker
    /// connections. Throws for a journal that cannot be opened; an unreachable broker is not an
    /// error.
    public convenience init(
        configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal,
        status: StatusBoard = StatusBoard(), live: LiveSettings? = nil
    ) throws {
        try self.init(
            configuration: configuration, logger: logger, shutdown: shutdown, status: status,
            outboundCapacity: 8192, ingestLimits: IngestJournal.Limits(), live: live)
    }

    /// `outboundCapacity`: publications kept in memory before the journal serves as the queue;
    /// `ingestLimits`: the input bounds; `clocks`: the wall and monotonic clocks; `fileSystem`:
    /// the journal's file layer (parameters so tests can make those paths run, step the wall
    /// clock and slow the disk down).
    init(
        configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal, status: StatusBoard,
        outboundCapacity: Int, ingestLimits: IngestJournal.Limits, clocks: JournalClock.Sources = .system,
        live: LiveSettings? = nil, fileSystem testFileSystem: FileSystem? = nil
    ) throws {
        self.configuration = configuration
        self.live = live
        self.logger = logger
        sensorEvents = SensorEventLog(logger: logger)
        self.shutdown = shutdown
        self.status = status
        outbound = OutboundQueue(capacity: outboundCapacity)
        let inbox = Inbox()
        self.inbox = inbox
        shutdown.onRequest { inbox.stop() }
        live?.onEngineChange { inbox.settingsChanged() }
        let layout = try JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes)
        let snapshot = SnapshotPreload(path: configuration.snapshotPath)
        var fileSystem: FileSystem = POSIXFileSystem()
        if configuration.faultInjection == .powerLoss {
            logger.warning("fault injection: unsynced journal writes are held in memory, so a kill loses what a power cut would; for reliability runs only")
            fileSystem = PowerLossFileSystem()
        }
        if let testFileSystem { fileSystem = testFileSystem }
        let journalExisted = FileManager.default.fileExists(atPath: layout.metaPath)
        ingest = try IngestJournal(
            layout: layout, fsync: configuration.fsync, syncsPerSecond: configuration.fsyncMaxPerSecond,
            resizeKeepingFrom: JournalOpening.keepFrom(layout, snapshot: { (try? snapshot.wait()) ?? nil }, fileSystem: fileSystem),
            limits: ingestLimits,
            passThroughTopic: configuration.replayTopic, maxPayloadBytes: configuration.engine.maxPayloadBytes,
            fileSystem: fileSystem, clock: JournalClock(sources: clocks), onInput: { inbox.inputArrived(waiting: $0) },
            onDurable: { inbox.journalDurable() })
        let report = ingest.withJournal { $0.report }
        logger.info("journal opened", metadata: ["records": "\(report.records)"])
        if !journalExisted {
            logger.notice("no journal was found: started a new, empty one", metadata: ["directory": "\(configuration.journalDirectory)"])
        }
        presence = JournalPresence(directory: configuration.journalDirectory, metaPath: layout.metaPath)
        for p in report.fileProblems { logger.warning("journal file problem", metadata: ["problem": "\(p)"]) }
        for c in report.corruption { logger.error("journal corruption", metadata: ["damage": "\(c)"]) }
        if report.tornTail { logger.notice("journal: an interrupted last write was discarded") }
        if let resized = report.resized { logger.notice("journal resized", metadata: ["change": "\(resized)"]) }
        journalDamage = report.needsAttention ? report.corruption + report.setAside.map { "damaged file kept aside: \($0)" } : []
        if !journalDamage.isEmpty {
            logger.error(
                "journal damage found at start; /healthz reports degraded. Run `sensor-gateway journal verify --data-dir \(configuration.dataDirectory)` for the details",
                metadata: ["problems": "\(journalDamage.count)"])
        }

        let restored = try JournalRestore(configuration: configuration, logger: logger).run(ingest, outbound: &outbound, snapshot: snapshot.wait)
        engine = restored.engine
        if engine.configuration != configuration.engine {
            // The file's settings differ from the ones the journal left the engine with (changed
            // between runs): journal them first, so a later replay changes them at the same point.
            unjournaledSettings = configuration.engine
            logger.notice("engine settings changed since the last run; they apply from the first input taken")
        }
        pendingPublications = restored.toJournal
        counters.restoreMismatches = restored.mismatchedPublications
        counters.restoreCompared = restored.comparedPublications
        if restored.snapshotProblem != nil { counters.snapshotReadFailures += 1 }
        ingest.resume(after: restored.lastTime)
        (inputFrom, publicationsThrough, lastCheckpoint) = ingest.withJournal { j in (j.nextSeq, j.nextSeq - 1, j.checkpoint.value ?? 0) }
        snapshots = SnapshotWriter(
            path: configuration.snapshotPath, logger: logger,
            retainFrom: restored.snapshotRetainFrom)
        logger.info(
            "engine restored",
            metadata: [
                "replayed_inputs": "\(restored.replayedInputs)", "compared_publications": "\(restored.comparedPublications)",
                "unacknowledged": "\(outbound.waitingCount)",
                "to_publish": "\(pendingPublications.count)",
            ])
        broker = try BrokerSession(configuration: configuration, sink: ingest, inbox: inbox, logger: logger, startedAt: startedAt)
        updateRetention()
        try journalPending()
        try ingest.sync()
    }

    // MARK: - The loop

    /// Runs until the shutdown signal, then drains and returns. Throws when the journal fails;
    /// it then consumes nothing more from the broker.
    public func run() async throws {
        logger.info("starting", metadata: ["config": "\(configuration.summary)"])
        try broker.start()
        notifier?.send("READY=1\nSTATUS=restored; connecting to the broker")
        try await runOnLoopThread()
        try await drain()
    }

    /// Runs the service loop on a thread of its own until the shutdown signal: it blocks between
    /// turns, where awaiting on the cooperative pool cost two child tasks and a timer per wait
    /// (the daemon used 14-17% less CPU without them, docs/PERFORMANCE.md), and it keeps a pool
    /// thread free.
    private func runOnLoopThread() async throws {
        let handOff = LoopThreadHandOff(service: self)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread {
                do {
                    let service = handOff.service
                    while !service.shutdown.isRequested {
                        let (wait, condition) = service.nextWake()
                        if wait > 0 { service.inbox.waitBlocking(atMost: wait, until: condition) }
                        try service.turn()
                    }
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }.start()
        }
    }

    /// Journaled input that wakes the loop before the next sync with `fsync interval` (which
    /// wakes it when it ends).
    static let inputBatch = 128

    /// How long the loop may sleep, and what arrival wakes it sooner.
    ///
    /// With `fsync interval` nothing reaches the cleaned topics before the journal's next sync,
    /// so while anything written awaits that sync, input wakes the loop only by the batch and
    /// otherwise waits for the sync, whose end wakes it (`Inbox.journalDurable`): fewer turns
    /// than one per read of the socket (the same readings come out at the same sync).
    /// Acknowledgements wake it only when publications are held back by the in-flight limit,
    /// and then by half that limit.
    private func nextWake() -> (milliseconds: Int64, condition: Inbox.WakeCondition) {
        var wait: Int64 = 200
        var condition = Inbox.WakeCondition()
        let (unsynced, durable) = ingest.withJournal { j in (j.writtenSeq > j.durableSeq, j.durableSeq) }
        if configuration.fsync == .interval && unsynced { condition.inputs = GatewayService.inputBatch }
        condition.acknowledgements =
            outbound.hasSendable(durableThrough: durable) ? max(1, configuration.maxInFlight / 2) : .max
        if !pendingPublications.isEmpty || outbound.needsRefill { wait = min(wait, 20) }
        let pacing = self.pacing
        if pacing.mayTick, let deadline = engine.nextDeadline() { wait = min(wait, max(1, deadline - ingest.clock.now())) }
        // The rest of a batch runs next turn, without a wait.
        if pacing.mayRunInput && !batch.isEmpty { return (0, condition) }
        return (max(wait, 1), condition)
    }

    /// One turn: events, input, output, bookkeeping.
    private func turn() throws {
        let began = Clocks.monotonicMilliseconds()
        for arrival in inbox.take() { handle(arrival) }
        if let next = live?.takeConnectionChange() { reconnect(with: next) }
        try process()
        try finishTurn()
        status.turnCompleted(began: began)
        notifier?.watchdogIfDue(now: Clocks.monotonicMilliseconds())
    }

    private func handle(_ arrival: Inbox.Arrival) {
        switch broker.handle(arrival) {
        case .none: break
        case .acknowledged(let mid):
            if let latency = outbound.acknowledged(messageID: mid, now: arrival.at) { status.metrics.publishLatency.recordMicroseconds(latency) }
        case .replayRequest(let payload): startReplay(payload)
        }
    }

    /// New connection settings from a SIGHUP: a new session replaces the old one, and what the
    /// old one had not seen acknowledged goes out again on the new one.
    private func reconnect(with next: GatewayConfiguration) {
        do {
            broker = try BrokerReconnection.replace(broker, with: next, sink: ingest, inbox: inbox, logger: logger, startedAt: startedAt)
            outbound.resendUnacknowledged()
        } catch {
            logger.error("SIGHUP: cannot set up connections with the new settings; the old ones stay", metadata: ["error": "\(error)"])
        }
    }

    /// The most syncs a second with `fsync interval` (tests: the setting reaches the journal).
    var journalSyncsPerSecond: Int? { ingest.syncsPerSecond }

    /// What the engine may run now (`OutputPacing`): input while the in-memory queue to the
    /// broker is under half full and not spilled; a tick or new settings only once its last
    /// output is journaled too. While it may not, input waits (and pauses at the broker) and a
    /// due tick does not wake the loop.
    private var pacing: OutputPacing { OutputPacing(unjournaled: pendingPublications.count, outbound: outbound) }

    /// The first journal seq of input the engine's state does not cover: the next input to run,
    /// or, when everything taken has run, the first journaled message not taken (the journal's
    /// next seq when none waits), so acknowledged output after the last input can be reclaimed.
    private var inputPosition: UInt64 { batch.isEmpty ? max(inputFrom, ingest.firstUntakenSeq) : inputFrom }

    /// Feeds the engine the input journaled since the last turn, and a tick when one is due,
    /// as `OutputPacing` allows: at most `InputBatch.perTurn` inputs a turn, the rest of
    /// a larger batch in the turns after (before anything more is taken).
    private func process() throws {
        let pacing = self.pacing
        guard pacing.mayRunInput else { return }
        if batch.isEmpty {
            let deadline = pacing.mayTick ? engine.nextDeadline() : nil
            let change = pacing.mayTick ? unjournaledSettings ?? live?.takeEngineChange() : nil
            let (taken, unjournaled) = ingest.take(configuration: change) { now in deadline.map { now >= $0 } ?? false }
            if pacing.mayTick { unjournaledSettings = unjournaled }
            if !taken.inputs.isEmpty { beforeBatch?() }
            batch.start(taken.inputs, configuration: taken.configuration, tick: taken.tick)
        }
        let part = batch.nextPart()
        let admittedBefore = engine.sensorsAdmitted
        for input in part.inputs {
            engine.ingest(topic: input.topic, payload: input.payload, receivedAt: input.time, into: &pendingPublications)
            inputFrom = input.seq + 1
        }
        if let change = part.configuration {
            engine.reconfigure(change.configuration)
            inputFrom = change.seq + 1
            counters.settingsApplied += 1
            logger.notice("new engine settings journaled; they apply from here on", metadata: ["journal_seq": "\(change.seq)"])
        }
        if let tick = part.tick {
            engine.tick(now: tick.time, into: &pendingPublications)
            inputFrom = tick.seq + 1
        }
        sensorEvents.admitted(engine.sensorsAdmitted - admittedBefore, tracked: engine.sensorCount, now: Clocks.monotonicMilliseconds())
        if let failure = ingest.failure { throw GatewayFailure.journal(failure) }
    }

    /// Journals the engine's publications (as many as fit) and commits.
    private func journalPending() throws {
        let time = ingest.clock.now()
        let written: Int = try ingest.withJournal { j in
            var n = 0
            for p in pendingPublications {
                let seq: UInt64
                recordBuffer.removeAll(keepingCapacity: true)
                JournalRecords.appendPublication(p, to: &recordBuffer)
                do {
                    seq = try recordBuffer.withUnsafeBytes { bytes in
                        try j.append(type: RecordType.publication.rawValue, flags: UInt16(p.kind.rawValue), time: time, payload: bytes)
                    }
                } catch JournalError.full {
                    break
                }
                outbound.enqueue(seq: seq, p)
                publicationsThrough = seq
                n += 1
            }
            try j.write()
            return n
        }
        try ingest.commit()
        sensorEvents.note(pendingPublications.prefix(written), now: Clocks.monotonicMilliseconds())
        pendingPublications.removeFirst(written)
        ingest.outputWaits(pacing.inputWaits)
    }

    private func finishTurn() throws {
        do {
            try journalPending()
        } catch {
            ingest.fail("\(error)")
            throw GatewayFailure.journal("\(error)")
        }
        try refillIfNeeded()
        publishDurable()
        let monotonic = Clocks.monotonicMilliseconds()
        if monotonic - lastCheckpointAt >= GatewayService.checkpointEveryMs {
            lastCheckpointAt = monotonic
            storeCheckpoint()
            checkPresence()
        }
        let pressure = ingest.withJournal { !$0.canAppend(bytes: $0.capacityBytes / 4) }
        let every = pressure ? min(GatewayService.snapshotUnderPressureMs, configuration.snapshotIntervalMs) : configuration.snapshotIntervalMs
        // Only when the engine has taken input since the last snapshot saved (an idle gateway
        // writes nothing, and a failed one is tried again) and, unless the journal is short
        // of room, when the journal has grown enough to pay for it in bytes written.
        let journalBytes = ingest.withJournal { $0.statistics.appendedBytes }
        let snapshotStatus = snapshots.status
        let grownEnough =
            snapshotStatus.lastError != nil  // the last attempt failed: retry without waiting for growth
            || journalBytes - journalBytesAtLastSnapshot >= GatewayService.journalBytesPerSnapshotByte * UInt64(snapshotStatus.lastBytes)
        if monotonic - lastSnapshotAt >= every, pressure || grownEnough, inputPosition != snapshotStatus.inputFrom {
            if let snapshot = takeSnapshot(), snapshots.start(snapshot) {
                lastSnapshotAt = monotonic
                journalBytesAtLastSnapshot = journalBytes
            }
        }
        if monotonic - lastRetentionAt >= GatewayService.retentionEveryMs || pressure {
            lastRetentionAt = monotonic
            updateRetention()
        }
        reportClockSteps()
        // Also at once when what `/healthz` reports of the broker changed, so a restart or a
        // reconnection is not reported up to half a second late.
        let health = BrokerHealth(broker)
        if monotonic - lastStatusAt >= 500 || health != lastBrokerHealth {
            lastStatusAt = monotonic
            lastBrokerHealth = health
            publishStatus()
        }
    }

    /// Reports (once, and on `/healthz` while it lasts) a journal removed or replaced under the
    /// running gateway.
    private func checkPresence() {
        let problem = presence.problem()
        if let problem, journalMissing == nil { logger.critical("\(problem)") }
        journalMissing = problem
    }

    /// Logs and counts each step of the wall clock the journal's timeline saw.
    private func reportClockSteps() {
        for step in ingest.clock.takeUnreportedSteps() {
            counters.clockSteps += 1
            let direction = step.milliseconds > 0 ? "forwards" : "backwards"
            let effect =
                step.milliseconds > 0
                ? "followed: reorder windows open at the step closed early (what they waited for is filled, flagged, and restated if it arrives)"
                : "not followed: windows keep their length; receive times run ahead of the wall clock by the step until it catches up"
            logger.warning(
                "the wall clock stepped \(direction)",
                metadata: ["step_ms": "\(step.milliseconds)", "effect": "\(effect)", "offset_ms": "\(ingest.clock.offsetMs)"])
        }
    }

    /// The broker's part of `/healthz`.
    private struct BrokerHealth: Equatable {
        var connected: Bool
        var subscribed: Bool
        var refused: Bool
        init(_ broker: BrokerSession) {
            connected = broker.inputConnected && broker.outputConnected
            subscribed = broker.subscribed
            refused = broker.subscriptionRefused
        }
    }

    /// The journal keeps everything from the oldest of: what the snapshot on disk needs, the
    /// first unacknowledged publication, the first input the engine has not taken.
    private func updateRetention() {
        let acknowledged = ingest.withJournal { outbound.acknowledgedThrough(journalWritten: $0.writtenSeq) }
        let keep = min(snapshots.status.retainFrom ?? 1, acknowledged + 1, inputPosition)
        ingest.withJournal { $0.retainFrom = keep }
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
        return EngineSnapshot(
            inputFrom: inputPosition, publicationsThrough: publicationsThrough, engine: engine, pending: pendingPublications,
            time: ingest.clock.now())
    }

    private func publishDurable() {
        guard broker.outputConnected else { return }
        let durable = ingest.withJournal { $0.durableSeq }
        let sendable = outbound.takeSendable(durableThrough: durable, maxInFlight: configuration.maxInFlight)
        for (i, entry) in sendable.enumerated() {
            let p = entry.publication
            do {
                let mid = try broker.output.publish(topic: p.topic, payload: p.payload, qos: .atLeastOnce, retain: p.retain)
                outbound.sent(entry, messageID: mid)
                counters.published[p.kind, default: 0] += 1
                afterSending?(outbound.inFlightCount)
            } catch {
                logger.warning("publish failed; will retry", metadata: ["error": "\(error)"])
                outbound.putBack(Array(sendable[i...]))
                return
            }
        }
    }

    private func refillIfNeeded() throws {
        guard outbound.needsRefill, let from = outbound.spilledFrom else { return }
        var entries: [OutboundQueue.Entry] = []
        let limit = outbound.capacity / 2
        var complete = true
        let written = ingest.withJournal { $0.writtenSeq }
        let reader = try JournalReader(directory: configuration.journalDirectory)
        try reader.read(fromSeq: from) { record in
            if record.seq > written { return false }
            guard record.type == RecordType.publication.rawValue, let p = JournalRecords.decodePublication(record.payload) else { return true }
            if entries.count >= limit { complete = false; return false }
            entries.append(.init(seq: record.seq, publication: p))
            return true
        }
        outbound.refill(entries, complete: complete)
    }

    /// Records the acknowledged position. A failure is logged and counted: the checkpoint is a
    /// hint (a restart then resends a little more, with identical content).
    private func storeCheckpoint() {
        let acked = ingest.withJournal { outbound.acknowledgedThrough(journalWritten: $0.writtenSeq) }
        guard acked > lastCheckpoint else { return }
        do {
            try ingest.withJournal { try $0.storeCheckpoint(acked) }
            lastCheckpoint = acked
        } catch {
            counters.checkpointFailures += 1
            if counters.checkpointFailures == 1 || counters.checkpointFailures % 100 == 0 {
                logger.error("checkpoint not saved", metadata: ["error": "\(error)", "failures": "\(counters.checkpointFailures)"])
            }
        }
    }

    // MARK: - Shutdown

    /// A drain ends within this (ms): the systemd unit's `TimeoutStopSec` is 15 s, and a drain
    /// killed half-way loses nothing but wastes the snapshot it was writing.
    static let drainBudgetMs: Int64 = 10_000

    /// Stop taking readings, process what was taken, wait (a few seconds at most) for the
    /// broker to acknowledge what was sent, sync the journal, record the checkpoint and a
    /// snapshot (when one can be written within `drainBudgetMs`: the journal keeps what it
    /// would have covered, so skipping it only lengthens the next start's replay).
    private func drain() async throws {
        logger.notice("shutting down: draining")
        notifier?.send("STOPPING=1")
        ingest.closeInput()
        let began = Clocks.monotonicMilliseconds()
        let deadline = began + 3000
        repeat {
            try turn()
            if outbound.waitingCount == 0 && outbound.inFlightCount == 0 && pendingPublications.isEmpty && batch.isEmpty { break }
            await inbox.wait(atMost: 20)
        } while broker.outputConnected && Clocks.monotonicMilliseconds() < deadline
        try ingest.sync()
        storeCheckpoint()
        // What is left of the budget once the broker's close (a second and a half) is set aside.
        let snapshotDeadline = began + GatewayService.drainBudgetMs - 1_500
        if await snapshots.waitIdle(until: snapshotDeadline), snapshots.expectedToFinish(by: snapshotDeadline) {
            if let snapshot = takeSnapshot() { snapshots.writeNow(snapshot) }
        } else {
            logger.notice(
                "no engine snapshot at shutdown: it would not be done in time; the journal keeps what it would have covered",
                metadata: ["last_snapshot_ms": "\(snapshots.status.lastDurationMs)"])
        }
        await broker.close(waitingWith: inbox)
        publishStatus()
        logger.notice("stopped", metadata: ["unacknowledged": "\(outbound.waitingCount + outbound.inFlightCount)"])
    }

    /// After a journal failure: consume nothing more, close the connections.
    public func abandon() async {
        await broker.close(waitingWith: inbox)
    }

    // MARK: - Status and replay

    /// How often the status page's per-sensor rows are rebuilt: with each status update (0.5 s)
    /// up to 2,000 sensors, then 0.25 ms per sensor (5 s at 20,000). Copying every sensor's row
    /// on the service loop twice a second would cost a large fleet's readings latency for a page
    /// nobody may be looking at; the counters and metrics still update every 0.5 s.
    static func sensorRowsEveryMs(sensors: Int) -> Int64 { max(500, Int64(sensors) / 4) }

    private func publishStatus() {
        var s = GatewayStatusSnapshot()
        s.restoring = false
        s.connected = broker.inputConnected && broker.outputConnected
        s.subscriptionRefused = broker.subscriptionRefused
        s.subscribed = broker.subscribed
        s.readingsSubscriptions = broker.readingsSubscriptions
        s.counters = engine.counters
        let now = Clocks.monotonicMilliseconds()
        if now - lastSensorRowsAt >= Self.sensorRowsEveryMs(sensors: engine.sensorCount) {
            lastSensorRowsAt = now
            s.sensors = engine.summaries
        } else {
            s.sensors = status.snapshot.sensors
        }
        s.publishedByKind = Dictionary(uniqueKeysWithValues: counters.published.map { ("\($0.key)", $0.value) })
        ingest.withJournal { j in
            s.journalWritable = !j.isPoisoned
            s.journal = j.statistics
            s.journalDurableSeq = j.durableSeq
            s.journalAppendableBytes = j.appendableBytes
            s.journalCapacityBytes = j.capacityBytes
            s.journalOldestTime = j.oldestTime
            s.journalLastSeq = j.nextSeq - 1
        }
        if ingest.failure != nil { s.journalWritable = false }
        s.inputPause = ingest.pause?.rawValue
        s.ingest = ingest.statistics
        s.snapshots = snapshots.status
        s.runtime = counters
        s.checkpoint = lastCheckpoint
        s.outboundWaiting = outbound.waitingCount
        s.outboundInFlight = outbound.inFlightCount
        s.startedAt = startedAt
        s.runtime.inputReconnects = max(0, broker.inputConnections - 1)
        s.runtime.outputReconnects = max(0, broker.outputConnections - 1)
        s.clockOffsetMs = ingest.clock.offsetMs
        s.lastReceivedAt = s.ingest.lastAcceptedAt
        s.journalDamage = journalDamage
        s.journalMissing = journalMissing
        status.update(s)
    }

    private func startReplay(_ payload: [UInt8]) {
        counters.replays += 1
        ReplayResponder.start(
            payload, journalDirectory: configuration.journalDirectory, client: broker.output,
            limits: live?.replayLimits ?? configuration.replay, slots: replaySlots,
            deadLetters: .init(gatewayID: configuration.gatewayID, maxPayloadBytes: configuration.engine.maxPayloadBytes),
            logger: logger)
    }
}

/// Hands the service to its loop thread. Unchecked because `GatewayService` is not Sendable; it
/// is not shared either: `run()` waits for the thread to end before it touches the service again.
private struct LoopThreadHandOff: @unchecked Sendable {
    let service: GatewayService
}
