import Foundation
import Journal
import Logging
import MQTT
import Recovery

/// The daemon: subscribe, journal, recover, publish, acknowledge (CONTRACT sections 1-8).
///
/// One task owns the journal and the engine. Each turn of the loop takes every MQTT event that
/// has arrived, journals the messages, runs them (and a tick, when one is due) through the
/// engine, journals the resulting publications, commits the journal once, and sends what is
/// durable. Broker acknowledgements advance the journal checkpoint.
public final class GatewayService {
    public let configuration: GatewayConfiguration
    private let logger: Logger
    private let shutdown: ShutdownSignal
    private let client: MQTTClient
    private let journal: Journal
    private var engine: RecoveryEngine
    private var outbound: OutboundQueue
    private var connected = false
    private var lastTime: Int64 = 0
    private var pendingPublications: [Publication] = []
    private var lastCheckpoint: UInt64 = 0
    private var lastCheckpointAt: Int64 = 0
    private var lastSnapshotAt: Int64 = 0
    private var lastStatusAt: Int64 = 0
    private let startedAt = Clocks.epochMilliseconds()
    private let fileSystem = POSIXFileSystem()
    public let status: StatusBoard
    private var publishedByKind: [Publication.Kind: Int] = [:]
    private var replays = 0
    /// The message id of the readings subscription awaiting its SUBACK.
    private var pendingSubscription: Int32?
    /// The broker refused the readings subscription: nothing will arrive until that is fixed.
    private var subscriptionRefused = false
    /// The broker acknowledged the readings subscription on the current connection.
    private var subscribed = false

    static let maxInFlight = 1000
    static let snapshotEveryMs: Int64 = 10_000
    static let checkpointEveryMs: Int64 = 1_000
    public static let version = "0.1.0"

    /// Opens the journal (recovering it), restores the engine and prepares the MQTT client.
    /// Throws for a journal that cannot be opened; an unreachable broker is not an error.
    public convenience init(configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal,
                            status: StatusBoard = StatusBoard()) throws {
        try self.init(configuration: configuration, logger: logger, shutdown: shutdown, status: status, outboundCapacity: 100_000)
    }

    /// `outboundCapacity`: publications kept in memory before the journal serves as the queue
    /// (a parameter so tests can make the journal path run).
    init(configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal, status: StatusBoard,
         outboundCapacity: Int) throws {
        self.configuration = configuration
        outbound = OutboundQueue(capacity: outboundCapacity)
        self.logger = logger
        self.shutdown = shutdown
        self.status = status
        let layout = try JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes)
        journal = try Journal(layout: layout, fsync: configuration.fsync)
        engine = RecoveryEngine(configuration: configuration.engine)

