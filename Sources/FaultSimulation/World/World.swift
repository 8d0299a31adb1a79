#if canImport(Glibc)
    import Glibc
#endif
import DeterministicRandom
import Journal
import Recovery

// Over 250 lines: the step loop and the state it advances (sensors, broker, clocks, the
// gateway, the consumers) in one place, so one step reads top to bottom; damage and the
// gateway's restart live in World+Damage and World+Gateway.

/// The simulated world and its step loop: sensors, network and broker, clocks, the gateway's
/// pipeline over the faulty file layer, the consumers, and the checker.
///
/// A step is `scenario.stepMs` of simulated time: the clocks advance; faults strike (clock
/// steps, a crash, an armed write error; damage at rest before a restart); sensors measure and
/// publish; the broker delivers; sensors answer resend requests; the gateway's input reads and
/// PUBACKs; one pipeline turn runs; what it published reaches the consumers (and is acknowledged
/// at the next step); then every invariant is checked.
struct World {
    let seed: UInt64
    let scenario: Scenario
    let log: ((String) -> Void)?
    var rng: SplitMix64
    var clock = SimClock()
    var sensors: [SimSensor] = []
    var broker = SimBroker()
    let fileSystem = FaultyFileSystem()
    /// The gateway's settings; the journal's size changes when an operator resizes it.
    var settings: SimGateway.Settings
    var gateway: SimGateway?
    /// The snapshot on disk (it survives the gateway).
    var snapshot: SimSnapshot?
    /// The gateway's `journal-damage` file, which survives it.
    var damageRecord: SimGateway.DamageRecord?
    /// The gateway's `clock-lead` file, which survives it.
    var clockLead: Int64?
    var checker: InvariantChecker
    var aggregates = AggregateChecker()
    var faults: [FaultKind: Int] = [:]
    var trace: [String] = []
    var step = 0
    /// When the gateway is down: the step it restarts at.
    var restartAt = 0
    var restarts = 0
    /// The fault counts when the gateway last started: damage since then explains a diverged replay.
    var faultsAtStart: [FaultKind: Int] = [:]
    /// A guarantee the last start broke (reported by the step it happened in).
    var startViolation: Violation?
    /// Broker acknowledgements of the gateway's publications, delivered at the next step.
    var pendingAcks: [Int] = []
    /// The journal seq of each acknowledged reading (for what a power cut may take).
    var journalSeqs: [InvariantChecker.Key: UInt64] = [:]
    /// Publication records a power cut found unsynced (seq past the journal's `durableSeq`), as
    /// they were before the cut: the next start that reports their seqs lost destroyed them.
    var unsyncedAtCut: [(seq: UInt64, bytes: [UInt8], span: RecordSpan)] = []
    var acknowledgedCount = 0
    /// The broker's retained `latest/` values, which a restart reads back (`BrokerLatest`).
    var retainedLatest: [String: RecoveryEngine.PublishedLatest] = [:]
    /// The wedge watch: inputs run and the journal's next seq, and the running time they last moved at.
    var lastProgressMark: (Int, UInt64) = (0, 0)
    var lastProgress: Int64 = 0
    /// When the gateway first failed to start, while it has not started since.
    var downSince: Int64?
    /// While the gateway's input connection is lost (`FaultRates.inputOutage`): the step it is back at.
    var inputBackAt = 0
    /// The input outages' own draws, so a world without them is drawn as before they existed.
    var outageRng: SplitMix64
    /// The resizes' own draws, likewise.
    var resizeRng: SplitMix64
    /// The journal's layout before the operator's last resize, while the gateway has not started
    /// with the new one: a start that refuses the size gets it put back, as its message says.
    var layoutBeforeResize: JournalLayout?

    static let traceKept = 40

    init(seed: UInt64, scenario: Scenario, log: ((String) -> Void)?) {
        self.seed = seed
        self.scenario = scenario
        self.log = log
        rng = SplitMix64(seed: seed)
        outageRng = SplitMix64(seed: seed ^ 0x4F55_5441_4745)
        resizeRng = SplitMix64(seed: seed ^ 0x5245_5349_5A45_4452)
        let layout = try! JournalLayout(directory: "/sim/journal", maxBytes: scenario.journalBytes, segmentCount: scenario.segmentCount)
        settings = SimGateway.Settings(
            layout: layout, fsync: scenario.fsync, syncIntervalMs: scenario.syncIntervalMs, engine: scenario.engine,
            maxInFlight: scenario.maxInFlight)
        checker = InvariantChecker(
            validRange: scenario.engine.validMin...scenario.engine.validMax, latencyBoundMs: scenario.latencyBoundMs)
        checker.strictStreamStart = scenario.strictStreamStart
        checker.epochBurst = Int(scenario.engine.epochBurst)
        let engine = scenario.engine
        checker.lateHorizonMs = { stream in
            let measurement = stream.split(separator: "/").dropFirst().first.map(String.init)
            return measurement.flatMap { name in engine.measurements?.first { $0.name == name }?.lateHorizonMs } ?? engine.lateHorizonMs
        }
        for (i, profile) in scenario.sensors.enumerated() {
            sensors.append(SimSensor(index: i, profile: profile, start: SimClock.start, rng: &rng))
        }
    }

