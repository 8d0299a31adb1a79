// Over 250 lines: the engine's whole surface (ingest, tick, admission, expiry) in one place; one
// sensor's decisions are in SensorState.swift, snapshots in RecoveryEngine+Snapshot.swift.

import Sparkplug
import Wire

/// The recovery engine: a pure, deterministic function from inbound messages and clock ticks to
/// the messages the gateway must publish (docs/INTERFACE.md sections 1-4).
///
/// It reads no clock and does no I/O. `ingest` never closes a reorder window; only `tick` does,
/// so journaling both and feeding them back in the same order reproduces the output byte for
/// byte. The whole state is `Codable`, for snapshots the daemon restarts from.
public struct RecoveryEngine: Codable, Sendable {
    public private(set) var configuration: EngineConfiguration
    /// Internal, not private: the Sparkplug path (`RecoveryEngine+Sparkplug.swift`) reaches them.
    var sensors: [SensorState] = []
    var index: [String: Int] = [:]
    /// Inbound topic -> sensor index, for topics already matched (rebuilt after a restore).
    private var topicIndex: [String: Int] = [:]
    /// Sensors' next deadlines, so a tick visits only sensors that are due. Derived state:
    /// rebuilt after a restore.
    private var deadlines = DeadlineQueue()
    public internal(set) var counters = EngineCounters()
    /// When idle sensors were last looked for (`expireIdleSensors`); nil before the first sensor.
    private(set) var lastExpirySweep: Int64?
    /// Sensors roughly by last receipt, for admission at the `max-sensors` cap.
    private(set) var silence = SilenceQueue()
    /// Where recently forgotten sensors stopped, so one that comes back continues its epoch.
    private(set) var forgotten = ForgottenSensors()
    /// Which sensors an override names (`SensorOverride`). Derived state: rebuilt on use.
    private var policies = SensorPolicies()
    /// Which topics carry which measurement. Derived state: rebuilt on use.
    private var routes = MeasurementRoutes()
    /// The Sparkplug edge nodes heard from (`RecoveryEngine+Sparkplug.swift`).
    var sparkplug = SparkplugNodes()
    /// Since when the gateway's input connection is down (journaled with the ticks,
    /// `JournalRecords.encodeTick`): nothing can be heard, so no sensor goes stale for its
    /// silence meanwhile (`SensorState.hearingStopped`). nil: listening (and in snapshots from
    /// before it).
    private(set) var deafSince: Int64?
    /// The broker's retained `latest/` values, read at a restart, of streams this engine did not
    /// know then: handed to the stream when it appears (`SensorState.publishedBefore`). Not in
    /// snapshots (a restart reads them again); at most one per retained topic.
    private var publishedBeforeRestart: [String: PublishedLatest] = [:]

    /// 2025-01-01T00:00:00Z. A receive time earlier than this means the gateway's clock is not set:
    /// the future-tolerance check (`EngineConfiguration.futureToleranceMs`) is skipped for it.
    public static let clockFloorMs: Int64 = 1_735_689_600_000

    /// At the `max-sensors` cap a new id replaces a sensor silent at least this long...
    public static let evictableAfterMs: Int64 = 60_000
    /// ...or one heard from only once (no period learnt: a flood's one-shot ids) silent this long,
    /// long enough for its reading to have been published.
    var oneShotEvictableAfterMs: Int64 { Swift.max(2 * configuration.reorderWindowMs, 5_000) }

