import Wire

/// Routes the gateway's three endpoints.
public enum GatewayHTTP {
    /// What `/healthz` and `/metrics` say until the first turn after the restore: the start also
    /// waits (up to 5 s) for the broker's retained `latest/` values, to check the journal with.
    static let starting =
        "starting: restoring state from the snapshot and the journal, checked against the broker's retained latest/ values (up to 5 s for the broker to answer, then 15 s at most for its values)"
    /// How long the Sparkplug edge node may be down (reconnecting, or its birth unheard) before
    /// `/healthz` says so: a broker restart or a reconnection takes a few seconds.
    static let sparkplugGraceMs: Int64 = 30_000
    /// How long `/healthz` says "degraded" after a passing problem was last seen: a publication
    /// the broker refused, another instance with this gateway id.
    static let recentProblemShownMs: Int64 = 600_000
    /// How long the gateway must be behind its input before `/healthz` says so.
    static let inputBehindShownMs: Int64 = 10_000
    /// How long publications may wait in flight with none acknowledged before `/healthz` says so.
    static let outputUnansweredShownMs: Int64 = 10_000
    /// How long a slow acknowledgement is shown (`Observability.slowAnswer`).
    static let slowAnswerShownMs: Int64 = 60_000

    /// One endpoint's answer.
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// The answer for a GET of `target` (a path, with the status page's query if any), from the
    /// status board's latest snapshot: it never waits on the service loop, so neither a busy
    /// gateway nor a large page holds up `/healthz`. The status page's valid range follows
    /// `live` (what SIGHUP reloads set) when given.
    public static func handler(
        status: StatusBoard, configuration: GatewayConfiguration, live: LiveSettings? = nil
    ) -> @Sendable (String) -> Response {
        let gatewayID = configuration.gatewayID
        let watchdogMs = configuration.watchdogMs
        return { target in
            let (path, queryString) =
                target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
                ?? (target, "")
            let s = status.snapshot
            switch path {
            case "/metrics":
                // Restoring, the counters are not yet the totals the snapshot restores: 0 then
                // the restored totals in one process reads as a reset and a jump, which rate()
                // and increase() count as new readings (found black-box). A failed scrape counts
                // nothing.
                if s.restoring {
                    return .init(status: 503, contentType: "text/plain; charset=utf-8", body: Self.starting + "\n")
                }
                return .init(
                    status: 200, contentType: "text/plain; version=0.0.4",
                    body: status.metrics.render(
                        s, longestTurnMs: status.longestTurnMs, loopAgeMs: status.loopAgeMs, http: status.http,
                        reloadRefused: live.map { $0.reloadRefusal != nil }))
            case "/healthz":
                var problems: [String] = []
                if s.restoring { problems.append("\"\(Self.starting)\"") }
                if !s.connected {
                    let why = s.connectFailures.isEmpty ? "" : " (last attempt: \(s.connectFailures.joined(separator: "; ")))"
                    problems.append(WireJSON.quoted("not connected to the broker\(why)"))
                }
                if s.subscriptionRefused { problems.append("\"the broker refused the readings subscription\"") }
                // While the journal is full the SUBACK waits unread in the socket with the
                // readings: that pause is the reason to report, not the broker (found black-box,
                // journal full). A session the broker kept holds the previous subscription, so
                // readings flow and the SUBACK waits behind its backlog, which a catch-up reads
                // as fast as the pipeline goes: its input waiting is the warning below, not a
                // 503 (found black-box, 60th review: 503 for 15-25 s after a SIGKILL during a
                // catch-up). A new session has no readings before the SUBACK; its catch-up's brief
                // pauses hid the wait, answering 200 before the SUBACK (58th review).
                if s.connected, !s.subscribed, !s.subscriptionRefused, !s.inputSessionPresent,
                    s.inputPause != IngestJournal.Pause.journalFull.rawValue
                {
                    problems.append("\"waiting for the broker to acknowledge the readings subscription\"")
                }
                if !s.journalWritable { problems.append("\"journal not writable\"") }
                if let missing = s.journalMissing { problems.append(WireJSON.quoted(missing)) }
                if let age = status.loopAgeMs, age > watchdogMs {
                    problems.append("\"service loop stalled: no turn completed for \(age) ms (watchdog \(watchdogMs) ms)\"")
                }
                if s.inputPause == IngestJournal.Pause.journalFull.rawValue {
                    // Failing snapshots keep processed input from being reclaimed: said here, as
                    // the cause an operator can mend (found black-box: a full disk showed only in
                    // the log and a counter).
                    let snapshots = s.snapshots.lastError.map {
                        "; engine snapshots are failing (\($0)), so processed input cannot be reclaimed: often a full disk"
                    }
                    problems.append(WireJSON.quoted("\(IngestJournal.Pause.journalFull.rawValue)\(snapshots ?? ""); readings wait in the broker"))
                }
                // Working, but an operator should look: 200 with "degraded" and the reasons.
                var warnings: [String] = []
                if !s.journalDamage.isEmpty {
                    // Named as what it is when it is only the output found past a whole journal (93rd review).
                    let what = s.journalCorrupt ? "journal damage found at start" : "the published output found past the journal at start"
                    warnings.append(
                        WireJSON.quoted(
                            "\(what) (\(s.journalDamage.count) problem(s), first: \(s.journalDamage[0])); "
                                + "the gateway's log names each; `sensor-gateway journal verify` shows the damage in the journal's files "
                                + "(a snapshot, or a folder older than the published output, shows only in the log)"))
                }
                if let error = s.snapshots.lastError, s.inputPause != IngestJournal.Pause.journalFull.rawValue {
                    // Before the journal fills (then it is a problem, above): found black-box,
                    // 47th review, a full disk's failing snapshots left /healthz "ok" for a minute.
                    warnings.append(
                        WireJSON.quoted(
                            "engine snapshots are failing (\(s.snapshots.failures) since start, the last: \(error)): processed input cannot be reclaimed "
                                + "and the journal fills; often a full disk (sensor_gateway_snapshot_failures_total)"))
                }
                if s.clockOffsetMs < -JournalClock.stepToleranceMs {
                    warnings.append(
                        WireJSON.quoted(
                            "the wall clock stepped back: receive times run \(-s.clockOffsetMs) ms ahead of it (windows keep their length)"))
                }
                if let at = s.runtime.lastRefusalAt, let last = s.runtime.lastRefusal, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    let count = s.runtime.refusedPublications.values.reduce(0, +)
                    warnings.append(
                        WireJSON.quoted(
                            "the broker refused \(count) publication(s) since start, the last \((Clocks.monotonicMilliseconds() - at) / 1000) s ago (\(last)): "
                                + "they did not reach its subscribers; check the broker's ACL and message_size_limit (sensor_gateway_publications_refused_by_reason_total)"
                        ))
                }
                if let at = s.runtime.lastOtherInstanceAt, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    let ago = (Clocks.monotonicMilliseconds() - at) / 1000
                    if let taken = s.runtime.lastOtherInstanceByClientID {
                        warnings.append(
                            WireJSON.quoted(
                                "another client most likely uses this gateway's client id (\(taken)), last \(ago) s ago: "
                                    + "a second gateway with this gateway-id or client-id, a cloned box; each takes the connection over from the other, and both "
                                    + "publish the cleaned stream; stop one, or give each box its own gateway-id"))
                    } else if let other = s.runtime.lastOtherInstance {
                        warnings.append(
                            WireJSON.quoted(
                                "another gateway with gateway-id \(gatewayID) is online on the broker (\(other)), last seen \(ago) s ago: "
                                    + "both publish the cleaned stream, which then repeats and contradicts itself; stop one, or give each its own gateway-id"))
                    }
                }
                for (other, filters) in s.runtime.overlappingGateways.sorted(by: { $0.key < $1.key }) {
                    warnings.append(
                        WireJSON.quoted(
                            "gateway \(other) is online on the broker and reads some of the same sensors (its \(filters.joined(separator: " ")) overlaps this gateway's filters): "
                                + "both publish cleaned readings for them, so consumers get each twice and may get contradicting flags; stop one, or make the topic-filters disjoint"
                        ))
                }
                if let at = s.runtime.lastBrokerDropAt, let rise = s.runtime.lastBrokerDrop,
                    Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs
                {
                    warnings.append(
                        WireJSON.quoted(
                            "\(BrokerDropWatch.describe(rise)), seen \((Clocks.monotonicMilliseconds() - at) / 1000) s ago: "
                                + "readings dropped for this gateway's session that no later seq reveals (an epoch's last before a reboot) are lost without a gap; "
                                + "the broker's log names the client; raise max_queued_messages and max_queued_bytes (sensor_gateway_broker_dropped_messages_total)"
                        ))
                }
                if let unchecked = s.runtime.startNotChecked, Clocks.monotonicMilliseconds() - unchecked.at < Self.recentProblemShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "this start did not check the journal against the broker's retained latest/ values (\(unchecked.why)): a data folder older than the published output (a backup put back) would go unnoticed, its seqs published again (docs/OPERATIONS.md \"Backups\")"
                        ))
                }
                if let at = s.runtime.lastSessionLostAt, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "the broker kept no session for this gateway at its connection \((Clocks.monotonicMilliseconds() - at) / 1000) s ago (\(s.runtime.sessionsLost) since start): "
                                + "readings it had queued for the gateway are gone, and a sensor's last ones before a reboot or a silence are lost without a gap; "
                                + "check the broker's persistence and persistent_client_expiration, or whether the client id changed (sensor_gateway_broker_sessions_lost_total)"
                        ))
                }
                if let at = s.runtime.lastAheadOfClockAt, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "\(s.counters.aheadOfClock) reading(s) stamped more than future-tolerance-s ahead of this box's clock dead-lettered bad_value:ts since start, the last \((Clocks.monotonicMilliseconds() - at) / 1000) s ago"
                                + (s.counters.lastAheadOfClock.map { " (sensor \($0.stream), \($0.aheadMs / 1000) s ahead)" } ?? "") + ": "
                                + "a sensor's clock is ahead, or this box's clock is behind (when it is every sensor: timedatectl); sensor_gateway_readings_ahead_of_clock_total"
                        ))
                }
                if let at = s.runtime.lastSequenceJumpAt, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "\(s.counters.sparkplug.sequenceJumps) Sparkplug sequence jump(s) since start, the last \((Clocks.monotonicMilliseconds() - at) / 1000) s ago (edge node \(s.counters.sparkplug.lastSequenceJumpNode ?? "unknown")): "
                                + "more than 128 messages of a node lost in a row; only the part under one round of 256 is filled, so whole rounds may be missing unseen (docs/SPARKPLUG.md); sensor_gateway_sparkplug_sequence_jumps_total"
                        ))
                }
                if let at = s.runtime.lastDamagedGapAt, Clocks.monotonicMilliseconds() - at < Self.recentProblemShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "\(s.counters.output.journalDamagedGaps) gap(s) flagged journal_damaged published since start, the last \((Clocks.monotonicMilliseconds() - at) / 1000) s ago: "
                                + "the broker's retained latest/ showed seqs out that this journal never published (a data folder older than the output or emptied, or another writer of latest/), "
                                + "or the journal lost acknowledged output at its end (damage found at start); "
                                + "real readings for those seqs are dropped as already published (the gateway's log says more; sensor_gateway_journal_damaged_gaps_total)"
                        ))
                }
                if let since = s.outboundUnansweredSince, Clocks.monotonicMilliseconds() - since > Self.outputUnansweredShownMs {
                    // A broker hung (stopped, swapping, its disk stalled) keeps the connection up
                    // until the keepalive expires, about a minute: the output's silence says it
                    // sooner (found black-box, 58th review: "ok" for 60 s while nothing went out).
                    warnings.append(
                        WireJSON.quoted(
                            "the broker has acknowledged none of the \(s.outboundInFlight) publications in flight for \((Clocks.monotonicMilliseconds() - since) / 1000) s: "
                                + "it may be hung or overloaded, or the network to it stalled; cleaned output waits (\(s.outboundWaiting) more queued) and is sent when it answers, or after a reconnection "
                                + "(sensor_gateway_outbound_in_flight, sensor_gateway_outbound_waiting)"
                        ))
                }
                if let at = s.runtime.lastSlowAnswerAt, let ms = s.runtime.lastSlowAnswerMs, Clocks.monotonicMilliseconds() - at < Self.slowAnswerShownMs {
                    // Found black-box (70th review): a link throttled to 10 KB/s kept `/healthz` ok
                    // while every sensor's readings came late.
                    warnings.append(
                        WireJSON.quoted(
                            "the broker acknowledged a publication \(ms) ms after it was sent, \((Clocks.monotonicMilliseconds() - at) / 1000) s ago: "
                                + "it or the network to it is slow; readings come late too, so no sensor goes stale for its silence meanwhile "
                                + "(sensor_gateway_publish_latency_seconds, sensor_gateway_outbound_waiting)"))
                }
                if let since = s.runtime.inputBehindSince, Clocks.monotonicMilliseconds() - since > Self.inputBehindShownMs {
                    warnings.append(
                        WireJSON.quoted(
                            "input has waited at the broker for \((Clocks.monotonicMilliseconds() - since) / 1000) s (\(s.inputPause ?? "catching up")): "
                                + "the gateway is behind its sensors, so cleaned output is late, and no sensor goes stale meanwhile; "
                                + "a flood from one sender, or more sensors than this box keeps up with (sensor_gateway_input_paused, sensor_gateway_ingest_pending)"
                        ))
                }
                if let refusal = live?.reloadRefusal {
                    warnings.append(
                        WireJSON.quoted(
                            "the last SIGHUP's configuration was refused (\(refusal)): the gateway runs the settings it had; "
                                + "mend the file (`sensor-gateway config check`) and reload again (sensor_gateway_config_last_reload_successful)"))
                }
                if status.http.keptOld {
                    // Found black-box (87th review): only the log said so; the reload metric said 1.
                    warnings.append(
                        WireJSON.quoted(
                            "the last SIGHUP named an HTTP address that could not be bound: this endpoint still serves the old one, "
                                + "so the file on disk is not what runs; free the address or mend the http setting and reload (sensor_gateway_http_bound)"))
                }
                if let out = s.sparkplugOutput, let since = out.downSince, let reason = out.downReason,
                    Clocks.monotonicMilliseconds() - since > Self.sparkplugGraceMs
                {
                    warnings.append(WireJSON.quoted("the Sparkplug edge node reaches no one: \(reason)"))
                }
                let state = !problems.isEmpty ? "unhealthy" : warnings.isEmpty ? "ok" : "degraded"
                let body =
                    "{\"status\":\"\(state)\",\"connected\":\(s.connected),\"journal_writable\":\(s.journalUsable),\"problems\":[\(problems.joined(separator: ","))],\"warnings\":[\(warnings.joined(separator: ","))]}\n"
                return .init(status: problems.isEmpty ? 200 : 503, contentType: "application/json", body: body)
            case "/":
                let engine = live?.current.engine ?? configuration.engine
                let range = engine.validMin...engine.validMax
                return .init(
                    status: 200, contentType: "text/html; charset=utf-8",
                    body: StatusPage.render(
                        s, gatewayID: gatewayID, validRange: range, unit: Measured.unit, now: Clocks.epochMilliseconds() - s.clockOffsetMs,
                        loopAgeMs: status.loopAgeMs, query: StatusPage.Query(queryString: queryString), overrides: engine.sensorOverrides ?? [],
                        measurements: engine.measurements ?? []))
            default:
                return .init(status: 404, contentType: "text/plain", body: "not found; try /, /metrics or /healthz\n")
            }
        }
    }
}
