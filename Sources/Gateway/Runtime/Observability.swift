import Foundation
import Logging
import Recovery

/// What the running gateway says about itself: the status snapshot behind `/healthz`,
/// `/metrics` and the status page (`StatusBoard`), the publish latency metric, sensors'
/// lifecycle in the log (`SensorEventLog`) and steps of the wall clock.
///
/// Each owner reports its own part of the status (`report(into:)`); this type adds the broker's,
/// the journal's and the input's, and decides how often the per-sensor rows are rebuilt.
/// Confined to the service loop's thread (`GatewayService`); the HTTP endpoint reads only the
/// `StatusBoard`.
final class Observability {
    let status: StatusBoard
    private let ingest: IngestJournal
    private var broker: BrokerSession
    /// Internal: the engine's warnings (`Observability+EngineWarnings.swift`) log too.
    let logger: Logger
    /// Sensors' lifecycle in the log, rate-limited.
    private var sensorEvents: SensorEventLog
    /// When the per-sensor rows of the status were last rebuilt: every status update for a
    /// small fleet, less often for a large one (`sensorRowsEveryMs`).
    private var lastSensorRowsAt: Int64 = 0
    /// What `/healthz` said of the broker in the last status published.
    private var lastBrokerHealth: BrokerHealth?
    /// Whether input was last seen paused because the journal is full of unfinished work.
    private var journalFull = false
    /// Counts of the restore at start (`JournalRestore`), and steps of the wall clock since.
    /// Internal: the engine's warnings (`Observability+EngineWarnings.swift`) count too.
    var counters = RuntimeCounters()
    /// What opening the journal found damaged (shown on `/healthz` and in a metric).
    private let journalDamage: [String]
    let startedAt: Int64
    /// The start on the monotonic clock: input is silent since then until a message comes.
    private let startedMonotonic = Clocks.monotonicMilliseconds()

    init(status: StatusBoard, ingest: IngestJournal, broker: BrokerSession, journalDamage: [String], startedAt: Int64, logger: Logger) {
        self.status = status
        self.ingest = ingest
        self.broker = broker
        self.journalDamage = journalDamage
        self.startedAt = startedAt
        self.logger = logger
        sensorEvents = SensorEventLog(logger: logger)
    }

    /// A SIGHUP replaced the broker session: its status is the new one's.
    func reconnected(to next: BrokerSession) { broker = next }

    /// What the restore at start found (shown in the status from then on).
    func restored(_ result: JournalRestore.Result) {
        counters.restoreMismatches = result.mismatchedPublications
        counters.restoreCompared = result.comparedPublications
        if result.snapshotProblem != nil { counters.snapshotReadFailures += 1 }
        counters.startNotChecked = result.notChecked.map { .init(why: $0, at: Clocks.monotonicMilliseconds()) }
    }

    /// A publication's latency from joining the outbound queue to its acknowledgement (µs).
    func publishLatency(microseconds: Int64) {
        status.metrics.publishLatency.recordMicroseconds(microseconds)
    }

    /// Logs the sensor-state notices among publications just journaled; `declares`: whether
    /// the engine's settings declare a measurement (`SensorEventLog.note`).
    func journaled(_ publications: ArraySlice<Publication>, declares: (String) -> Bool) {
        sensorEvents.note(publications, now: Clocks.monotonicMilliseconds(), declares: declares)
    }

    /// Logs that the engine admitted `count` sensors (`tracked` now).
    func sensorsAdmitted(_ count: Int, tracked: Int) {
        sensorEvents.admitted(count, tracked: tracked, now: Clocks.monotonicMilliseconds())
    }

    /// The broker refused a publication (MQTT 5 reason code `reason`): it did not reach the
    /// broker's subscribers and is not sent again (the broker would refuse it again), so it is
    /// counted, logged (the first and every 1,000th) and shown on `/healthz`; a cleaned reading
    /// stays in the journal for `replay` while the ring holds it.
    func publicationRefused(kind: String, topic: String?, reason: String) {
        counters.refusedPublications[RefusedPublications(kind: kind, reason: reason), default: 0] += 1
        let total = counters.refusedPublications.values.reduce(0, +)
        counters.lastRefusalAt = Clocks.monotonicMilliseconds()
        counters.lastRefusal = "\(kind) on \(topic ?? "the status topic"): \(reason)"
        if RepeatedEvent.isLogged(total) {
            logger.error(
                "the broker refused a publication: it did not reach the broker's subscribers (check the broker's ACL and message_size_limit)",
                metadata: ["kind": "\(kind)", "topic": "\(topic ?? "status")", "reason": "\(reason)", "refused_so_far": "\(total)"])
        }
    }

