import Testing
@testable import Gateway

/// What `/healthz` names as the problem is the problem.
@Suite("/healthz reasons")
struct HealthReasonsTests {
    static func health(_ change: (inout GatewayStatusSnapshot) -> Void) -> GatewayHTTP.Response {
        var s = GatewayStatusSnapshot()
        s.restoring = false
        s.connected = true
        change(&s)
        let board = StatusBoard()
        board.update(s)
        return GatewayHTTP.handler(status: board, configuration: GatewayConfiguration(gatewayID: "health"))("/healthz")
    }

    @Test(
        "/metrics fails the scrape (503) while the engine is being restored, so counters never read 0 and then the restored totals in one process (found black-box)"
    )
    func metricsWhileRestoring() {
        func metrics(restoring: Bool) -> GatewayHTTP.Response {
            var s = GatewayStatusSnapshot()
            s.restoring = restoring
            s.counters.received = 28_339
            let board = StatusBoard()
            board.update(s)
            return GatewayHTTP.handler(status: board, configuration: GatewayConfiguration(gatewayID: "health"))("/metrics")
        }
        let starting = metrics(restoring: true)
        #expect(starting.status == 503 && starting.body.contains("restoring") && !starting.body.contains("sensor_gateway_messages_received_total"))
        let running = metrics(restoring: false)
        #expect(running.status == 200 && running.body.contains("sensor_gateway_messages_received_total 28339"), "\(running.body.prefix(300))")
    }

    @Test("a journal full of unfinished work after a restart is named alone, not as the broker not acknowledging the subscription")
    func journalFullBeforeSubscription() {
        let full = Self.health { s in
            s.subscribed = false
            s.inputPause = IngestJournal.Pause.journalFull.rawValue
        }
        #expect(full.status == 503)
        #expect(full.body.contains("journal full"), "\(full.body)")
        #expect(!full.body.contains("waiting for the broker"), "\(full.body)")
        // Not paused, the subscription not acknowledged yet: that is what is said.
        let waiting = Self.health { $0.subscribed = false }
        #expect(waiting.body.contains("waiting for the broker to acknowledge the readings subscription"), "\(waiting.body)")
        #expect(Self.health { $0.subscribed = true }.status == 200)
        // A catch-up's brief pauses hide nothing: the subscription still waits (found black-box,
        // 58th review: 200 before the SUBACK, flipping with each pause).
        for pause in [IngestJournal.Pause.pipelineBehind, .outputWaiting] {
            let paused = Self.health { s in
                s.subscribed = false
                s.inputPause = pause.rawValue
            }
            #expect(paused.status == 503, "\(pause)")
            #expect(paused.body.contains("waiting for the broker to acknowledge the readings subscription"), "\(paused.body)")
        }
        // A session the broker kept holds the previous subscription: the readings flow, and the
        // SUBACK waits behind the backlog a catch-up reads (found black-box, 60th review: 503 for
        // 15-25 s while the gateway worked through it).
        let kept = Self.health { s in
            s.subscribed = false
            s.inputSessionPresent = true
            s.inputPause = IngestJournal.Pause.pipelineBehind.rawValue
        }
        #expect(kept.status == 200, "\(kept.body)")
    }

    @Test("a journal full because snapshots fail names the snapshot failure, the cause to mend (found black-box: a full disk showed only in the log)")
    func journalFullWithFailingSnapshots() {
        let full = Self.health { s in
            s.subscribed = true
            s.inputPause = IngestJournal.Pause.journalFull.rawValue
            s.snapshots.lastError = "write engine.snapshot.tmp: No space left on device"
        }
        #expect(full.status == 503)
        #expect(full.body.contains("engine snapshots are failing (write engine.snapshot.tmp: No space left on device)"), "\(full.body)")
        // Snapshots that succeed again are not named.
        let draining = Self.health { s in
            s.subscribed = true
            s.inputPause = IngestJournal.Pause.journalFull.rawValue
        }
        #expect(draining.body.contains("journal full") && !draining.body.contains("snapshots"), "\(draining.body)")
        // Before the journal fills: 200, degraded, naming the failures (found black-box, 47th
        // review: a full disk's failing snapshots left /healthz "ok" for a minute).
        let failing = Self.health { s in
            s.subscribed = true
            s.snapshots.failures = 7
            s.snapshots.lastError = "write engine.snapshot.tmp: No space left on device"
        }
        #expect(failing.status == 200 && failing.body.contains("\"degraded\""), "\(failing.body)")
        #expect(
            failing.body.contains("engine snapshots are failing (7 since start, the last: write engine.snapshot.tmp: No space left on device)"),
            "\(failing.body)")
        #expect(!Self.health { $0.subscribed = true }.body.contains("snapshots"))
    }

    @Test("input waiting at the broker is named only once it has waited longer than a backlog's ordinary pauses")
    func inputBehind() {
        let now = Clocks.monotonicMilliseconds()
        let long = Self.health { s in
            s.subscribed = true
            s.runtime.inputBehindSince = now - GatewayHTTP.inputBehindShownMs - 5_000
        }
        #expect(long.body.contains("degraded") && long.body.contains("input has waited at the broker"), "\(long.body)")
        let short = Self.health { s in
            s.subscribed = true
            s.runtime.inputBehindSince = now - 2_000
        }
        #expect(short.status == 200 && !short.body.contains("input has waited"), "\(short.body)")
    }

    /// Found black-box (70th review): a link throttled to 10 KB/s kept `/healthz` ok.
    @Test("a publication acknowledged seconds after its send is named for a minute, then no more")
    func slowAnswer() {
        let now = Clocks.monotonicMilliseconds()
        let recent = Self.health { s in
            s.subscribed = true
            s.runtime.lastSlowAnswerAt = now - 5_000
            s.runtime.lastSlowAnswerMs = 4_200
        }
        #expect(recent.body.contains("degraded") && recent.body.contains("acknowledged a publication 4200 ms after it was sent"), "\(recent.body)")
        let old = Self.health { s in
            s.subscribed = true
            s.runtime.lastSlowAnswerAt = now - GatewayHTTP.slowAnswerShownMs - 1_000
            s.runtime.lastSlowAnswerMs = 4_200
        }
        #expect(!old.body.contains("after it was sent"), "\(old.body)")
    }
}
