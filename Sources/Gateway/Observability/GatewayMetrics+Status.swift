import Recovery

// Over 250 lines: one function lists every metric family with its help text, in the order
// /metrics shows them, so a newcomer finds each series and what it means in one place.

extension GatewayMetrics {
    /// Brings the registry up to date with status `s` and renders every series as Prometheus
    /// text exposition format (version 0.0.4). `now`: epoch milliseconds, for ages;
    /// `monotonicNow`: the monotonic clock's milliseconds, for ages no wall-clock step may move.
    /// `reloadRefused`: whether the last SIGHUP's configuration was refused (nil: not known here).
    func render(
        _ s: GatewayStatusSnapshot, longestTurnMs: Int64 = 0, loopAgeMs: Int64? = nil, http: HTTPBinding? = nil,
        now: Int64 = Clocks.epochMilliseconds(), monotonicNow: Int64 = Clocks.monotonicMilliseconds(), reloadRefused: Bool? = nil
    ) -> String {
        /// One family from the status: a counter (a total that only grows) or a gauge.
        func metric(_ name: String, _ kind: Kind, _ help: String, _ samples: [([(String, String)], Double)]) {
            for (labels, value) in samples {
                switch kind {
                case .counter: counter(name, help, labels, total: value)
                case .gauge: gauge(name, help, labels, value)
                }
            }
        }
        metric("sensor_gateway_broker_connected", .gauge, "1 while connected to the MQTT broker.", [([], s.connected ? 1 : 0)])
        if let http {
            metric(
                "sensor_gateway_http_bound", .gauge,
                "1 while the HTTP endpoint listens on its configured address; 0 while it still serves the old one because a SIGHUP named an address that could not be bound.",
                [([], http.bound ? 1 : 0)])
            metric(
                "sensor_gateway_http_bind_failures_total", .counter,
                "Failed binds of the HTTP address since start (retries of a taken address, and SIGHUP moves refused).",
                [([], Double(http.failures))])
        }
        metric(
            "sensor_gateway_readings_subscriptions_total", .counter,
            "Readings subscriptions the broker acknowledged since start (one per connection: more than 1 means reconnections).",
            [([], Double(s.readingsSubscriptions))])
        metric(
            "sensor_gateway_journal_writable", .gauge, "0 after a journal write or sync failed, or while its files were removed or replaced under the gateway.",
            [([], s.journalUsable ? 1 : 0)])
        metric("sensor_gateway_messages_received_total", .counter, "Inbound sensor messages processed.", [([], Double(s.counters.received))])
        metric(
            "sensor_gateway_duplicates_total", .counter,
            "Readings dropped as copies of a seq already published or held (one that contradicts the reading held or released last under its seq is dead-lettered bad_value:seq instead).",
            [([], Double(s.counters.duplicates))])
        metric("sensor_gateway_dead_letters_total", .counter, "Messages published to dlq/.", [([], Double(s.counters.deadLetters))])
        metric(
            "sensor_gateway_readings_ahead_of_clock_total", .counter,
            "Readings dead-lettered bad_value:ts because their ts was more than future-tolerance-s ahead of this box's clock: a sensor's clock ahead, or this box's behind (every sensor at once).",
            [([], Double(s.counters.aheadOfClock))])
        metric(
            "sensor_gateway_dead_letters_by_reason_total", .counter, "Messages published to dlq/, by reason code.",
            Self.fieldlessReasons.merging(s.counters.deadLettersByReason) { $1 }.sorted { $0.key < $1.key }.map {
                ([("reason", $0.key)], Double($0.value))
            })
        let refused = s.runtime.refusedPublications
        metric(
            "sensor_gateway_publications_refused_total", .counter,
            "Publications the broker refused (an MQTT 5 reason code: not authorised, packet too large, ...): they did not reach its subscribers.",
            [([], Double(refused.values.reduce(0, +)))])
        metric(
            "sensor_gateway_publications_refused_by_reason_total", .counter, "Publications the broker refused, by kind and the broker's reason.",
            refused.sorted { ($0.key.kind, $0.key.reason) < ($1.key.kind, $1.key.reason) }.map {
                ([("kind", $0.key.kind), ("reason", $0.key.reason)], Double($0.value))
            })
        metric(
            "sensor_gateway_journal_damaged_gaps_total", .counter,
            "Gaps flagged journal_damaged a stream published for seqs whose output the gateway cannot show: the broker's retained latest/ showed seqs out that the journal never published (a data folder older than the output, or another writer of latest/), or the journal lost acknowledged output at its end.",
            [([], Double(s.counters.output.journalDamagedGaps))])
        metric(
            "sensor_gateway_other_instance_sightings_total", .counter,
            "Times another gateway with this gateway-id was seen online on the broker (its status topic), or the broker kept handing this gateway's connection to another client with its client id: a cloned box or a second run.",
            [([], Double(s.runtime.otherInstanceSightings))])
        metric(
            "sensor_gateway_overlapping_gateways", .gauge,
            "Gateways with another gateway-id online on the broker whose topic filters overlap this one's: both clean those sensors, so consumers get each reading twice.",
            [([], Double(s.runtime.overlappingGateways.count))])
        if let dropped = s.runtime.brokerDrops.total {
            metric(
                "sensor_gateway_broker_dropped_messages_total", .counter,
                "The broker's own count of messages it dropped because a client's queue or in-flight limit was full (mosquitto's $SYS/broker/publish/messages/dropped), for every client since the broker started; absent until the broker publishes it while the gateway listens (it does when the count changes). Readings dropped for the gateway's session that no later seq reveals are lost without a gap.",
                [([], Double(dropped))])
        }
        metric(
            "sensor_gateway_published_total", .counter, "The cleaned stream's publications sent to the broker, by kind (not replay answers).",
            s.publishedByKind.sorted { $0.key < $1.key }.map { ([("kind", $0.key)], Double($0.value)) })
        let output = s.counters.output
        metric(
            "sensor_gateway_cleaned_total", .counter, "Cleaned messages produced, by quality.",
            [Quality.ok, .corrected, .synthetic, .restated, .gap].map { ([("quality", $0.rawValue)], Double(output.cleaned($0))) })
        metric(
            "sensor_gateway_cleaned_seqs_total", .counter,
            "Seqs covered by cleaned messages, by quality: one per reading, every seq a gap declares missing (a sensor's seq jumping far ahead adds the whole jump; restated readings add none). Fills as a share of readings: (synthetic + gap) / all.",
            [Quality.ok, .corrected, .synthetic, .gap].map { ([("quality", $0.rawValue)], Double(output.seqs($0))) })
        metric(
            "sensor_gateway_gap_readings_total", .counter,
            "Readings the gap messages stand for, as their time spans show: each gap's seqs, but no more than its span holds at its sensor's learned period (a sensor's seq jumping far ahead adds the readings its time allows, not the jump). Fills as a share of readings: (synthetic seqs + this) / (ok + corrected + synthetic seqs + this).",
            [([], Double(output.gapReadings))])
        metric(
            "sensor_gateway_resend_requests_total", .counter, "Resend requests sent to sensors.",
            [([], Double(output.resendRequests))])
        metric(
            "sensor_gateway_fills_rate_limited_total", .counter, "Fills published as a gap because a sensor used up its synthetic-reading allowance.",
            [([], Double(output.fillsRateLimited))])
        metric(
            "sensor_gateway_aggregate_readings_skipped_total", .counter,
            "Readings published on cleaned/ but counted in no aggregate: their ts fell in a window already published and forgotten (a sensor clock stepped back, a gap wider than the windows a sensor keeps), or they restate an estimate whose window is gone or was counted before aggregate-window-s changed.",
            [([], Double(output.aggregateSkipped))])
        metric("sensor_gateway_sensors_expired_total", .counter, "Sensors forgotten after sensor-retention-s of silence.", [([], Double(s.counters.expired))])
        metric(
            "sensor_gateway_sensors_evicted_total", .counter,
            "Sensors forgotten at the max-sensors cap to admit a new id (silent a minute, or a few seconds if heard once).", [([], Double(s.counters.evicted))])
        let sparkplug = s.counters.sparkplug
        metric(
            "sensor_gateway_sparkplug_births_total", .counter, "Sparkplug births read (NBIRTH, DBIRTH), by kind.",
            [([("kind", "node")], Double(sparkplug.nodeBirths)), ([("kind", "device")], Double(sparkplug.deviceBirths))])
        metric(
            "sensor_gateway_sparkplug_deaths_total", .counter, "Sparkplug deaths read (NDEATH of the current birth, DDEATH), by kind.",
            [([("kind", "node")], Double(sparkplug.nodeDeaths)), ([("kind", "device")], Double(sparkplug.deviceDeaths))])
        metric(
            "sensor_gateway_sparkplug_rebirth_requests_total", .counter, "Rebirths asked of Sparkplug edge nodes (NCMD Node Control/Rebirth).",
            [([], Double(sparkplug.rebirthRequests))])
        metric(
            "sensor_gateway_sparkplug_sequence_jumps_total", .counter,
            "Sparkplug messages more than 128 ahead of their node's sequence (told by their timestamp): how many were lost is not known.",
            [([], Double(sparkplug.sequenceJumps))])
        metric(
            "sensor_gateway_sparkplug_held_total", .counter,
            "Sparkplug data messages held for want of a birth (a node's before its NBIRTH, a device's before its DBIRTH): read when the birth comes, dead-lettered (sparkplug:no_birth) when none comes within a minute.",
            [([], Double(sparkplug.heldForBirth))])
        metric(
            "sensor_gateway_sparkplug_held_read_total", .counter, "Held Sparkplug data messages read once their birth came.",
            [([], Double(sparkplug.readAfterBirth))])
        metric(
            "sensor_gateway_sparkplug_metrics_not_read_total", .counter,
            "Sparkplug metrics not made readings, by reason: not numeric or no measurement mapped (ignored), null (their place filled as a gap), or a birth repeating a value the stream has (birth_repeat).",
            [
                ([("reason", "ignored")], Double(sparkplug.metricsIgnored)), ([("reason", "null")], Double(sparkplug.nullMetrics)),
                ([("reason", "birth_repeat")], Double(sparkplug.birthRepeats)),
            ])
        if let out = s.sparkplugOutput {
            metric(
                "sensor_gateway_sparkplug_output_up", .gauge,
                "1 while the gateway's own Sparkplug edge node is connected, born, and heard its own NBIRTH back (its messages reach subscribers); 0 otherwise.",
                [([], out.up ? 1 : 0)])
            metric(
                "sensor_gateway_sparkplug_output_messages_total", .counter,
                "Messages of the gateway's own Sparkplug edge node handed to the broker (QoS 0), by kind: births (NBIRTH, DBIRTH) and data (DDATA, and the DDEATH of a forgotten device).",
                [([("kind", "birth")], Double(out.births)), ([("kind", "data")], Double(out.data))])
            metric(
                "sensor_gateway_sparkplug_output_rebirths_total", .counter, "Rebirths of the gateway's own edge node a Sparkplug host asked for (NCMD).",
                [([], Double(out.rebirths))])
            metric(
                "sensor_gateway_sparkplug_output_failed_total", .counter,
                "Messages of the gateway's own edge node whose publish failed (a host sees the break in seq and asks for a rebirth).",
                [([], Double(out.failed))])
            metric(
                "sensor_gateway_sparkplug_output_offline_total", .counter,
                "Cleaned messages sent while the gateway's own edge node was not born (its connection down, or waiting for its primary host): not sent as data (the next births carry each metric's last value).",
                [([], Double(out.whileOffline))])
        }
        metric(
            "sensor_gateway_sensors", .gauge, "Streams tracked (one per sensor and measurement), by state.",
            [([("state", "live")], Double(s.sensors.count { !$0.stale })), ([("state", "stale")], Double(s.sensors.count { $0.stale }))])
        metric("sensor_gateway_journal_appended_total", .counter, "Journal records appended since start.", [([], Double(s.journal.appended))])
        metric(
            "sensor_gateway_journal_appended_bytes_total", .counter, "Bytes of journal records appended since start (headers included).",
            [([], Double(s.journal.appendedBytes))])
        metric(
            "sensor_gateway_journal_appended_bytes_by_type_total", .counter,
            "Bytes of journal records appended since start, by record type (message and tick are the input; publication the output).",
            RecordType.allCases.map { t in
                ([("type", t.label)], Double(s.journal.appendedBytesByType[Int(t.rawValue)]))
            })
        metric(
            "sensor_gateway_service_turn_longest_seconds", .gauge, "The service loop's longest single turn since start (its worst stall).",
            [([], Double(longestTurnMs) / 1000)])
        metric(
            "sensor_gateway_journal_dropped_records_total", .counter, "Journal records overwritten by the ring since start.",
            [([], Double(s.journal.droppedRecords))])
        metric("sensor_gateway_journal_syncs_total", .counter, "Journal fdatasync calls.", [([], Double(s.journal.syncs))])
        metric("sensor_gateway_journal_durable_seq", .gauge, "Last journal record known durable.", [([], Double(s.journalDurableSeq))])
        metric(
            "sensor_gateway_journal_checkpoint_seq", .gauge, "Last journal record whose publications the broker acknowledged.", [([], Double(s.checkpoint))])
        metric("sensor_gateway_outbound_waiting", .gauge, "Publications journaled but not yet sent.", [([], Double(s.outboundWaiting))])
        metric("sensor_gateway_outbound_in_flight", .gauge, "Publications sent and not yet acknowledged.", [([], Double(s.outboundInFlight))])
        metric("sensor_gateway_replay_requests_total", .counter, "Replay requests received over MQTT.", [([], Double(s.runtime.replays))])
        metric(
            "sensor_gateway_replay_requests_refused_total", .counter,
            "Replay requests refused at once, by reason: busy (every slot taken), off (replay-max-concurrent 0), invalid (answered with an error), dead_lettered (no usable reply topic).",
            ReplayResponder.RefusalReason.allCases.map { ([("reason", $0.rawValue)], Double(s.runtime.replaysRefused[$0.rawValue, default: 0])) })
        metric(
            "sensor_gateway_journal_appendable_bytes", .gauge, "Journal room left without reclaiming unfinished work.",
            [([], Double(s.journalAppendableBytes))])
        metric("sensor_gateway_journal_capacity_bytes", .gauge, "The journal ring's usable size.", [([], Double(s.journalCapacityBytes))])
        metric(
            "sensor_gateway_input_paused", .gauge, "1 while the gateway leaves readings in the broker, by reason.",
            IngestJournal.Pause.allCases.map { ([("reason", $0.label)], s.inputPause == $0.rawValue ? 1 : 0) })
        metric("sensor_gateway_ingest_accepted_total", .counter, "Inbound messages journaled by the network thread.", [([], Double(s.ingest.accepted))])
        metric(
            "sensor_gateway_ingest_oversized_total", .counter, "Payloads over max-payload-bytes, cut before journaling (dead-lettered).",
            [([], Double(s.ingest.oversized))])
        metric(
            "sensor_gateway_ingest_held_while_full_total", .counter, "Messages held in memory because the journal was full when they arrived.",
            [([], Double(s.ingest.heldWhileFull))])
        metric(
            "sensor_gateway_ingest_pending_high_water", .gauge, "Most journaled messages that waited for the pipeline at once.",
            [([], Double(s.ingest.pendingHighWater))])
        metric(
            "sensor_gateway_ingest_lost_to_journal_failure_total", .counter, "Acknowledged messages that could not be journaled because the journal failed.",
            [([], Double(s.ingest.lostToJournalFailure))])
        metric(
            "sensor_gateway_journal_sync_failures_total", .counter, "Journal syncs that failed (the first stops the gateway: exit 74).",
            [([], Double(s.ingest.syncFailures))])
        metric("sensor_gateway_snapshots_written_total", .counter, "Engine snapshots saved.", [([], Double(s.snapshots.written))])
        metric(
            "sensor_gateway_snapshot_failures_total", .counter, "Engine snapshots that could not be saved (logged; never fatal).",
            [([], Double(s.snapshots.failures))])
        metric("sensor_gateway_snapshot_bytes", .gauge, "Size of the last engine snapshot saved.", [([], Double(s.snapshots.lastBytes))])
        metric(
            "sensor_gateway_snapshot_duration_seconds", .gauge, "Time the last snapshot took to encode and save, off the service loop.",
            [([], Double(s.snapshots.lastDurationMs) / 1000)])
        metric(
            "sensor_gateway_snapshot_read_failures_total", .counter, "Snapshots found unreadable at start (the journal rebuilt the state).",
            [([], Double(s.runtime.snapshotReadFailures))])
        metric(
            "sensor_gateway_checkpoint_failures_total", .counter, "Checkpoint writes that failed (logged; never fatal).",
            [([], Double(s.runtime.checkpointFailures))])
        if let oldest = s.journalOldestTime {
            metric(
                "sensor_gateway_journal_oldest_record_age_seconds", .gauge, "Age of the oldest records the journal holds: how far back replays reach.",
                [([], Double(max(0, now - oldest)) / 1000)])
        }
        metric(
            "sensor_gateway_checkpoint_lag_records", .gauge, "Journal records after the last one whose publications the broker acknowledged.",
            [([], Double(s.journalLastSeq > s.checkpoint ? s.journalLastSeq - s.checkpoint : 0))])
        metric(
            "sensor_gateway_ingest_pending", .gauge, "Journaled inbound messages waiting for the engine (the inbound backlog).",
            [([], Double(s.ingest.pending))])
        if let loopAgeMs {
            metric(
                "sensor_gateway_loop_turn_age_seconds", .gauge, "Seconds since the service loop last completed a turn (a stalled loop grows it).",
                [([], Double(loopAgeMs) / 1000)])
        }
        // Until the first message of this run, the run's start: a box that gets nothing after a
        // (re)start looks silent since then, so the no-input alert fires (found black-box: the
        // metric was missing, and a restart quietly ended a firing alert).
        let received = s.lastReceivedAt.map { Double($0 + s.clockOffsetMs) / 1000 } ?? Double(s.startedAt) / 1000
        metric(
            "sensor_gateway_last_reading_received_timestamp_seconds", .gauge,
            "Unix time the newest inbound message was received (the gateway's start while none has been since).", [([], received)])
        // By the monotonic clock: `time() -` the timestamp above is also off by however far the
        // box's wall clock is from Prometheus's, so a box whose clock stepped back an hour paged
        // "no input" while readings flowed (found black-box, 73rd review).
        // Absent only before the service loop's first status (a start still restoring).
        if let since = s.lastReceivedMonotonic ?? (s.startedMonotonic > 0 ? s.startedMonotonic : nil) {
            metric(
                "sensor_gateway_input_silence_seconds", .gauge,
                "Seconds since the newest inbound message was received (since the gateway's start while none has been), by the monotonic clock: no wall-clock step moves it.",
                [([], Double(max(0, monotonicNow - since)) / 1000)])
        }
        if let reloadRefused {
            // As Prometheus's own prometheus_config_last_reload_successful.
            metric(
                "sensor_gateway_config_last_reload_successful", .gauge,
                "0 while the last SIGHUP's configuration was refused (the gateway runs the settings it had), 1 otherwise.",
                [([], reloadRefused ? 0 : 1)])
        }
        metric(
            "sensor_gateway_sensors_silent", .gauge, "Sensors silent beyond their stale time (stale_factor x their period).",
            [([], Double(s.sensors.count { $0.stale }))])
        metric(
            "sensor_gateway_journal_corruption", .gauge,
            "1 while damage the journal found at start is reported (see /healthz and `journal verify`); not for the broker's latest/ found past a whole journal (sensor_gateway_journal_damaged_gaps_total).",
            [([], s.journalCorrupt ? 1 : 0)])
        metric(
            "sensor_gateway_journal_corruption_events_total", .counter,
            "Journal damage found (files and record ranges), since start; not the broker's latest/ found past a whole journal.",
            [([], Double(s.journalDamage.count { !JournalRestore.isOutputAheadOnly($0) }))])
        metric(
            "sensor_gateway_clock_steps_total", .counter, "Steps of the wall clock seen against the journal's monotonic timeline.",
            [([], Double(s.runtime.clockSteps))])
        metric(
            "sensor_gateway_clock_offset_seconds", .gauge,
            "Wall clock minus the journal's timeline (negative after a backward step, which the timeline does not follow).",
            [([], Double(s.clockOffsetMs) / 1000)])
        metric(
            "sensor_gateway_broker_reconnects_total", .counter, "Reconnections to the broker since start, by connection.",
            [([("connection", "input")], Double(s.runtime.inputReconnects)), ([("connection", "output")], Double(s.runtime.outputReconnects))]
                + (s.runtime.sparkplugReconnects.map { [([("connection", "sparkplug")], Double($0))] } ?? []))
        metric(
            "sensor_gateway_broker_sessions_lost_total", .counter,
            "Input connections where the broker had no persistent session for the gateway, though an earlier connection had made one: what it queued is gone.",
            [([], Double(s.runtime.sessionsLost))])
        metric("sensor_gateway_build_info", .gauge, "Always 1; the version label is the running release.", [([("version", GatewayVersion.current)], 1)])
        for p in ProcessMetrics.read() { metric(p.name, p.kind, p.help, [([], p.value)]) }
        metric(
            "sensor_gateway_restore_mismatched_publications_total", .counter,
            "Journaled publications that differed from what their input regenerated at restore.", [([], Double(s.runtime.restoreMismatches))])
        return text()
    }

    /// The dead-letter reasons that name no field, shown at 0 from the start so that `rate()`
    /// and `increase()` see a reason's first dead letter (those with a field appear when seen).
    private static let fieldlessReasons: [String: Int] = Dictionary(
        uniqueKeysWithValues: [
            RejectionReason.malformedJSON, .outOfRange, .invalidSensorID, .sensorIDMismatch, .payloadTooLarge, .tooLate, .tooManySensors, .rateLimited,
        ].map { ($0.code, 0) })
}