    enum CodingKeys: String, CodingKey { case configuration, sensors, index, counters, lastExpirySweep, silence, forgotten, sparkplug, deafSince }

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
    }

    /// A restored engine (see `RecoveryEngine+Snapshot`): the lookup indexes are rebuilt from
    /// the sensors, the deadline queue on first use.
    /// `silence`: nil (a snapshot from before it existed) rebuilds it from the sensors.
    init(
        configuration: EngineConfiguration, counters: EngineCounters, sensors: [SensorState], lastExpirySweep: Int64?,
        silence: SilenceQueue?, forgotten: ForgottenSensors?, deafSince: Int64? = nil
    ) {
        self.deafSince = deafSince
        self.configuration = configuration
        self.counters = counters
        self.sensors = sensors
        self.lastExpirySweep = lastExpirySweep
        for (i, sensor) in sensors.enumerated() { index[sensor.stream.key] = i }
        self.silence = silence ?? SilenceQueue(receipts: sensors.map(\.lastReceivedAt))
        self.forgotten = forgotten ?? ForgottenSensors()
    }

    /// The sensors' states, for the snapshot extension.
    var sensorStates: [SensorState] { sensors }

    /// Processes one inbound message received at `receivedAt` (epoch ms) on `topic`, appending
    /// what must be published to `publications`.
    public mutating func ingest(
        topic: String, payload: UnsafeBufferPointer<UInt8>, receivedAt: Int64,
        into publications: inout [Publication]
    ) {
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        counters.received += 1

        // Known topics skip matching and the sensor lookup: one hash lookup per message.
        let known = topicIndex[topic]
        let stream: StreamName
        if let known {
            stream = sensors[known].stream
        } else {
            // Under the Sparkplug filter only: a persistent session delivers what it queued for
            // an earlier run's wider filter before the broker takes that filter back; read as
            // Sparkplug it would make streams of groups (or of an edge node's output) the
            // settings leave out. It goes on as any unmatched topic (`invalid_sensor_id`).
            if let filter = configuration.sparkplugFilter, topic.hasPrefix(SparkplugTopic.namespace + "/"), TopicFilter.matches(filter, topic) {
                return ingestSparkplug(topic: topic, payload: payload, receivedAt: receivedAt, &out)
            }
            if routes.isEmpty { routes = MeasurementRoutes(configuration) }
            switch routes.match(topic) {
            case (.sensor(let id), let measurement): stream = StreamName(sensorID: id, measurement: measurement)
            case (.invalidSensorID, _), (.noMatch, _):
                deadLetter(.invalidSensorID, Topics.invalidDeadLetter, topic, payload, receivedAt, &out)
                return
            }
        }
        let sensorID = stream.sensorID
        let existing = known ?? index[stream.key]
        let dlqTopic = existing.map { sensors[$0].topics.deadLetter } ?? Topics.deadLetter(sensorID, stream.measurementName)
        if payload.count > configuration.maxPayloadBytes {
            deadLetter(.payloadTooLarge, dlqTopic, topic, payload, receivedAt, &out, sensor: existing ?? tracked(stream, receivedAt))
            return
        }
        hold(&out, to: stream)
        let reading: Reading
        switch ReadingParser.parse(
            payload, sensorID: sensorID, csvColumns: configuration.csvColumns, field: stream.measurement, names: out.configuration.jsonFields)
        {
        case .success(let r): reading = r
        case .failure(let reason):
            deadLetter(reason, dlqTopic, topic, payload, receivedAt, &out, sensor: existing ?? tracked(stream, receivedAt))
            return
        }
        accept(reading, stream, existing: existing, cacheTopic: known == nil ? topic : nil, dlqTopic, topic, payload, receivedAt, &out)
    }

    /// A parsed reading of `stream` (tracked at `existing`, if it is), from the message `topic`
    /// and `payload`: checked against the clock, admitted within `max-sensors`, and handed to its
    /// sensor. `cacheTopic` is remembered as the stream's topic. Returns the sensor's index, nil
    /// when it was refused before reaching one. Inlined into both callers by force
    /// (`@_transparent`): `@inline(__always)` left it out of line, 0.7% more instructions on the
    /// JSON path (docs/PERFORMANCE.md, "Sparkplug B input").
    @_transparent
    @discardableResult
    mutating func accept(
        _ reading: Reading, _ stream: StreamName, existing: Int?, cacheTopic: String?, _ dlqTopic: String, _ topic: String,
        _ payload: UnsafeBufferPointer<UInt8>, _ receivedAt: Int64, _ out: inout Output
    ) -> Int? {
        if let tolerance = configuration.futureToleranceMs, reading.ts > receivedAt &+ tolerance {
            // A receive time before `clockFloorMs` is a gateway clock not yet set (a box that boots
            // at 1970 until NTP steps it): every reading would look decades ahead. The check is
            // skipped, and counted, rather than dead-lettering the fleet's readings.
            if receivedAt < Self.clockFloorMs {
                counters.futureCheckSkipped += 1
            } else {
                counters.aheadOfClock += 1
                counters.lastAheadOfClock = AheadOfClock(stream: stream.key, aheadMs: reading.ts &- receivedAt)
                deadLetter(.badValue("ts"), dlqTopic, topic, payload, receivedAt, &out, sensor: existing)
                return nil
            }
        }
        let i: Int
        if let existing {
            i = existing
        } else if let limit = configuration.maxSensors, sensors.count >= limit {
            guard let freed = replaceSilentSensor(with: stream, receivedAt, &out) else {
                deadLetter(.tooManySensors, dlqTopic, topic, payload, receivedAt, &out)
                return nil
            }
            i = freed
            hold(&out, to: stream)  // the evicted sensor's settings were held to close it
        } else {
            i = sensorIndex(stream, receivedAt)
        }
        if let cacheTopic, topicIndex.count < 100_000 { topicIndex[cacheTopic] = i }
        let inRange = reading.temperature >= out.configuration.validMin && reading.temperature <= out.configuration.validMax
        defer {
            sensors[i].summary.stampFlagged(at: receivedAt)
            noteDeadline(i)
        }
        switch sensors[i].ingest(reading, inRange: inRange, at: receivedAt, &out) {
        case .accepted:
            if !inRange { deadLetter(.outOfRange, dlqTopic, topic, payload, receivedAt, &out, sensor: i) }
        case .duplicate:
            counters.duplicates += 1
            sensors[i].summary.duplicates += 1
        case .tooLate:
            deadLetter(.tooLate, dlqTopic, topic, payload, receivedAt, &out, sensor: i)
        case .lateOutOfRange:
            deadLetter(.outOfRange, dlqTopic, topic, payload, receivedAt, &out, sensor: i)
        case .rateLimited:
            deadLetter(.rateLimited, dlqTopic, topic, payload, receivedAt, &out, sensor: i)
        case .reusedSeq:
            deadLetter(.badValue("seq"), dlqTopic, topic, payload, receivedAt, &out, sensor: i)
        }
        return i
    }

    /// Convenience for callers holding an array.
    public mutating func ingest(topic: String, payload: [UInt8], receivedAt: Int64, into publications: inout [Publication]) {
        payload.withUnsafeBufferPointer { ingest(topic: topic, payload: $0, receivedAt: receivedAt, into: &publications) }
    }

    /// Roughly the most publications one `tick` produces: once a tick's output reaches it, the
    /// sensors still due stay due for the next tick. A fleet that starts together (a restart, a
    /// backlog queued at the broker) would otherwise release every held reading in one turn,
    /// holding memory in proportion to the backlog (46,000 rendered publications and a 17 MB
    /// journal buffer in one turn at 1,000 sensors). A constant, not a setting: a journal
    /// replay must split ticks exactly as the live run did.
    public static let tickPublicationBudget = 2048

    /// The most synthetic readings one sensor's fill publishes per call (issue 29, finding 4): a
    /// longer fill is decided at once and then streams out, this many per tick (`OpenFill`), so
    /// its output never needs more journal room than this at a time, whatever `max-fill` and the
    /// journal's size. The gateway takes a tick only once the journal has taken all the output
    /// before it, so a fill goes out as fast as the broker acknowledges and the ring reclaims.
    /// A constant, not a setting: a journal replay must split fills exactly as the live run did.
    /// 256 synthetic readings take about 96 KB of journal, less than the input reserve of the
    /// smallest journal (1 MiB: 128 KiB).
    public static let fillChunk: UInt64 = 256

    /// Advances time to `now`: closes due reorder windows (fill, corrections), starts newly seen
    /// sensors and marks silent ones stale. Sensors are served in index order until the tick has
    /// produced `tickPublicationBudget` publications; `nextDeadline()` then still reports `now`
    /// or earlier, so the caller ticks again.
    ///
    /// `listening` (from the tick's journal record): whether the gateway's input connection is
    /// up from this tick on, when that changed; nil: as before.
    public mutating func tick(now: Int64, listening: Bool? = nil, into publications: inout [Publication]) {
        if let listening { hear(listening, at: now) }
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        rebuildDeadlinesIfNeeded()
        let configuration = configuration
        let byMeasurement = policies.byMeasurement(configuration)
        // Read in place: through a captured copy of `sensors`, each sensor's state was copied
        // (every field retained and released) to ask for its deadline, 5% of a restore's replay.
        let due = sensors.withUnsafeBufferPointer { states in
            deadlines.takeDue(now: now) { states[$0].nextDeadline(states[$0].measurement.flatMap { byMeasurement[$0] } ?? configuration) }
        }
        let budgetEnd = out.publications.count + RecoveryEngine.tickPublicationBudget
        for i in due {
            if out.publications.count < budgetEnd {
                hold(&out, to: sensors[i].stream)
                sensors[i].tick(at: now, &out)
                sensors[i].summary.stampFlagged(at: now)
            }
            noteDeadline(i)
        }
        if let sweep = nextExpirySweep, now >= sweep { expireIdleSensors(now: now, &out) }
        if let due = sparkplug.held.deadline, now >= due { deadLetterExpiredHeld(now: now, &out) }
    }

    /// Whether the gateway can hear its sensors (its input connection is up).
    public var isListening: Bool { deafSince == nil }

    /// The input connection went down (`listening` false) or came back at `now`: while it is
    /// down no sensor goes stale for its silence, and only the time it was up counts towards a
    /// sensor's stale time (found black-box: a broker restart longer than the stale time marked
    /// every sensor stale and asked each to resend everything it held, then marked them live as
    /// their queues came). A connection that keeps dropping still lets a dead sensor go stale.
    private mutating func hear(_ listening: Bool, at now: Int64) {
        guard listening != isListening else { return }
        let since = deafSince ?? now
        deafSince = listening ? nil : now
        for i in sensors.indices {
            if listening {
                sensors[i].hearingResumed(at: now, deafSince: since)
            } else {
                sensors[i].hearingStopped(at: now, windowSettings(sensors[i].stream))
            }
        }
        deadlines = DeadlineQueue()  // every stale deadline moved: rebuilt on next use
    }

    /// A restart's journal lost output the broker had acknowledged (its end is older than the
    /// checkpoint: restored from a copy, or its last records destroyed): what each stream
    /// published after the state restored here is unknown, so the next gap each started stream
    /// meets where it continues is published as one `gap` flagged `journal_damaged`, not filled
    /// with estimates that could repeat seqs consumers hold as real readings.
    /// `latestRead`: the broker's retained `latest/` values were read at this start, so a stream
    /// they showed out further is bounded by them (`publishedBeyondJournal`); without them
    /// (`latest` off, or not read) each stream's gap is decided as soon as a reading past it is
    /// held, and the readings that come for its seqs later restate it.
    public mutating func journalLostOutput(latestRead: Bool) {
        for i in sensors.indices where sensors[i].started { sensors[i].continuesAfterLostTail(unbounded: !latestRead) }
    }

    /// A restore found `m`, a `synthetic` run or a `gap` the journal published on cleaned topic
    /// `topic`, that this engine did not make where it stands (`RestoreReplay`): a destroyed input
    /// record moved its gap window, so it has not reached those seqs yet. The journal is what went
    /// out, so the stream takes it as its own publication and goes on after it; left behind, the
    /// engine would release those seqs again later, and the broker's retained `latest/` past them
    /// would make a real reading for one a duplicate, though consumers hold the estimate the
    /// journal shows (found by the fault simulator, aimed finding-8 seed 274).
    /// Returns false, changing nothing, while the stream is unknown or not started: the caller
    /// keeps the estimate for when it has.
    /// `madeByReplay`: the replay made an estimate of its own for that seq (its aggregates count
    /// it already).
    @discardableResult
    public mutating func adoptJournaledEstimate(
        topic: String, _ m: CleanedReading, madeByReplay: Bool = false, at time: Int64, into publications: inout [Publication]
    ) -> Bool {
        guard m.quality == .synthetic || m.quality == .gap, let stream = StreamName(outputTopic: topic) else { return true }
        guard let i = index[stream.key], sensors[i].started else { return false }
        let estimate = m.quality == .synthetic ? m.temperature.map { SensorState.JournaledEstimate(ts: m.ts, value: $0, madeByReplay: madeByReplay) } : nil
        serve(i, into: &publications) {
            $0.adoptJournaled(m.coveredSeqs, boot: m.boot, quality: m.quality, restatable: !m.isJournalDamageGap, estimate: estimate, at: time, &$1)
        }
        return true
    }

    /// A restore fed back a real reading of cleaned topic `topic` rebuilt from its journaled
    /// publication (its input record destroyed): a stream not started in the replay had started
    /// by then (the journal shows the reading out), so it starts now instead of at the end of
    /// its first-sight hold (found by the fault simulator, input outages seed 800462: a sensor
    /// whose first input record was destroyed started again at the restart below the seq it had
    /// published, and an older reading that arrived then went into a `journal_damaged` gap
    /// where, undamaged, it was `too_late`). No effect on unknown or started streams.
    public mutating func journaledReadingStartsStream(topic: String, at time: Int64, into publications: inout [Publication]) {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key], !sensors[i].started else { return }
        serve(i, into: &publications) { $0.startedBeforeJournaledReading(at: time, &$1) }
    }

    /// A reading the journal shows refused (`refusedByJournal`): its stream's cleaned topic,
    /// boot and seq.
    public struct JournaledRefusal: Sendable, Equatable {
        public var cleanedTopic: String
        public var boot: Int64?
        public var seq: UInt64
    }

    /// A restart's replay read the journal's `too_late` dead letter of the message `payload` on
    /// input topic `topic`, received at `receivedAt`: the engine that wrote the journal had
    /// started that reading's stream above it. Where this engine still holds the reading in a
    /// stream it has not started (a destroyed input record held the start back), it refuses the
    /// reading the same way, so the stream does not start below what consumers were sent.
    /// Returns the reading's stream and seq (nil: not a JSON or CSV reading of a known stream),
    /// so that the replay withholds its own message for that seq if it already made one.
    public mutating func refusedByJournal(
        topic: String, payload: [UInt8], receivedAt: Int64, into publications: inout [Publication]
    )
        -> JournaledRefusal?
    {
        if routes.isEmpty { routes = MeasurementRoutes(configuration) }
        guard case (.sensor(let id), let measurement) = routes.match(topic) else { return nil }
        let stream = StreamName(sensorID: id, measurement: measurement)
        guard let i = index[stream.key] else { return nil }
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        hold(&out, to: stream)
        return payload.withUnsafeBufferPointer { buffer in
            let parsed = ReadingParser.parse(
                buffer, sensorID: id, csvColumns: configuration.csvColumns, field: stream.measurement, names: out.configuration.jsonFields)
            guard case .success(let r) = parsed else { return nil }
            if sensors[i].dropHeld(r) {
                deadLetter(.tooLate, sensors[i].topics.deadLetter, topic, buffer, receivedAt, &out, sensor: i)
                noteDeadline(i)
            }
            return JournaledRefusal(cleanedTopic: sensors[i].topics.cleaned, boot: r.boot, seq: r.seq)
        }
    }

    /// Runs `body` on sensor `i` with an output under its stream's settings, then files its
    /// publications and totals and its next deadline: one sensor served outside `ingest` and
    /// `tick` (a restore's reconciliation).
    private mutating func serve(_ i: Int, into publications: inout [Publication], _ body: (inout SensorState, inout Output) -> Void) {
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        hold(&out, to: sensors[i].stream)
        body(&sensors[i], &out)
        noteDeadline(i)
    }

    /// A restore found `latest/` topic `topic` already at `ts` (a journaled publication this
    /// engine did not make): later readings go there only if newer. No effect on unknown streams.
    public mutating func latestPublished(topic: String, ts: Int64) {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key] else { return }
        sensors[i].latestTs = max(sensors[i].latestTs ?? ts, ts)
    }

    /// A stream's last value on `latest/` as the broker holds it (retained), read at a restart.
    public struct PublishedLatest: Codable, Sendable, Equatable {
        public var seq: UInt64
        public var ts: Int64
        public var boot: Int64?
        public init(seq: UInt64, ts: Int64, boot: Int64?) {
            self.seq = seq
            self.ts = ts
            self.boot = boot
        }
    }

    /// Takes the broker's retained `latest/` values (by `latest/` topic, every measurement's) at
    /// a restart, and returns the streams (`<id>` for temperature, `<id>/<measurement>` for
    /// another) whose value is past what this engine has released (a later seq in the same boot,
    /// or a later `ts` from another epoch, newer than every reading of this one), with the
    /// broker's value: output its journal does not hold went out (the data folder is older than
    /// what was published, a backup put back).
    /// Journaled before it is sent, output never gets ahead of a journal that is whole. Each such
    /// stream's next gap (in the same epoch, or in the next one) is one `gap` flagged
    /// `journal_damaged` (as after `journalLostOutput`), never estimates for seqs consumers hold
    /// as real readings, and its `latest/` does not go below the broker's. In the same epoch that
    /// gap reaches at least the broker's seq: readings the engine still holds up to it (their
    /// publications lost with the journal's newest records) are not published again, since an
    /// estimate made now could differ from the one consumers hold, and readings for those seqs
    /// that arrive later are duplicates.
    public mutating func publishedBeyondJournal(_ published: [String: PublishedLatest]) -> [(stream: String, value: PublishedLatest)] {
        var ahead: [(stream: String, value: PublishedLatest)] = []
        for (topic, value) in published {
            guard let stream = StreamName(outputTopic: topic) else { continue }
            guard let i = index[stream.key], sensors[i].started else {
                // Not started (or not known) here: where it starts is not known yet, so the
                // value is compared then (`SensorState.startedAfterRestart`).
                if let i = index[stream.key] { sensors[i].notePublishedBefore(value) } else { publishedBeforeRestart[stream.key] = value }
                continue
            }
            // An epoch a new boot closed during the replay may have gone out further than the
            // journal shows: none of its tail is appended after the restart.
            sensors[i].closedTail = nil
            if Self.takeRetained(value, into: &sensors[i]) { ahead.append((stream.key, value)) }
        }
        return ahead.sorted { $0.stream < $1.stream }
    }

    /// Compares started stream `sensor` with the broker's retained `latest/` `value`, read at a
    /// restart (`publishedBeyondJournal`), and returns whether its output went past what this
    /// engine released; then its next gap is one `journal_damaged` gap, as described there.
    private static func takeRetained(_ value: PublishedLatest, into sensor: inout SensorState) -> Bool {
        if sensor.knowsLatest(value) { return false }
        // Of this epoch, past what the journal released, yet older than a real reading it
        // released: not this journal's output (a later seq it published has a later time),
        // but someone else's `latest/` (a retired gateway's, a test publisher's). Taken for
        // this journal's, the readings up to its seq were dropped as published, without a
        // gap until the stream passed it (found black-box: a box replaced on one broker).
        if sensor.boot == value.boot, let released = sensor.lastValid, released.ts > value.ts { return false }
        if sensor.boot == value.boot, value.seq >= sensor.nextSeq {
            sensor.wentOutThrough(value.seq)
        } else if let last = sensor.latestTs, value.ts > last, sensor.beganAfter(value) {
            // Newer than anything this journal published, but no newer than a reading of
            // this epoch: of an earlier epoch, whose last publications the journal lost. They
            // went out before this epoch began and close nothing of it (and the replay's own
            // output for their seqs is withheld, `RestoreScan.Outcome.takeBrokerLatest`).
            // Only `latest/` stays at the broker's.
            sensor.latestTs = value.ts
            return false
        } else if let last = sensor.latestTs, value.ts > last {
            // Newer than anything this journal published, from another epoch (the sensor
            // rebooted or reset since): the seqs of the epoch that follows may have gone out.
            // A sensor that says its boot shows which: this epoch was closed before it, so
            // what it still holds went out then, and what comes for it later is too late.
            sensor.lostNextEpoch = true
            // Of the same boot, the value shows a reset under it (seq back to 0, a later `ts`),
            // not this epoch closed by a new boot: the sensor's next readings later than the
            // value begin that epoch again (`SensorState.resumesResetEpoch`). Too late for ever,
            // they shut the sensor out (found black-box, 42nd review: an older data folder put
            // back under a sensor that had reset its seq under the same boot).
            if let b = value.boot, let current = sensor.boot, b != current { sensor.lostOutputThrough = .max }
            sensor.publishedBefore = value
        } else {
            return false
        }
        sensor.latestTs = max(sensor.latestTs ?? value.ts, value.ts)
        return true
    }

    /// A restart's diverged replay (`RestoreReplay`) found the journal published the stream of
    /// cleaned topic `topic` through `seq` in boot `boot`, past what this engine released (it still
    /// holds readings for those seqs, or waits for one whose record damage destroyed): as for the
    /// broker's `latest/` past the journal (`publishedBeyondJournal`), readings up to `seq` are
    /// not published again, and the jump over the seqs the engine did not release is one
    /// `journal_damaged` gap. Nothing changes for a stream not started, in another boot, or
    /// already past `seq`.
    public mutating func journalPublished(topic: String, boot: Int64?, through seq: UInt64) {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key], sensors[i].started, sensors[i].boot == boot,
            seq >= sensors[i].nextSeq
        else { return }
        sensors[i].wentOutThrough(seq)
    }

    /// The broker's retained `latest/` `value`, read at the restart, for a sensor tracked since
    /// (`newSensor`, `replaceSilentSensor`). A sensor the restored engine had forgotten comes back
    /// started, where it stopped (`RememberedSensor`): it is compared as a started stream is at the
    /// restart, since no start is left to compare it at (found by the fault simulator, aimed
    /// finding-8 seed 1976: a sensor forgotten in the snapshot, whose seqs 3-37 went out `ok`
    /// before the journal's end was lost, came back at 3 and published seq 12, lost on the
    /// network this time, `synthetic`). A new one is compared when it starts
    /// (`SensorState.startedAfterRestart`).
    private static func takeRetained(_ value: PublishedLatest, before sensor: inout SensorState) {
        if sensor.started { _ = takeRetained(value, into: &sensor) } else { sensor.notePublishedBefore(value) }
    }

    /// Forgets what `seqs` of the stream of output topic `topic` were published as: regenerated
    /// at a restart but withheld, as the broker showed them out already
    /// (`RestoreScan.Outcome.takeBrokerLatest`), so a reading for one is a duplicate, not a
    /// restatement of an estimate consumers never got. Of the epoch a new boot closed when
    /// `boot` names it (`ClosedEpochHistory`), else of the current one; with `onlyClosedEpoch`,
    /// nothing when `boot` does not name the closed epoch.
    public mutating func forgetPublished(topic: String, boot: Int64?, seqs: ClosedRange<UInt64>, onlyClosedEpoch: Bool = false) {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key] else { return }
        sensors[i].forgetPublished(boot: boot, seqs, onlyClosedEpoch: onlyClosedEpoch)
    }

    /// A restart sent a `journal_damaged` gap for `seqs` of the stream of output topic `topic`
    /// in boot `boot` that nothing before it published (`ResendHoles.Owed.neverPublished`): a
    /// reading for one of them later restates the gap, as it would one the engine made itself.
    /// No effect on an unknown stream or another boot, or on seqs already published.
    public mutating func gapSentByRestart(topic: String, boot: Int64?, seqs: ClosedRange<UInt64>, at time: Int64) {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key], sensors[i].boot == boot else { return }
        sensors[i].noteRestatableGap(seqs, at: time)
    }

    /// The inbound topic of the stream an output topic (`cleaned/<id>/<measurement>`) belongs
    /// to; nil when its measurement is not configured.
    public func inboundTopic(ofOutput topic: String) -> String? {
        StreamName(outputTopic: topic).flatMap { MeasurementRoutes(configuration).topic(for: $0) }
    }

    /// Where the stream of cleaned topic `topic` has published through, as far as this engine
    /// knows: its epoch's boot, the last seq released (a reading, an estimate or a gap) and the
    /// `ts` of its last real reading; nil for a stream not started or that has released nothing.
    public func publishedThrough(cleanedTopic topic: String) -> Released? {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key] else { return nil }
        return sensors[i].releasedThrough
    }

    /// Where a stream has released through (`publishedThrough`).
    public typealias Released = (boot: Int64?, seq: UInt64, ts: Int64?)

    /// Where each stream has released through, by cleaned topic (`publishedThrough`): at a
    /// restart, the snapshot's, which `ResendHoles` holds a stream's first journaled publication
    /// against.
    public var releasedThroughByTopic: [String: Released] {
        var out: [String: Released] = [:]
        for s in sensors { if let r = s.releasedThrough { out[s.topics.cleaned] = r } }
        return out
    }

    /// Where a stream's epoch began: its boot and the first seq it published.
    public typealias StreamStart = (boot: Int64?, seq: UInt64)

    /// Where each stream's epoch began, by cleaned topic: at a restart, the snapshot's, which
    /// `ResendHoles` holds a stream's first journaled publication against when the snapshot
    /// released it past that publication.
    public var streamStartsByTopic: [String: StreamStart] {
        var out: [String: StreamStart] = [:]
        for s in sensors { if let start = s.startedAt { out[s.topics.cleaned] = start } }
        return out
    }

    /// Where the stream of cleaned topic `topic` has released through (`publishedThrough`), when
    /// that is past `value`, the broker's retained `latest/` of the same epoch (the same boot, and
    /// not a value from before the epoch began, `SensorState.knowsLatest`); nil otherwise.
    public func releasedPast(_ value: PublishedLatest, cleanedTopic topic: String) -> (boot: Int64?, seq: UInt64, ts: Int64?)? {
        guard let through = publishedThrough(cleanedTopic: topic), through.boot == value.boot, through.seq > value.seq,
            let stream = StreamName(outputTopic: topic), let i = index[stream.key], !sensors[i].knowsLatest(value)
        else { return nil }
        return through
    }

    /// The boot of the epoch the stream of cleaned topic `topic` is in, whether or not it has
    /// released anything in it yet (nil: none, or a stream this engine does not know).
    func epochBoot(cleanedTopic topic: String) -> Int64? {
        guard let stream = StreamName(outputTopic: topic), let i = index[stream.key] else { return nil }
        return sensors[i].boot
    }

    /// The newest reading `ts` this engine knows of any stream, or the broker's retained
    /// `latest/` values show (`published`): where a restart stands in the sensors' time.
    public func newestKnownTs(besides published: [String: PublishedLatest]) -> Int64? {
        (sensors.compactMap(\.latestTs) + published.values.map(\.ts)).max()
    }

    /// The `ts` of each stream's last value on `latest/`, by its `latest/` topic, as far as this
    /// engine knows: what a restart's resent `latest/` values must not go below (`SupersededLatest`).
    public var latestTimes: [String: Int64] {
        var out: [String: Int64] = [:]
        for s in sensors { if let ts = s.latestTs { out[s.topics.latest] = ts } }
        return out
    }

    /// The earliest time a `tick` would do anything; nil when nothing is pending. Mutating only
    /// to correct the order of its derived deadline queue (see `DeadlineQueue`).
    public mutating func nextDeadline() -> Int64? {
        rebuildDeadlinesIfNeeded()
        let configuration = configuration
        let byMeasurement = policies.byMeasurement(configuration)
        let earliest = deadlines.earliest { [sensors] in
            sensors[$0].nextDeadline(sensors[$0].measurement.flatMap { byMeasurement[$0] } ?? configuration)
        }
        // Asked every turn of the loop: the earliest of three without building a collection.
        return Self.earlier(Self.earlier(earliest, nextExpirySweep), sparkplug.held.deadline)
    }

    /// The earlier of two deadlines, either absent.
    private static func earlier(_ a: Int64?, _ b: Int64?) -> Int64? {
        guard let a else { return b }
        guard let b else { return a }
        return Swift.min(a, b)
    }

    // MARK: - Expiry

    /// Idle sensors are looked for once a minute (or once per retention, if shorter): one pass
    /// over the fleet, so a flood of ids that all fall silent costs one rebuild, not one each.
    private var nextExpirySweep: Int64? {
        guard let retention = configuration.sensorRetentionMs, !sensors.isEmpty, let last = lastExpirySweep else { return nil }
        return last &+ Swift.min(60_000, Swift.max(1, retention))
    }

    /// Forgets sensors silent for the retention period (see `SensorState.expire`), so the
    /// tracked count, and `max-sensors`' room, come back after a flood of ids or a retired sensor.
    private mutating func expireIdleSensors(now: Int64, _ out: inout Output) {
        lastExpirySweep = now
        if let retention = configuration.sensorRetentionMs, !sparkplug.isEmpty { sparkplug.forgetSilent(before: now - retention) }
        guard let retention = configuration.sensorRetentionMs,
            sensors.contains(where: { now - $0.lastReceivedAt >= retention })
        else { return }
        var kept: [SensorState] = []
        kept.reserveCapacity(sensors.count)
        for var sensor in sensors {
            if now - sensor.lastReceivedAt >= retention {
                hold(&out, to: sensor.stream)
                sensor.expire(at: now, &out)
                remember(sensor, at: now)
                counters.expired += 1
            } else {
                kept.append(sensor)
            }
        }
        replaceSensors(with: kept)
    }

    /// Keeps only `kept` (in order), with the lookups rebuilt.
    private mutating func replaceSensors(with kept: [SensorState]) {
        sensors = kept
        index = Dictionary(uniqueKeysWithValues: sensors.enumerated().map { ($1.stream.key, $0) })
        silence = SilenceQueue(receipts: sensors.map(\.lastReceivedAt))
        topicIndex = [:]  // refills as topics are seen again
        deadlines = DeadlineQueue()  // rebuilt on next use
    }

    /// Measurements `new` no longer declares: each of their streams is closed as a forgotten
    /// sensor is (what it holds is published, fills included, by the measurement's settings as
    /// they were; its open aggregate windows close; `expired` is announced on its state topic)
    /// and remembered as one is, so a measurement declared again continues each stream where it
    /// stopped (nothing published twice, `latest/` never back). Meanwhile a reading on its topic
    /// is no reading (dead-lettered `invalid_sensor_id`).
    private mutating func closeStreams(removedFrom old: EngineConfiguration, by new: EngineConfiguration, at now: Int64, _ publications: inout [Publication]) {
        let declared = Set((new.measurements ?? []).map(\.name))
        let gone = Dictionary(
            (old.measurements ?? []).filter { !declared.contains($0.name) }.map { ($0.name, old.applying($0)) }, uniquingKeysWith: { a, _ in a })
        guard !gone.isEmpty else { return }
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        var kept: [SensorState] = []
        for var sensor in sensors {
            guard let name = sensor.measurement, let settings = gone[name] else {
                kept.append(sensor)
                continue
            }
            out.hold(to: settings)
            sensor.expire(at: now, &out)
            if let r = sensor.remembered(at: now, horizon: settings.lateHorizonMs, width: settings.aggregateWindowMs) {
                forgotten.remember(r, cap: rememberedCap)
            }
        }
        replaceSensors(with: kept)
    }

    /// Takes new settings from here on, at journal time `now`: a SIGHUP reload, or the settings
    /// a restart found changed (both journaled, so a replay changes them at the same point of the
    /// input). Windows, ranges, fill and caps apply to the decisions made from now on (a window
    /// open now takes the new length from when it opened); every sensor's next deadline is
    /// recomputed with them. A reload never changes the settings that shape topics and stored
    /// state (`LiveSettings` keeps them, `EngineConfiguration.keepingRestartOnly(from:)`); a
    /// restart does (`adoptRestartOnly`): the sensors keep where they were, so nothing they
    /// published is forgotten or published again.
    public mutating func reconfigure(_ new: EngineConfiguration, at now: Int64, into publications: inout [Publication]) {
        let old = configuration
        closeStreams(removedFrom: old, by: new, at: now, &publications)
        let oldByMeasurement = policies.byMeasurement(old)
        configuration = new
        policies.reset()  // the overrides build on the engine's settings
        routes = MeasurementRoutes()
        if new.keepingRestartOnly(from: old) != new { adoptRestartOnly(from: old, oldByMeasurement, at: now, &publications) }
        // Windows open now are measured with the new length from when they opened.
        let newByMeasurement = policies.byMeasurement(new)
        for i in sensors.indices {
            let m = sensors[i].measurement
            let change =
                (m.flatMap { newByMeasurement[$0] } ?? new).reorderWindowMs - (m.flatMap { oldByMeasurement[$0] } ?? old).reorderWindowMs
            if change != 0 { sensors[i].rebaseWindows(by: change) }
        }
        deadlines = DeadlineQueue()
        rebuildDeadlinesIfNeeded()
    }

    /// After a restart with a changed topic filter, payload limit, aggregate window or gateway id:
    /// each sensor's topics follow the new settings, and a changed aggregate window first
    /// publishes every open window as it stands (closed early, at `now`), since its readings
    /// cannot be regrouped; later readings, late ones too, go to windows of the new width.
    private mutating func adoptRestartOnly(
        from old: EngineConfiguration, _ before: [String: EngineConfiguration], at now: Int64, _ publications: inout [Publication]
    ) {
        var out = makeOutput(&publications)
        defer {
            publications = out.publications
            counters.output.add(out.totals)
        }
        // Each stream against its own settings before and after (a measurement's aggregate
        // window may be its own).
        let after = policies.byMeasurement(configuration)
        func width(_ m: String?, _ table: [String: EngineConfiguration], _ base: EngineConfiguration) -> Int64 {
            (m.flatMap { table[$0] } ?? base).aggregateWindowMs
        }
        for i in sensors.indices {
            let m = sensors[i].measurement
            out.hold(to: m.flatMap { after[$0] } ?? configuration)
            sensors[i].adoptRestartOnly(from: m.flatMap { before[$0] } ?? old, at: now, &out)
        }
        forgotten.dropAggregates { width($0.measurement, before, old) != width($0.measurement, after, configuration) }
        topicIndex = [:]  // refills as topics are seen again, matched with the new filter
    }

    mutating func noteDeadline(_ i: Int) {
        rebuildDeadlinesIfNeeded()
        guard sensors[i].measurement == nil else { return noteMeasurementDeadline(i) }
        deadlines.note(i, sensors[i].nextDeadline(configuration))
    }

    /// `noteDeadline` for another measurement's stream: by its measurement's windows. Apart, so
    /// temperature's path stays as small as it was.
    @inline(never)
    private mutating func noteMeasurementDeadline(_ i: Int) {
        deadlines.note(i, sensors[i].nextDeadline(windowSettings(sensors[i].stream)))
    }

    /// The settings that time the windows of `stream`'s sensor: its measurement's (each may
    /// have its own reorder window and late horizon), else the engine's.
    private mutating func windowSettings(_ stream: StreamName) -> EngineConfiguration {
        stream.measurement.flatMap { policies.byMeasurement(configuration)[$0] } ?? configuration
    }

    /// The settings a stream's sensor starts with: its windows (`windowSettings`), and the fill
    /// and epoch allowances of an override that names it, whose full bucket it starts with (it
    /// started with its measurement's: a hole the override's `max-fill` allows came out as a
    /// `gap`, counted as rate-limited; found black-box, 64th review).
    private mutating func admissionSettings(_ stream: StreamName) -> EngineConfiguration {
        policies.configuration(for: stream, configuration) ?? configuration
    }

    /// After a restore the queue is empty: every sensor is noted once.
    private mutating func rebuildDeadlinesIfNeeded() {
        guard deadlines.sensorCount != sensors.count else { return }
        deadlines = DeadlineQueue()
        let byMeasurement = policies.byMeasurement(configuration)
        for i in sensors.indices {
            deadlines.addSensor()
            deadlines.note(i, sensors[i].nextDeadline(sensors[i].measurement.flatMap { byMeasurement[$0] } ?? configuration))
        }
    }

    /// Per-sensor state for the status page, in order of first appearance, with each sensor's
    /// open gap (`SensorSummary.missing`).
    public var summaries: [SensorSummary] { sensors.map(\.statusSummary) }

    /// Moves the caller's array into the output (and back via `defer`), so appending never
    /// copies it.
    private func makeOutput(_ publications: inout [Publication]) -> Output {
        var moved: [Publication] = []
        swap(&moved, &publications)
        return Output(configuration: configuration, estimator: Estimator(configuration: configuration), publications: moved)
    }

    /// Serves `stream` with its own settings next: its measurement's, its override's, or the
    /// engine's. Costs nothing when there are neither measurements nor overrides.
    mutating func hold(_ out: inout Output, to stream: StreamName) {
        guard configuration.sensorOverrides?.isEmpty == false || configuration.measurements?.isEmpty == false else { return }
        out.hold(to: policies.configuration(for: stream, configuration) ?? configuration)
    }

    /// A sensor whose first messages are all bad is still tracked (within `max-sensors`), so it
    /// shows on the status page with its dead letters instead of being invisible. Tracking it
    /// publishes nothing: it has no readings, so no deadlines.
    private mutating func tracked(_ stream: StreamName, _ receivedAt: Int64) -> Int? {
        if let limit = configuration.maxSensors, sensors.count >= limit { return nil }
        return sensorIndex(stream, receivedAt)
    }

    /// At the cap: forgets a sensor silent for `evictableAfterMs`, or for `oneShotEvictableAfterMs`
    /// if it was only ever heard once (as if it had expired: what it holds and its open windows
    /// are published, then `expired`), and gives its place to `id`. nil when none qualifies.
    private mutating func replaceSilentSensor(with stream: StreamName, _ receivedAt: Int64, _ out: inout Output) -> Int? {
        let i: Int
        do {
            // A copy of the array for the closure, released before the array is modified
            // (else that would copy every sensor).
            let sensors = sensors
            let oneShot = Swift.min(oneShotEvictableAfterMs, Self.evictableAfterMs)
            guard
                let found = silence.takeSilent(
                    now: receivedAt, minimum: oneShot, budget: 64, lastHeard: { sensors[$0].lastReceivedAt },
                    evictable: { i, silent in
                        silent >= (sensors[i].period.period == nil ? oneShot : Self.evictableAfterMs)
                    })
            else { return nil }
            i = found
        }
        // Taken before the evicted sensor is remembered: the remembered are capped at
        // `rememberedCap`, and the one coming back may be the oldest of them.
        let returning = forgotten.take(stream.key)
        hold(&out, to: self.sensors[i].stream)
        self.sensors[i].expire(at: receivedAt, &out)
        remember(self.sensors[i], at: receivedAt)
        counters.evicted += 1
        let old = self.sensors[i].stream
        index.removeValue(forKey: old.key)
        if routes.isEmpty { routes = MeasurementRoutes(configuration) }
        if let topic = routes.topic(for: old) { topicIndex.removeValue(forKey: topic) }
        self.sensors[i] =
            returning.map { SensorState(resuming: $0, firstReceipt: receivedAt, configuration: admissionSettings(stream)) }
            ?? newSensor(stream, receivedAt)
        if let value = publishedBeforeRestart.removeValue(forKey: stream.key) { Self.takeRetained(value, before: &self.sensors[i]) }
        index[stream.key] = i
        silence.append(i, heardAt: receivedAt)
        return i
    }

    private mutating func sensorIndex(_ stream: StreamName, _ receivedAt: Int64) -> Int {
        if let i = index[stream.key] { return i }
        growSensorsIfFull()
        sensors.append(newSensor(stream, receivedAt))
        if lastExpirySweep == nil { lastExpirySweep = receivedAt }
        // Keep the derived deadline queue in step (a rebuild per new sensor would be O(N²)).
        if deadlines.sensorCount == sensors.count - 1 { deadlines.addSensor() }
        index[stream.key] = sensors.count - 1
        silence.append(sensors.count - 1, heardAt: receivedAt)
        return sensors.count - 1
    }

    /// Grows the sensor array by a quarter when it is full, not by doubling as `append` would: a
    /// `SensorState` is over a kilobyte inline, so doubling left up to half the array's bytes
    /// unused (16,384 slots for 10,000 sensors: 7 MB) and held three times the array's bytes
    /// while it moved. A quarter keeps the moves' cost linear over the sensors admitted.
    private mutating func growSensorsIfFull() {
        guard sensors.count == sensors.capacity else { return }
        sensors.reserveCapacity(sensors.count + Swift.max(sensors.count / 4, 64))
    }

    /// The state of a sensor now tracked: where it stopped, if it was forgotten recently.
    private mutating func newSensor(_ stream: StreamName, _ receivedAt: Int64) -> SensorState {
        let settings = admissionSettings(stream)
        var sensor =
            forgotten.take(stream.key).map { SensorState(resuming: $0, firstReceipt: receivedAt, configuration: settings) }
            ?? SensorState(id: stream.sensorID, measurement: stream.measurement, firstReceipt: receivedAt, configuration: settings)
        if let value = publishedBeforeRestart.removeValue(forKey: stream.key) { Self.takeRetained(value, before: &sensor) }
        return sensor
    }

    /// How many forgotten sensors are remembered: `max-sensors` (`EngineConfiguration.defaultMaxSensors`
    /// without a cap), and at least `minimumRemembered`. A sensor forgotten beyond this memory
    /// comes back as a new one, its aggregate windows from `revision` 0 again. Found by the fault
    /// simulator (drawn seed 4,721,695, `max-sensors` 1): three sensors evicted at a clock step
    /// left only the last one's memory; the first came back within its window, published again at
    /// revision 0 with 5 of its 354 readings.
    var rememberedCap: Int { Swift.max(configuration.maxSensors ?? EngineConfiguration.defaultMaxSensors, Self.minimumRemembered) }
    static let minimumRemembered = 1_024

    /// Keeps where a forgotten sensor stopped: as many as `rememberedCap`.
    private mutating func remember(_ sensor: SensorState, at now: Int64) {
        let settings = windowSettings(sensor.stream)
        if let r = sensor.remembered(at: now, horizon: settings.lateHorizonMs, width: settings.aggregateWindowMs) {
            forgotten.remember(r, cap: rememberedCap)
        }
    }

    mutating func deadLetter(
        _ reason: RejectionReason, _ dlqTopic: String, _ topic: String,
        _ payload: UnsafeBufferPointer<UInt8>, _ receivedAt: Int64, _ out: inout Output,
        sensor: Int? = nil
    ) {
        counters.deadLetters += 1
        counters.deadLettersByReason[reason.code, default: 0] += 1
        if let sensor { sensors[sensor].summary.deadLetters += 1 }
        let body = Messages.deadLetter(
            reason: reason, topic: topic, receivedAt: receivedAt, payload: payload,
            maxBytes: configuration.maxPayloadBytes)
        out.emit(.deadLetter, dlqTopic, body)
    }
}