    /// The broker acknowledged a publication `latencyMs` after it was sent, at `now` (monotonic
    /// ms; `BrokerProbe.slowAnswerMicroseconds` or more): kept for `/healthz`.
    func slowAnswer(latencyMs: Int64, at now: Int64) {
        counters.lastSlowAnswerAt = now
        counters.lastSlowAnswerMs = latencyMs
    }

    /// Since when the gateway has been behind its input (`InputHearing.behindSince`), for `/healthz`.
    func inputBehind(since: Int64?) { counters.inputBehindSince = since }

    /// Another gateway with this `gateway-id` is online on the broker: counted, shown on
    /// `/healthz`, and logged (the first sighting of each instance, then every 100th).
    func otherInstanceSeen(_ other: OtherInstanceWatch.Sighting) {
        counters.otherInstanceSightings += 1
        counters.lastOtherInstanceAt = Clocks.monotonicMilliseconds()
        let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(other.startedAt) / 1000))
        let described = "started at \(started), version \(other.version ?? "unknown")"
        let newInstance = counters.lastOtherInstance != described
        counters.lastOtherInstance = described
        counters.lastOtherInstanceByClientID = nil
        guard newInstance || counters.otherInstanceSightings.isMultiple(of: 100) else { return }
        logger.error(
            "another gateway with this gateway-id is online on the broker: both publish the cleaned stream, which then repeats and contradicts itself (with one client id they also take over each other's connections); stop one, or give each its own gateway-id",
            metadata: ["other": "\(described)", "sightings": "\(counters.otherInstanceSightings)"])
    }

    /// The broker keeps handing a connection to another client with its client id (a cloned
    /// box, a second `run`): counted with the sightings of another instance and shown on
    /// `/healthz` for as long (`BrokerSession` has logged it). Found black-box (67th review): only
    /// the log said so; `/healthz` flipped between ok and not connected, and the alert on
    /// another instance could not fire.
    func connectionTakenOver(connection: String, clientID: String, inARow: Int) {
        counters.otherInstanceSightings += 1
        counters.lastOtherInstanceAt = Clocks.monotonicMilliseconds()
        counters.lastOtherInstanceByClientID =
            "the broker closed the \(connection) connection (client id \(clientID)) \(inARow) times in a row within seconds of accepting it"
    }

    /// A gateway with another `gateway-id` started or stopped reading some of this one's
    /// sensors: kept for `/healthz` and a metric while it lasts; its start (or a change of its
    /// filters) is logged as an error, its end as a notice.
    func overlappingGateway(_ change: OverlappingGatewayWatch.Change) {
        switch change {
        case .overlapping(let other, let filters):
            guard counters.overlappingGateways[other] != filters else { return }
            counters.overlappingGateways[other] = filters
            logger.error(
                "another gateway reads some of this gateway's sensors: both publish their cleaned streams, so consumers get each reading twice and may get contradicting quality flags, and both ask the sensors to resend; stop one, or give the two topic-filters that do not overlap (a retired box's status left online: clear it with an empty retained message on its status topic)",
                metadata: ["other_gateway": "\(other)", "its_overlapping_filters": "\(filters.joined(separator: " "))"])
        case .gone(let other):
            guard counters.overlappingGateways.removeValue(forKey: other) != nil else { return }
            logger.notice(
                "the other gateway reading some of this gateway's sensors is gone (offline, cleared, or its filters changed)",
                metadata: ["other_gateway": "\(other)"])
        }
    }

    /// The broker's count of dropped messages (`BrokerDropWatch`): kept for the metric; a rise
    /// is logged as a warning and shown on `/healthz` for a while.
    func brokerDropCount(_ payload: [UInt8]) {
        guard let rise = counters.brokerDrops.observe(payload) else { return }
        counters.lastBrokerDropAt = Clocks.monotonicMilliseconds()
        counters.lastBrokerDrop = rise
        logger.warning(
            "\(BrokerDropWatch.describe(rise)): if any were readings for this gateway's session, those the next reading of their sensor does not reveal (an epoch's last readings before a reboot, a sensor's last ones before it went silent) are lost without a gap; the broker's log names the client (\"Outgoing messages are being dropped for client ...\"); raise max_queued_messages and max_queued_bytes (deploy/mosquitto.conf)",
            metadata: ["dropped": "\(rise.added)", "broker_total": "\(rise.total)"])
    }

    /// Logs and counts each step of the wall clock the journal's timeline saw; returns whether
    /// there was one.
    @discardableResult
    func reportClockSteps() -> Bool {
        let steps = ingest.clock.takeUnreportedSteps()
        for step in steps {
            counters.clockSteps += 1
            let direction = step.milliseconds > 0 ? "forwards" : "backwards"
            let effect =
                step.milliseconds <= 0
                ? "not followed: windows keep their length; receive times run ahead of the wall clock by the step until it catches up"
                : step.followedMs >= step.milliseconds - JournalClock.stepToleranceMs  // (the timeline may round a ms off)
                    ? "followed: reorder windows open at the step closed early (what they waited for is filled, flagged, and restated if it arrives)"
                    : "followed only past where receive times already ran ahead (an earlier backward step): windows open at the step moved on by timeline_moved_ms"
            logger.warning(
                "the wall clock stepped \(direction)",
                metadata: [
                    "step_ms": "\(step.milliseconds)", "timeline_moved_ms": "\(step.followedMs)", "effect": "\(effect)",
                    "offset_ms": "\(ingest.clock.offsetMs)",
                ])
        }
        return !steps.isEmpty
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

    /// Whether what `/healthz` reports of the broker changed since the last status.
    var brokerHealthChanged: Bool { BrokerHealth(broker) != lastBrokerHealth }

    /// How often the status page's per-sensor rows are rebuilt: with each status update (0.5 s)
    /// up to 2,000 sensors, then 0.25 ms per sensor (5 s at 20,000). Copying every sensor's row
    /// on the service loop twice a second would cost a large fleet's readings latency for a page
    /// nobody may be looking at; the counters and metrics still update every 0.5 s.
    static func sensorRowsEveryMs(sensors: Int) -> Int64 { max(500, Int64(sensors) / 4) }

    /// Logs when input starts and stops waiting for journal room (the other pauses are brief and
    /// routine), so the log shows both ends of a full disk or a stuck consumer, as `/healthz`
    /// and `sensor_gateway_input_paused` do (found black-box, 41st review: only the snapshot's
    /// failure was logged).
    ///
    /// Input closed for the shutdown (or a failed journal) while full did not resume: said by the
    /// shutdown's own lines instead (found black-box, 85th review: "input resumed" between
    /// "draining" and "stopped").
    private func logJournalFull(_ pause: IngestJournal.Pause?) {
        let full = pause == .journalFull
        guard full != journalFull else { return }
        journalFull = full
        if pause == .closed || pause == .journalFailed { return }
        if full {
            logger.warning(
                "input paused: the journal is full of unfinished work (unacknowledged output or input not yet in a snapshot); the broker holds new readings meanwhile"
            )
        } else {
            logger.notice("input resumed: the journal has room again")
        }
    }

    /// Publishes the status: the broker's, the journal's and the input's parts, and each owner's.
    func publishStatus(pipeline: Pipeline, publisher: Publisher, maintenance: Maintenance, replays: Replays) {
        lastBrokerHealth = BrokerHealth(broker)
        sensorEvents.endMinuteIfOver(now: Clocks.monotonicMilliseconds())
        var s = GatewayStatusSnapshot()
        s.restoring = false
        s.connected = broker.inputConnected && broker.outputConnected
        s.subscriptionRefused = broker.subscriptionRefused
        s.subscribed = broker.subscribed
        s.inputSessionPresent = broker.inputSessionPresent
        s.connectFailures = broker.connectFailures
        s.readingsSubscriptions = broker.readingsSubscriptions
        s.runtime = counters
        let now = Clocks.monotonicMilliseconds()
        let sensorRows = now - lastSensorRowsAt >= Self.sensorRowsEveryMs(sensors: pipeline.engine.sensorCount)
        if sensorRows { lastSensorRowsAt = now } else { s.sensors = status.snapshot.sensors }
        pipeline.report(into: &s, sensorRows: sensorRows)
        publisher.report(into: &s)
        maintenance.report(into: &s)
        replays.report(into: &s)
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
        let pause = ingest.pause
        logJournalFull(pause)
        s.inputPause = pause?.rawValue
        s.ingest = ingest.statistics
        s.startedAt = startedAt
        s.runtime.inputReconnects = max(0, broker.inputConnections - 1)
        s.runtime.outputReconnects = max(0, broker.outputConnections - 1)
        s.runtime.sessionsLost = broker.sessionsLost
        s.runtime.lastSessionLostAt = broker.lastSessionLostAt
        s.runtime.sparkplugReconnects = broker.sparkplug == nil ? nil : max(0, broker.sparkplugConnections - 1)
        s.clockOffsetMs = ingest.clock.offsetMs
        s.lastReceivedAt = s.ingest.lastAcceptedAt
        s.lastReceivedMonotonic = s.ingest.lastAcceptedMonotonic
        s.startedMonotonic = startedMonotonic
        s.journalDamage = journalDamage
        status.update(s)
    }
}