    mutating func note(_ line: String) {
        let text = "step \(step) (t+\(clock.trueTime - SimClock.start) ms): \(line)"
        log?(text)
        trace.append(text)
        if trace.count > Self.traceKept * 2 { trace.removeFirst(trace.count - Self.traceKept) }
    }

    mutating func count(_ kind: FaultKind, _ n: Int = 1) { faults[kind, default: 0] += n }

    mutating func run() -> SimulationReport {
        var violation: Violation?
        start()
        while step < scenario.steps + scenario.drainSteps {
            violation = runStep()
            if violation != nil { break }
            step += 1
        }
        var aggregateWindowsChecked: Int?
        if violation == nil, let gateway, !gateway.hasWork {
            (violation, aggregateWindowsChecked) = aggregates.check(skipped: checker.indistinctEpochs)
        }
        if let violation {
            note("gateway \(gateway?.statusLine ?? "down")")
            note("VIOLATION \(violation)")
        }
        var all = faults
        for (k, n) in broker.faults { all[k, default: 0] += n }
        return SimulationReport(
            seed: seed, stepsRun: min(step + 1, scenario.steps + scenario.drainSteps), faults: all, violation: violation,
            failedStep: violation == nil ? nil : step, trace: Array(trace.suffix(Self.traceKept)),
            readingsAcknowledged: acknowledgedCount, cleanedMessages: checker.cleanedMessages, deadLetters: checker.deadLetters,
            restarts: restarts, aggregateWindowsChecked: aggregateWindowsChecked)
    }

    /// One step; the first broken guarantee, if any.
    mutating func runStep() -> Violation? {
        let faulty = step < scenario.steps
        if step == scenario.steps {
            fileSystem.disarm()
            note("faults stop; draining")
        }
        clock.advance(by: scenario.stepMs, gatewayUp: gateway != nil)
        deliverAcknowledgements()
        if faulty { injectFaults() }
        if gateway == nil, step >= restartAt { start() }
        if let v = startViolation { return v }
        var events: [(FaultKind, String)] = []
        for i in sensors.indices {
            let before = events.count
            for m in sensors[i].emit(now: clock.trueTime, faulty: faulty, rng: &rng, events: &events) {
                broker.send(m, now: clock.trueTime, network: scenario.network, faulty: faulty, rng: &rng)
            }
            let reboots = events[before...].filter { $0.0 == .sensorReboot }.count
            if reboots > 0 {
                checker.rebooted(sensors[i].id, times: reboots)
                if !sensors[i].profile.sendsBoot { checker.rebootedWithoutBoot(sensors[i].id, times: reboots) }
            }
        }
        for (kind, line) in events {
            count(kind)
            note(line)
        }
        for (id, request) in broker.dueRequests(now: clock.trueTime) {
            guard let i = sensors.firstIndex(where: { $0.id == id }) else { continue }
            let answers = sensors[i].answer(request)
            for m in answers { broker.send(m, now: clock.trueTime, network: scenario.network, faulty: faulty, rng: &rng) }
        }
        broker.deliver(now: clock.trueTime, limit: scenario.brokerQueueLimit)
        if let v = runGateway(faulty: faulty) { return v }
        return checkLiveness()
    }

    private mutating func deliverAcknowledgements() {
        guard let gateway else {
            pendingAcks.removeAll()
            return
        }
        for id in pendingAcks { gateway.acknowledged(id) }
        pendingAcks.removeAll()
    }

