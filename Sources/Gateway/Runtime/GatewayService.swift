import Foundation
import Journal
import Logging
import MQTT
import Recovery

// Over 250 lines: the wiring of the owners and the dispatch of each event to its owner; each
// owner's work lives in its own file (the list below).

/// The daemon: journal, recover, publish, acknowledge (docs/INTERFACE.md sections 1-9).
///
/// Data flows one way, through owners with one job each (docs/ARCHITECTURE.md walks a reading
/// through them):
///
/// 1. `IngestJournal`: the input connection's network thread appends each reading to the
///    journal as libmosquitto hands it over, and pauses input while the gateway is behind.
/// 2. `Pipeline`: takes the journaled input in order and runs it and the clock ticks through
///    the engine.
/// 3. `Publisher`: journals the engine's publications, sends what is durable on the output
///    connection, and tracks each until the broker acknowledges it.
/// 4. `Maintenance`: checkpoint, snapshots, the journal's retention and the status, as
///    policies with their intervals in one table.
/// 5. `Observability`: the status behind `/healthz`, `/metrics` and the status page, the
///    publish latency, sensors' lifecycle in the log.
/// 6. `Replays`: replay requests, answered off the loop.
///
/// This type wires them, runs the service loop on a thread of its own (every owner is
/// confined to it), dispatches the broker's events and drains at shutdown.
public final class GatewayService {
    public let configuration: GatewayConfiguration
    public let status: StatusBoard
    private let logger: Logger
    let shutdown: ShutdownSignal
    let ingest: IngestJournal
    /// Replaced when a SIGHUP changes the connection settings (`BrokerReconnection`); the
    /// owners that use it are handed the new one.
    private var broker: BrokerSession
    let inbox: Inbox
    let pipeline: Pipeline
    let publisher: Publisher
    private let maintenance: Maintenance
    private let observability: Observability
    private let replays: Replays
    /// Settings a SIGHUP reload changed (nil in tests that build a service without one).
    private let live: LiveSettings?
    private let startedAt: Int64
    /// When the drain began (monotonic ms): the whole drain keeps within `Waits.drainBudgetMs`.
    private var drainBegan: Int64 = 0
    /// Whether the sensors are heard: connected, and input read as it comes.
    private var hearing = InputHearing()
    private var probe = BrokerProbe(now: Clocks.monotonicMilliseconds())
    /// The timeline's lead over the wall clock, kept for the next start.
    private var clockLead: ClockLeadFile
    /// The ingest's count of accepted messages at the last turn: a change is input heard.
    private var acceptedSeen = 0
    /// Readiness, stopping and watchdog pings for a `Type=notify` systemd unit (nil outside one).
    private let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)

    /// Test hook: runs before each batch of input reaches the engine (to make it slow).
    var beforeBatch: (@Sendable () -> Void)? {
        get { pipeline.beforeBatch }
        set { pipeline.beforeBatch = newValue }
    }
    /// Test hook: told how many publications await their acknowledgement after each send.
    var afterSending: (@Sendable (_ inFlight: Int) -> Void)? {
        get { publisher.afterSending }
        set { publisher.afterSending = newValue }
    }

    /// Opens the journal (recovering it), restores the engine and prepares both broker
    /// connections. Throws for a journal that cannot be opened; an unreachable broker is not an
    /// error.
    public convenience init(
        configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal,
        status: StatusBoard = StatusBoard(), live: LiveSettings? = nil
    ) throws {
        try self.init(
            configuration: configuration, logger: logger, shutdown: shutdown, status: status,
            outboundCapacity: OutboundQueue.defaultCapacity, ingestLimits: IngestJournal.Limits(), live: live)
    }

    /// `outboundCapacity`: publications kept in memory before the journal serves as the queue;
    /// `ingestLimits`: the input bounds; `clocks`: the wall and monotonic clocks; `fileSystem`:
    /// the journal's file layer (parameters so tests can make those paths run, step the wall
    /// clock and slow the disk down).
    init(
        configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal, status: StatusBoard,
        outboundCapacity: Int, ingestLimits: IngestJournal.Limits, clocks: JournalClock.Sources = .system,
        live: LiveSettings? = nil, fileSystem: FileSystem? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.shutdown = shutdown
        self.status = status
        self.live = live
        let startedAt = Clocks.epochMilliseconds()
        self.startedAt = startedAt
        let inbox = Inbox()
        self.inbox = inbox
        shutdown.onRequest { inbox.stop() }
        live?.onEngineChange { inbox.settingsChanged() }
        let opened = try JournalOpening.open(
            configuration, limits: ingestLimits, clocks: clocks, fileSystem: fileSystem, logger: logger,
            onInput: { inbox.inputArrived(waiting: $0) }, onDurable: { inbox.journalDurable() })
        ingest = opened.ingest

        var outbound = OutboundQueue(capacity: outboundCapacity)
        // Read while the journal is replayed (the restore needs it only at the end): its quiet
        // half second and the broker's retained values, 10,000 at plant size, no longer come
        // on top of the replay (measured: 1.2 s of a 2.1 s restart; docs/PERFORMANCE.md).
        let published = ThreadedResult { [shutdown] in BrokerLatest.read(configuration, logger: logger, shutdown: shutdown) }
        let restored = try JournalRestore(configuration: configuration, logger: logger).run(
            ingest, outbound: &outbound, published: published.wait, journalCreated: opened.created, snapshot: opened.snapshot.wait,
            stopRequested: { shutdown.isRequested })
        // After the journal is open (its lock held), so the lead file is this process's too.
        clockLead = ClockLeadFile(path: configuration.clockLeadPath, logger: logger)
        ingest.resume(after: restored.lastTime, lead: clockLead.read())
        clockLead.keep(ingest.clock.offsetMs)
        let (inputFrom, publicationsThrough, checkpoint) = ingest.withJournal { j in (j.nextSeq, j.nextSeq - 1, j.checkpoint.value ?? 0) }
        logger.info(
            "engine restored",
            metadata: [
                "replayed_inputs": "\(restored.replayedInputs)", "compared_publications": "\(restored.comparedPublications)",
                "unacknowledged": "\(outbound.waitingCount)",
                "to_publish": "\(restored.toJournal.count)",
            ])
        // After the journal is open, so the data folder is this process's (its lock is held).
        let previousStart = PreviousRunStart.exchange(path: configuration.lastStartPath, startedAt: startedAt, logger: logger)
        broker = try BrokerSession(
            configuration: configuration, sink: ingest, inbox: inbox, logger: logger, startedAt: startedAt, previousStartedAt: previousStart)
        broker.retiredFilters = restored.engine.configuration.readingFilters.filter { !configuration.engine.readingFilters.contains($0) }
        pipeline = Pipeline(
            engine: restored.engine, configured: configuration.engine, inputFrom: inputFrom, ingest: ingest, live: live, logger: logger)
        publisher = Publisher(
            outbound: outbound, pending: restored.toJournal, standIns: restored.standIns, publicationsThrough: publicationsThrough,
            ingest: ingest, broker: broker, configuration: configuration, logger: logger)
        maintenance = Maintenance(
            ingest: ingest, pipeline: pipeline, publisher: publisher,
            snapshots: SnapshotWriter(path: configuration.snapshotPath, logger: logger, retainFrom: restored.snapshotRetainFrom),
            presence: opened.presence, checkpoint: checkpoint, snapshotIntervalMs: configuration.snapshotIntervalMs,
            restartReplayMaxRecords: configuration.restartReplayMaxRecords, logger: logger)
        let found = opened.damage + restored.damage
        // On the journal's timeline, not the wall clock: a clock stepped back behind the record
        // hid damage found by an earlier start (found black-box, 76th review), and the timeline
        // goes on across restarts by its lead (`ClockLeadFile`).
        let (damage, flagWindowsBefore) = JournalDamageHistory.exchange(
            path: configuration.damageHistoryPath, found: found, now: ingest.clock.now(),
            newestReadingTs: restored.engine.newestKnownTs(besides: published.wait().values), logger: logger)
        publisher.aggregatesFromDamagedJournalBefore = flagWindowsBefore
        if !found.isEmpty {
            // `journal verify` reads the journal's files only: it has nothing to say about what
            // only the restore found (a snapshot or the broker's latest/ past the journal).
            let next =
                opened.damage.isEmpty
                ? "The error lines above say what was found; the journal's files themselves are whole (`journal verify` finds nothing)"
                : "Run `sensor-gateway journal verify --data-dir \(configuration.dataDirectory)` for the details"
            logger.error("journal damage found at start; /healthz reports degraded. \(next)", metadata: ["problems": "\(found.count)"])
        }
        observability = Observability(
            status: status, ingest: ingest, broker: broker, journalDamage: damage, startedAt: startedAt, logger: logger)
        observability.restored(restored)
        replays = Replays(configuration: configuration, client: broker.output, live: live, logger: logger)
        maintenance.snapshotAtStart()
        maintenance.updateRetention()
        try publisher.journalPending { observability.journaled($0, declares: pipeline.declares) }
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
        await finishDrain()
    }

    /// One turn: events, input, output, bookkeeping.
    func turn() throws {
        let began = Clocks.monotonicMilliseconds()
        for arrival in inbox.take() { handle(arrival) }
        if let next = live?.takeConnectionChange() { reconnect(with: next) }
        let pacing = publisher.pacing
        if pacing.mayRunInput {
            let answering = brokerAnswering(now: began)
            let listening = hearing.listening(subscribed: broker.subscribed && answering, paused: !ingest.acceptsMore, now: began)
            observability.inputBehind(since: hearing.behindSince)
            let admitted = pipeline.process(into: &publisher.pending, mayTick: pacing.mayTick, listening: listening)
            observability.sensorsAdmitted(admitted, tracked: pipeline.engine.sensorCount)
            observability.journalDamagedGaps(pipeline.engine.counters.output.journalDamagedGaps)
            observability.readingsAheadOfClock(
                pipeline.engine.counters.aheadOfClock, last: pipeline.engine.counters.lastAheadOfClock,
                futureToleranceMs: pipeline.engine.configuration.futureToleranceMs)
            observability.sparkplugSequenceJumps(
                pipeline.engine.counters.sparkplug.sequenceJumps, lastNode: pipeline.engine.counters.sparkplug.lastSequenceJumpNode)
            if let failure = ingest.failure { throw GatewayFailure.journal(failure) }
        }
        do {
            try publisher.journalPending { observability.journaled($0, declares: pipeline.declares) }
        } catch {
            ingest.fail("\(error)")
            throw GatewayFailure.journal("\(error)")
        }
        try publisher.refillIfNeeded()
        publisher.publishDurable()
        if observability.reportClockSteps() { clockLead.keep(ingest.clock.offsetMs) }
        maintenance.run(now: Clocks.monotonicMilliseconds(), brokerHealthChanged: observability.brokerHealthChanged, publishStatus: publishStatus)
        status.turnCompleted(began: began)
        notifier?.watchdogIfDue(now: Clocks.monotonicMilliseconds())
    }

    /// Whether the broker answers (`BrokerProbe`): neither the probe sent after `quietMs` without
    /// input or acknowledgements, nor a publication in flight, has waited `unansweredMs` for its
    /// acknowledgement. Sends the probe when due.
    private func brokerAnswering(now: Int64) -> Bool {
        let accepted = ingest.acceptedCount
        if accepted != acceptedSeen {
            acceptedSeen = accepted
            probe.heard(at: now)
        }
        if broker.outputConnected, probe.due(now: now), let mid = broker.publishProbe() { probe.sent(mid, at: now) }
        return probe.answering(
            now: now, outputConnected: broker.outputConnected,
            publicationsUnanswered: publisher.unanswered(now: now, for: BrokerProbe.unansweredMs))
    }

    /// Dispatches one of the broker's events to its owner.
    private func handle(_ arrival: Inbox.Arrival) {
        switch broker.handle(arrival) {
        case .none: break
        case .acknowledged(let mid):
            if probe.answered(mid, at: arrival.at / 1000) { break }
            if let latency = publisher.acknowledged(mid, at: arrival.at) {
                observability.publishLatency(microseconds: latency)
                let inFlight = publisher.lastInFlightMicroseconds
                if probe.acknowledged(inFlight: inFlight, at: arrival.at / 1000) {
                    observability.slowAnswer(latencyMs: inFlight / 1000, at: arrival.at / 1000)
                }
            }
        case .refused(let mid, let reason):
            // A probe refused by an older ACL is an answer all the same; its acknowledgement follows.
            if probe.isPending(mid) { break }
            let publication = publisher.inFlight(mid)
            observability.publicationRefused(kind: publication.map { "\($0.kind)" } ?? "status", topic: publication?.topic, reason: reason)
        case .otherInstance(let sighting): observability.otherInstanceSeen(sighting)
        case .connectionTakenOver(let side, let id, let count): observability.connectionTakenOver(connection: side, clientID: id, inARow: count)
        case .overlappingGateway(let change): observability.overlappingGateway(change)
        case .brokerDropCount(let payload): observability.brokerDropCount(payload)
        case .replayRequest(let payload): replays.start(payload)
        case .sparkplugConnected(let bdSeq): publisher.sparkplug?.connected(bdSeq: bdSeq)
        case .sparkplugDisconnected: publisher.sparkplug?.disconnected()
        case .sparkplugCommand(let payload, let device): publisher.sparkplug?.command(payload, device: device)
        case .sparkplugBirthHeard(let payload): publisher.sparkplug?.heardBirth(payload)
        case .sparkplugBirthUnconfirmable: publisher.sparkplug?.confirmationRefused()
        case .sparkplugPrimaryHost(let online, let timestamp): publisher.sparkplug?.primaryHost(online: online, timestamp: timestamp)
        }
    }

    private func publishStatus() {
        observability.publishStatus(pipeline: pipeline, publisher: publisher, maintenance: maintenance, replays: replays)
    }

    /// New connection settings from a SIGHUP: a new session replaces the old one, and what the
    /// old one had not seen acknowledged goes out again on the new one.
    private func reconnect(with next: GatewayConfiguration) {
        do {
            broker = try BrokerReconnection.replace(broker, with: next, sink: ingest, inbox: inbox, logger: logger, startedAt: startedAt)
            publisher.reconnected(to: broker)
            observability.reconnected(to: broker)
            replays.reconnected(to: broker.output)
        } catch {
            logger.error("SIGHUP: cannot set up connections with the new settings; the old ones stay", metadata: ["error": "\(error)"])
        }
    }

    /// The most syncs a second with `fsync interval` (tests: the setting reaches the journal).
    var journalSyncsPerSecond: Int? { ingest.syncsPerSecond }

    // MARK: - Shutdown

    /// The drain, on the loop's thread: stop taking readings, process what was taken, wait
    /// (`Waits.drainLimitMs` at most) for the broker to acknowledge what was sent, sync the
    /// journal, record the checkpoint.
    func drainTurns() throws {
        logger.notice("shutting down: draining")
        notifier?.send("STOPPING=1")
        ingest.closeInput()
        drainBegan = Clocks.monotonicMilliseconds()
        let deadline = drainBegan + Waits.drainLimitMs
        repeat {
            try turn()
            if publisher.isIdle && !pipeline.hasUnrunInput { break }
            inbox.waitBlocking(atMost: Waits.drainStepMs, until: .draining)
        } while broker.outputConnected && Clocks.monotonicMilliseconds() < deadline
        try ingest.sync()
        maintenance.storeCheckpoint()
    }

    /// The rest of the drain, once the loop's thread has ended: a last snapshot (when it can be
    /// written within `Waits.drainBudgetMs` of the drain's start, less the broker's close), the
    /// retained offline status, both connections closed, the last status.
    private func finishDrain() async {
        await maintenance.finalSnapshot(deadline: drainBegan + Waits.drainBudgetMs - Waits.closeMs)
        await broker.close(waitingWith: inbox)
        publishStatus()
        logger.notice("stopped", metadata: ["unacknowledged": "\(publisher.outbound.waitingCount + publisher.outbound.inFlightCount)"])
    }

    /// After a journal failure: consume nothing more, close the connections.
    public func abandon() async {
        await broker.close(waitingWith: inbox)
    }
}