        var mqtt = MQTTConfiguration(host: configuration.brokerHost, port: configuration.brokerPort, clientID: configuration.effectiveClientID)
        mqtt.cleanSession = false
        mqtt.username = configuration.username
        mqtt.password = configuration.password
        if let ca = configuration.caFile {
            mqtt.tls = .init(caFile: ca, certFile: configuration.certFile, keyFile: configuration.keyFile)
        }
        mqtt.will = .init(topic: configuration.statusTopic, payload: Array("{\"state\":\"offline\"}".utf8), qos: 1, retain: true)
        client = try MQTTClient(mqtt)
        try recover()
    }

    // MARK: - Recovery

    private func recover() throws {
        let r = journal.report
        logger.info("journal opened", metadata: ["records": "\(r.records)", "next_seq": "\(journal.nextSeq)", "checkpoint": "\(journal.checkpoint.value.map(String.init) ?? "none")"])
        for p in r.fileProblems { logger.warning("journal file problem: \(p)") }
        for c in r.corruption { logger.error("journal corruption: \(c)") }
        if r.tornTail { logger.notice("journal: an interrupted last write was discarded") }

        var replayFrom = journal.oldestSeq ?? journal.nextSeq
        do {
            if let snapshot = try EngineSnapshot.load(configuration.snapshotPath, fileSystem: fileSystem) {
                if snapshot.engine.configuration == configuration.engine {
                    engine = snapshot.engine
                    replayFrom = snapshot.nextSeq
                    if let oldest = journal.oldestSeq, oldest > snapshot.nextSeq {
                        logger.warning("journal no longer holds records \(snapshot.nextSeq)..<\(oldest) after the engine snapshot; state may differ slightly")
                    }
                } else {
                    logger.notice("settings changed since the last run: engine state rebuilt from the journal")
                }
            }
        } catch {
            logger.error("engine snapshot unreadable (\(error)); rebuilding from the journal")
        }

        // Publications after the checkpoint are resent, wherever the snapshot is: a snapshot can
        // be newer than publications still waiting for their acknowledgement. The engine is
        // fed only from the snapshot's position on.
        let acknowledged = journal.checkpoint.value ?? 0
        let scanFrom = min(replayFrom, acknowledged + 1)
        var regenerated: [Publication] = []
        var journaled = 0
        var replayed = 0
        if journal.nextSeq > scanFrom, journal.oldestSeq != nil {
            let reader = try JournalReader(directory: configuration.journalDirectory)
            try reader.read(fromSeq: scanFrom) { record in
                lastTime = max(lastTime, record.time)
                let replaying = record.seq >= replayFrom
                switch RecordType(rawValue: record.type) {
                case .message:
                    if replaying, let (topic, payload) = JournalRecords.decodeMessage(record.payload) {
                        engine.ingest(topic: topic, payload: Array(payload), receivedAt: record.time, into: &regenerated)
                        replayed += 1
                    }
                case .tick:
                    if replaying { engine.tick(now: record.time, into: &regenerated) }
                case .publication:
                    if replaying { journaled += 1 }
                    if record.seq > acknowledged, let p = JournalRecords.decodePublication(record.payload) {
                        outbound.enqueue(seq: record.seq, p)
                    }
                case nil:
                    break
                }
                return true
            }
        }
        if journaled > regenerated.count {
            logger.warning("journal holds \(journaled) publications after the snapshot but replay produced \(regenerated.count)")
        }
        pendingPublications = Array(regenerated.dropFirst(journaled))
        logger.info("engine restored", metadata: ["replayed_messages": "\(replayed)", "unacknowledged": "\(outbound.waitingCount)", "to_publish": "\(pendingPublications.count)"])
        try journalPending(now: Clocks.monotonicMilliseconds())
        try journal.sync()
        lastCheckpoint = acknowledged
    }

    // MARK: - The loop

    /// Runs until the shutdown signal, then drains and returns. Throws when the journal fails.
    public func run() async throws {
        logger.info("starting", metadata: ["config": "\(configuration.summary)"])
        try client.start()
        while !shutdown.isRequested {
            let events = await nextEvents(waitingAtMost: loopWait())
            try handle(events)
            try tickIfDue()
            try finishTurn()
        }
        try await drain()
    }

    private func loopWait() -> Int64 {
        var wait: Int64 = 200
        if outbound.waitingCount > 0 && journal.durableSeq < outbound.lastSeq { wait = min(wait, journal.syncIntervalMs) }
        if let deadline = engine.nextDeadline() { wait = min(wait, max(1, deadline - Clocks.epochMilliseconds())) }
        return max(wait, 1)
    }

    private func nextEvents(waitingAtMost ms: Int64) async -> [MQTTEvent] {
        await client.nextEvents(waitingAtMost: .milliseconds(ms))
    }

    private func now() -> Int64 {
        lastTime = max(lastTime, Clocks.epochMilliseconds())
        return lastTime
    }

    private func handle(_ events: [MQTTEvent]) throws {
        for event in events {
            switch event {
            case .message(let m):
                if m.topic == configuration.replayTopic {
                    startReplay(m.payload)
                    continue
                }
                let time = now()
                try journal.append(type: RecordType.message.rawValue, time: time, payload: JournalRecords.encodeMessage(topic: m.topic, payload: m.payload))
                engine.ingest(topic: m.topic, payload: m.payload, receivedAt: time, into: &pendingPublications)
            case .published(let mid):
                outbound.acknowledged(messageID: mid)
            case .connected(let sessionPresent):
                connected = true
                subscribed = false
                logger.notice("connected to broker \(configuration.brokerHost):\(configuration.brokerPort)", metadata: ["session_present": "\(sessionPresent)"])
                do {
                    pendingSubscription = try client.subscribe(configuration.engine.topicPattern.filter, qos: 1)
                    try client.subscribe(configuration.replayTopic, qos: 1)
                    let online = "{\"state\":\"online\",\"version\":\"\(GatewayService.version)\",\"started_at\":\(startedAt)}"
                    try client.publish(topic: configuration.statusTopic, payload: Array(online.utf8), qos: 1, retain: true)
                } catch {
                    logger.error("after connecting: \(error)")
                }
            case .connectFailed(let reason):
                connected = false
                subscribed = false
                logger.warning("cannot reach broker \(configuration.brokerHost):\(configuration.brokerPort): \(reason); retrying with backoff")
            case .disconnected(let reason, let expected):
                connected = false
                subscribed = false
                if !expected { logger.warning("lost broker connection: \(reason); reconnecting") }
            case .subscribed(let mid):
                if mid == pendingSubscription {
                    pendingSubscription = nil
                    subscriptionRefused = false
                    subscribed = true
                    logger.info("subscribed to \(configuration.engine.topicPattern.filter)")
                }
            case .subscriptionRefused(let mid):
                if mid == pendingSubscription {
                    pendingSubscription = nil
                    subscriptionRefused = true
                    logger.error("the broker refused the subscription to \(configuration.engine.topicPattern.filter) (check its ACL); no readings will arrive")
                }
            }
        }
    }

    private func tickIfDue() throws {
        guard let deadline = engine.nextDeadline(), Clocks.epochMilliseconds() >= deadline else { return }
        let time = now()
        try journal.append(type: RecordType.tick.rawValue, time: time, payload: [])
        engine.tick(now: time, into: &pendingPublications)
    }

    private func journalPending(now monotonic: Int64) throws {
        let time = lastTime
        for p in pendingPublications {
            let seq = try journal.append(type: RecordType.publication.rawValue, flags: UInt16(p.kind.rawValue), time: time,
                                         payload: JournalRecords.encodePublication(p))
            outbound.enqueue(seq: seq, p)
        }
        pendingPublications.removeAll(keepingCapacity: true)
        try journal.commit(now: monotonic)
    }

    private func finishTurn() throws {
        let monotonic = Clocks.monotonicMilliseconds()
        try journalPending(now: monotonic)
        try refillIfNeeded()
        publishDurable()
        if monotonic - lastCheckpointAt >= GatewayService.checkpointEveryMs {
            lastCheckpointAt = monotonic
            try storeCheckpoint()
        }
        if monotonic - lastSnapshotAt >= GatewayService.snapshotEveryMs {
            lastSnapshotAt = monotonic
            try saveSnapshot()
        }
        if monotonic - lastStatusAt >= 500 {
            lastStatusAt = monotonic
            publishStatus()
        }
    }

    private func publishDurable() {
        guard connected else { return }
        let sendable = outbound.takeSendable(durableThrough: journal.durableSeq, maxInFlight: GatewayService.maxInFlight)
        for (i, entry) in sendable.enumerated() {
            let p = entry.publication
            do {
                let mid = try client.publish(topic: p.topic, payload: p.payload, qos: 1, retain: p.retain)
                outbound.sent(entry, messageID: mid)
                publishedByKind[p.kind, default: 0] += 1
            } catch {
                logger.warning("publish failed (\(error)); will retry")
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
        let reader = try JournalReader(directory: configuration.journalDirectory)
        try reader.read(fromSeq: from) { record in
            guard record.type == RecordType.publication.rawValue, let p = JournalRecords.decodePublication(record.payload) else { return true }
            if record.seq > journal.writtenSeq { return false }
            if entries.count >= limit { complete = false; return false }
            entries.append(.init(seq: record.seq, publication: p))
            return true
        }
        outbound.refill(entries, complete: complete)
    }

    private func storeCheckpoint() throws {
        let acked = outbound.acknowledgedThrough(journalWritten: journal.writtenSeq)
        guard acked > lastCheckpoint else { return }
        try journal.checkpoint.store(acked)
        lastCheckpoint = acked
    }

    private func saveSnapshot() throws {
        try journal.sync()
        try EngineSnapshot(nextSeq: journal.nextSeq, engine: engine).save(configuration.snapshotPath, fileSystem: fileSystem)
    }

    // MARK: - Shutdown

    /// Stop taking readings, release what is due, wait (a few seconds at most) for the broker to
    /// acknowledge what was sent, sync the journal, record the checkpoint and a snapshot.
    private func drain() async throws {
        logger.notice("shutting down: draining")
        try tickIfDue()
        try journalPending(now: Clocks.monotonicMilliseconds())
        try journal.sync()
        let deadline = Clocks.monotonicMilliseconds() + 3000
        while connected && (outbound.waitingCount > 0 || outbound.inFlightCount > 0) && Clocks.monotonicMilliseconds() < deadline {
            publishDurable()
            // Readings still arriving were already acknowledged to the broker by libmosquitto:
            // journal and process them like any other, so none is lost.
            try handle(await nextEvents(waitingAtMost: 50))
            try journalPending(now: Clocks.monotonicMilliseconds())
        }
        try journal.sync()
        try storeCheckpoint()
        try saveSnapshot()
        if connected, let mid = try? client.publish(topic: configuration.statusTopic, payload: Array("{\"state\":\"offline\"}".utf8),
                                                    qos: 1, retain: true) {
            // Wait (briefly) for the broker to take it, so the retained status is right.
            let ackDeadline = Clocks.monotonicMilliseconds() + 1000
            while Clocks.monotonicMilliseconds() < ackDeadline {
                if await nextEvents(waitingAtMost: 50).contains(.published(messageID: mid)) { break }
            }
        }
        await client.disconnect()
        logger.notice("stopped", metadata: ["unacknowledged": "\(outbound.waitingCount + outbound.inFlightCount)"])
    }

    // MARK: - Status and replay

    private func publishStatus() {
        var s = GatewayStatusSnapshot()
        s.connected = connected
        s.subscriptionRefused = subscriptionRefused
        s.subscribed = subscribed
        s.journalWritable = !journal.isPoisoned
        s.counters = engine.counters
        s.sensors = engine.summaries
        s.publishedByKind = Dictionary(uniqueKeysWithValues: publishedByKind.map { ("\($0.key)", $0.value) })
        s.journal = journal.statistics
        s.journalDurableSeq = journal.durableSeq
        s.checkpoint = lastCheckpoint
        s.outboundWaiting = outbound.waitingCount
        s.outboundInFlight = outbound.inFlightCount
        s.startedAt = startedAt
        s.replays = replays
        status.update(s)
    }

    private func startReplay(_ payload: [UInt8]) {
        replays += 1
        let client = self.client
        let directory = configuration.journalDirectory
        let logger = self.logger
        Task.detached {
            await ReplayResponder.respond(to: payload, journalDirectory: directory, client: client, logger: logger)
        }
    }
}