    /// Input, a turn, and the output reaching the consumers.
    private mutating func runGateway(faulty: Bool) -> Violation? {
        guard let gateway else { return nil }
        if gateway.readsInput, inputUp {
            let taken = broker.take(scenario.readsPerStep)
            if !taken.isEmpty {
                gateway.read(taken, wall: clock.wall, monotonic: clock.monotonic)
                if gateway.failure != nil {
                    // The gateway cuts the input connection before the queued PUBACKs leave once
                    // its journal lost what it accepted (`MQTTMessageSink.lostAcceptedMessages`):
                    // the broker keeps the burst and delivers it again.
                    broker.redeliverUnacknowledged()
                    note("journal failed while reading: connection cut before the acknowledgements")
                    return nil
                }
                broker.acknowledgeAll()
                if log != nil {
                    note(
                        "input read \(taken.count): "
                            + taken.map { "\($0.reading.sensorID)\($0.reading.boot.map { "@\($0)" } ?? "")/\($0.reading.seq)" }.joined(separator: " "))
                }
                for m in taken {
                    checker.gatewayRead(m.reading, resetThreshold: scenario.engine.resetThreshold)
                    acknowledgedCount += 1
                    checker.acknowledged(m.reading, at: clock.upTime)
                }
            }
        }
        for (reading, seq) in gateway.takeJournaled() {
            journalSeqs[InvariantChecker.Key(sensorID: reading.sensorID, boot: reading.boot, seq: reading.seq)] = seq
        }
        let sent: [(id: Int, publication: Publication)]
        do {
            sent = try gateway.turn(wall: clock.wall, monotonic: clock.monotonic, listening: inputUp)
        } catch {
            note("journal failed: \(error); the gateway exits 74 and is restarted")
            stop(powerCut: nil, failed: true)
            return nil
        }
        for (id, p) in sent {
            pendingAcks.append(id)
            if let v = consume(p, faulty: faulty) { return v }
        }
        return nil
    }

    /// A publication reaches its consumers.
    private mutating func consume(_ p: Publication, faulty: Bool) -> Violation? {
        let parts = p.topic.split(separator: "/")
        let sensorID = parts.count > 1 ? String(parts[1]) : ""
        // The stream a `cleaned/` or `dlq/` topic names, as the sensors' truth names it.
        let stream = World.stream(ofTopic: p.topic) ?? sensorID
        checker.gatewayTime = gateway?.timelineTime ?? checker.gatewayTime
        switch p.kind {
        case .cleaned:
            if log != nil { note("published \(p.topic) \(p.text)") }
            if let v = checker.cleaned(p.payload, stream: stream) {
                note("published \(p.topic) \(p.text)")
                return v
            }
            if let m = OutputMessages.cleaned(p.payload, stream: stream) { aggregates.cleaned(m) }
        case .deadLetter:
            checker.deadLetter(p.payload, sensorID: stream)
            if log != nil || (!p.text.contains("\"out_of_range\"") && !p.text.contains("\"too_many_sensors\"")) { note("dead letter \(p.text)") }
        case .resendRequest:
            if let request = OutputMessages.resendRequest(p.payload) {
                if request.toSeq == nil || request.toSeq! - request.fromSeq >= 50 || log != nil {
                    note("resend request to \(sensorID): \(p.text)")
                }
                let to = World.stream(sensor: sensorID, measurement: request.measurement)
                broker.route(request: request, to: to, now: clock.trueTime, network: scenario.network, faulty: faulty, rng: &rng)
            }
        case .sensorState:
            note("\(p.topic) \(p.text)")
            // `gateway/<id>/sensors/<sensor>[/<measurement>]`
            if parts.count >= 4, p.text.contains("\"state\":\"expired\"") {
                checker.forgotten(World.stream(sensor: parts[3], measurement: parts.count > 4 ? parts[4] : nil))
            }
        case .latest:
            if let v = checker.latest(topic: p.topic, p.payload) {
                note("published \(p.topic) \(p.text)")
                return v
            }
            if let m = OutputMessages.cleaned(p.payload) { retainedLatest[p.topic] = .init(seq: m.seq, ts: m.ts, boot: m.boot) }
        case .aggregate:
            if log != nil { note("published \(p.topic) \(p.text)") }
            if let v = aggregates.aggregate(p.payload, stream: stream) {
                note("published \(p.topic) \(p.text)")
                return v
            }
        }
        return nil
    }

    /// Wedges and overdue obligations.
    private mutating func checkLiveness() -> Violation? {
        if let gateway {
            let mark = (gateway.inputsRun, gateway.journal.nextSeq)
            if mark != lastProgressMark || !(broker.queued > 0 || gateway.hasWork) || !inputUp {
                lastProgressMark = mark
                lastProgress = clock.upTime
            } else if clock.upTime - lastProgress > scenario.wedgeBoundMs {
                return Violation(
                    invariant: .wedge,
                    detail:
                        "nothing run or journaled for \(clock.upTime - lastProgress) ms of running time with work waiting (\(broker.queued) messages at the broker); input \(gateway.readsInput ? "read" : "paused")"
                )
            }
        } else if let since = downSince, clock.monotonic - since > scenario.wedgeBoundMs, step >= scenario.steps {
            return Violation(invariant: .wedge, detail: "the gateway has not started for \(clock.monotonic - since) ms (journal cannot be opened)")
        }
        return checker.overdue(upTime: clock.upTime)
    }
}
