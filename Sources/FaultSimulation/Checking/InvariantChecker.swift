import Wire

// Over 250 lines: each output check and each obligation reads and updates the same record of
// what consumers hold; split, that record would be opened to every part.
/// Holds what the simulated consumers received to the contract after every step.
///
/// Order, exactly-once and conflicting re-publications are `Wire.StreamAccounting`'s (the
/// verifier's own judge); on top: no skipped seq, restatements only of estimates and at most
/// once, estimates in range, and the obligations: every reading the broker was told is safe
/// (PUBACKed) reaches the consumers as `ok`, `corrected` or `restated` (or is dead-lettered for
/// a reason the contract gives: `too_many_sensors`, `out_of_range`, `too_late` for an older boot,
/// `rate_limited` for a boot beyond the sensor's epoch allowance)
/// within `latencyBoundMs` of gateway running time. Readings a crash may lose by the contract (held
/// in memory, or unsynced at a power cut) only need to be covered, by anything (a fill or a gap).
struct InvariantChecker {
    struct Key: Hashable {
        var sensorID: String
        var boot: Int64?
        var seq: UInt64
    }

    struct Obligation {
        var since: Int64
        /// False: any coverage will do (synthetic, gap).
        var real: Bool
        var reading: SimReading
    }

    let validRange: ClosedRange<Double>
    let latencyBoundMs: Int64
    /// False: a reading below the first seq its stream published (it came after a new sensor's
    /// start hold) may vanish. The engine counts it as a duplicate and dead-letters nothing
    /// (a finding, see docs/SIMULATION.md); the CI budget tolerates it until that is decided.
    var strictStreamStart = true
    private(set) var accounting = StreamAccounting()
    private var lastSeq: [StreamKey: UInt64] = [:]
    /// Sensors without `boot` that rebooted, and how often.
    private var truthReboots: [String: Int] = [:]
    private var newestBoot: [String: Int64] = [:]
    /// New epochs a sensor may start at once (`EngineConfiguration.epochBurst`).
    var epochBurst = 10
    /// Reboots per sensor, with or without `boot`.
    private var reboots: [String: Int] = [:]
    /// The highest seq the gateway read per sensor without `boot` (`gatewayRead`).
    private var highestRead: [String: UInt64] = [:]
    /// Sensors whose latest word from the gateway was `too_many_sensors`: untracked, so the
    /// gateway sees no gaps in them (`relax`).
    private var refusedAsTooMany = Set<String>()
    private var realCovered = Set<Key>()
    private var anyCovered = Set<Key>()
    /// The gateway's timeline time (its journal's record time) when the publication being
    /// consumed reached the consumers (`World` sets it).
    var gatewayTime: Int64 = 0
    /// Each stream's late horizon (its measurement's own, or the gateway's).
    var lateHorizonMs: @Sendable (String) -> Int64 = { _ in 3_600_000 }
    /// When each stream's estimates (`synthetic`, `corrected`, `gap`) first reached the consumers,
    /// in gateway time: a real reading for one of them later than the late horizon is `too_late`.
    private var estimatedAt: [StreamKey: [(seqs: ClosedRange<UInt64>, at: Int64)]] = [:]
    /// Where each stream began again for consumers after its sensor was refused as one too many
    /// and admitted later as a new sensor (its first seq then).
    private var restartedAt: [StreamKey: UInt64] = [:]
    /// When each stream's sensor was last announced `expired` (forgotten), in gateway time.
    private var forgottenAt: [String: Int64] = [:]
    /// Seqs a `journal_damaged` gap covered.
    private var damageCovered = Set<Key>()
    /// The lowest seq each stream published in a message other than a `journal_damaged` gap:
    /// where the stream began for its consumers.
    private var firstUndamaged: [StreamKey: UInt64] = [:]
    /// Seqs whose journaled publication damage destroyed (`publicationDestroyed`).
    private var forgottenPublications = Set<Key>()
    /// The newest `ts` each `latest/` topic delivered.
    private var latestTs: [String: Int64] = [:]
    private(set) var obligations: [Key: Obligation] = [:]
    private(set) var cleanedMessages = 0
    private(set) var deadLetters = 0

    init(validRange: ClosedRange<Double>, latencyBoundMs: Int64) {
        self.validRange = validRange
        self.latencyBoundMs = latencyBoundMs
    }

    // MARK: - Output

    /// A retained last value reached the consumers: never older than the one before on its topic.
    mutating func latest(topic: String, _ payload: [UInt8]) -> Violation? {
        guard let m = OutputMessages.cleaned(payload) else {
            return Violation(invariant: .latestBackwards, detail: "unreadable \(topic) message \(String(decoding: payload, as: UTF8.self))")
        }
        if let newest = latestTs[topic], m.ts < newest {
            return Violation(invariant: .latestBackwards, detail: "\(topic): seq \(m.seq) ts \(m.ts) after ts \(newest)")
        }
        latestTs[topic] = max(latestTs[topic] ?? m.ts, m.ts)
        return nil
    }

    /// A cleaned reading reached the consumers.
    /// A cleaned message of `stream` (its sensor id, or `<id>/<measurement>`) reached the consumers.
    mutating func cleaned(_ payload: [UInt8], stream: String? = nil) -> Violation? {
        guard let m = OutputMessages.cleaned(payload, stream: stream) else {
            return Violation(invariant: .conflicting, detail: "unreadable cleaned message \(String(decoding: payload, as: UTF8.self))")
        }
        cleanedMessages += 1
        // A sensor refused as one too many since its last message was untracked meanwhile: it
        // comes back as a new sensor, its refused seqs settled by their dead letters.
        let returnsAfterRefusal = refusedAsTooMany.remove(m.sensorID) != nil
        if m.boot == nil, truthReboots[m.sensorID] != nil {
            // A sensor without `boot` rebooted: its epochs cannot be told apart from outside.
            guard m.quality == .corrected || m.quality == .synthetic else { return nil }
            guard let v = m.temperature, validRange.contains(v) else {
                return Violation(invariant: .range, detail: "\(m.sensorID)/\(m.seq) \(m.quality.rawValue) value \(m.temperature.map { "\($0)" } ?? "none")")
            }
            return nil
        }
        if returnsAfterRefusal { restartedAt[StreamKey(sensorID: m.sensorID, boot: m.boot)] = m.coveredSeqs.lowerBound }
        let before = (accounting.orderViolations, accounting.seqsCoveredTwice, accounting.conflictingDuplicates)
        let earlier = accounting.quality(of: m.stream, seq: m.seq)
        let fresh = accounting.add(m)
        if accounting.conflictingDuplicates > before.2 {
            return Violation(invariant: m.quality == .restated ? .restatedOnce : .conflicting, detail: accounting.problems.last ?? "")
        }
        if accounting.orderViolations > before.0 { return Violation(invariant: .order, detail: accounting.problems.last ?? "") }
        if accounting.seqsCoveredTwice > before.1 { return Violation(invariant: .onceOnly, detail: accounting.problems.last ?? "") }
        guard fresh else { return nil }
        if m.quality == .corrected || m.quality == .synthetic {
            guard let v = m.temperature, validRange.contains(v) else {
                return Violation(invariant: .range, detail: "\(m.stream)/\(m.seq) \(m.quality.rawValue) value \(m.temperature.map { "\($0)" } ?? "none")")
            }
        }
        if m.quality == .restated {
            guard let earlier, earlier != .ok else {
                return Violation(
                    invariant: .restatedOnce, detail: "\(m.stream)/\(m.seq) restated after \(earlier.map(\.rawValue) ?? "nothing") was published")
            }
        } else {
            let seqs = m.coveredSeqs
            if let last = lastSeq[m.stream], seqs.lowerBound > last + 1, !returnsAfterRefusal {
                return Violation(invariant: .hole, detail: "\(m.stream): seqs \(last + 1)...\(seqs.lowerBound - 1) skipped (next published \(seqs.lowerBound))")
            }
            // A journal_damaged stand-in may come after later seqs (docs/INTERFACE.md section 2).
            lastSeq[m.stream] = m.isJournalDamageGap ? max(lastSeq[m.stream] ?? seqs.upperBound, seqs.upperBound) : seqs.upperBound
        }
        cover(m)
        return nil
    }

    private mutating func cover(_ m: CleanedReading) {
        let real = m.quality == .ok || m.quality == .corrected || m.quality == .restated
        let seqs = m.coveredSeqs
        let stream = StreamKey(sensorID: m.sensorID, boot: m.boot)
        if !m.isJournalDamageGap { firstUndamaged[stream] = min(firstUndamaged[stream] ?? seqs.lowerBound, seqs.lowerBound) }
        if !real, !(estimatedAt[stream]?.contains { $0.seqs == seqs } ?? false) { estimatedAt[stream, default: []].append((seqs, gatewayTime)) }
        if seqs.count > 100_000 || seqs.count > 4 * obligations.count + 64 {
            for seq in seqs.prefix(100_000) { anyCovered.insert(Key(sensorID: m.sensorID, boot: m.boot, seq: seq)) }
            for (key, o) in obligations where !o.real && key.sensorID == m.sensorID && key.boot == m.boot && seqs.contains(key.seq) {
                obligations.removeValue(forKey: key)
            }
            return
        }
        for seq in seqs {
            let key = Key(sensorID: m.sensorID, boot: m.boot, seq: seq)
            anyCovered.insert(key)
            if real { realCovered.insert(key) }
            if m.isJournalDamageGap { damageCovered.insert(key) }
            if let o = obligations[key], real || !o.real { obligations.removeValue(forKey: key) }
        }
    }

    /// A dead letter reached the consumers: some reasons settle the reading they carry.
    mutating func deadLetter(_ payload: [UInt8], sensorID: String) {
        deadLetters += 1
        guard let (reason, seq, boot, receivedAt) = OutputMessages.deadLetter(payload), let seq else { return }
        if reason == "too_many_sensors" { refusedAsTooMany.insert(sensorID) }
        let key = Key(sensorID: sensorID, boot: boot, seq: seq)
        let settles: Bool
        switch reason {
        case "too_many_sensors", "out_of_range": settles = true
        case "rate_limited":
            // The contract's flag for a sender beyond its epoch limit: settles a reading only if
            // the sensor really rebooted more often than the burst allows (a reset the gateway
            // took wrongly, spending the allowance, is still caught).
            settles = (reboots[sensorID] ?? 0) > epochBurst
        case "too_late":
            // An older boot's reading, or one below the first seq its stream published (a new
            // sensor is not assumed to start at 0): flagged on dlq/, never published.
            let oldBoot = boot.map { $0 < (newestBoot[sensorID] ?? $0) } ?? false
            let beforeStart = accounting.span(of: StreamKey(sensorID: sensorID, boot: boot)).map { seq < $0.lowerBound } ?? false
            // Or one for a seq published as an estimate more than the late horizon earlier on
            // the gateway's timeline, which a forward step of its wall clock moves on too
            // (docs/OPERATIONS.md: "an estimate published shortly before a step longer than
            // late-horizon-s can no longer be restated"; measurement worlds seed 1,300,174).
            let estimated = estimatedAt[StreamKey(sensorID: sensorID, boot: boot)]?.first { $0.seqs.contains(seq) }?.at
            let expired = estimated.map { at in receivedAt.map { $0 - at > lateHorizonMs(sensorID) } ?? false } ?? false
            // Or one below where its stream began again after a refusal as one too many: the
            // sensor came back as a new one, not assumed to start lower (drawn seed 1,700,041).
            let beforeRestart = restartedAt[StreamKey(sensorID: sensorID, boot: boot)].map { seq < $0 } ?? false
            // Or one estimated before its sensor was forgotten (announced `expired`): such a
            // sensor keeps only its newest restatable fills (docs/INTERFACE.md section 4: "a
            // reading for a seq from before it was forgotten is dead-lettered too_late"); a
            // forward wall-clock step while the gateway was deaf expires sensors at once
            // (input outages seed 2,500,101).
            let beforeForgotten = estimated.map { at in forgottenAt[sensorID].map { at <= $0 } ?? false } ?? false
            settles = oldBoot || beforeStart || expired || beforeRestart || beforeForgotten
        default: settles = false
        }
        if settles {
            realCovered.insert(key)
            obligations.removeValue(forKey: key)
        }
    }

    /// A stream's sensor was announced `expired`: forgotten by the gateway.
    mutating func forgotten(_ stream: String) { forgottenAt[stream] = gatewayTime }

    // MARK: - Obligations

    /// A sensor rebooted (a new epoch, counted against its epoch allowance).
    mutating func rebooted(_ sensorID: String, times: Int) { reboots[sensorID, default: 0] += times }

    /// Sensors without `boot` whose epochs the output cannot tell apart (rebooted, or reset by
    /// the contract's rule): held to value ranges only.
    var indistinctEpochs: Set<String> { Set(truthReboots.keys) }

    /// A sensor without `boot` rebooted: from now on the output cannot tell its epochs apart,
    /// so its readings are no longer obligations (the contract promises nothing there).
    mutating func rebootedWithoutBoot(_ sensorID: String, times: Int) {
        truthReboots[sensorID, default: 0] += times
        for (key, _) in obligations where key.sensorID == sensorID && key.boot == nil { obligations.removeValue(forKey: key) }
    }

    /// The gateway read `r` from the broker. For a sensor without `boot`, a seq falling back by
    /// more than `resetThreshold` below the highest the gateway has read is a sequence reset by
    /// the contract (docs/INTERFACE.md section 4) unless the gateway was waiting for it; a seq
    /// the stream already published `ok`, or one below the first seq it published, is not one it
    /// waits for. The gateway then starts a new
    /// epoch that, without `boot`, the output cannot tell apart from the old one: the sensor is
    /// held only to value ranges from then on, as after a reboot (`rebootedWithoutBoot`).
    mutating func gatewayRead(_ r: SimReading, resetThreshold: UInt64) {
        guard r.boot == nil else { return }
        let highest = highestRead[r.sensorID] ?? r.seq
        highestRead[r.sensorID] = max(highest, r.seq)
        let stream = StreamKey(sensorID: r.sensorID, boot: nil)
        let beforeStart = accounting.span(of: stream).map { r.seq < $0.lowerBound } ?? false
        guard highest > r.seq, highest - r.seq > resetThreshold, truthReboots[r.sensorID] == nil,
            beforeStart || accounting.quality(of: stream, seq: r.seq) == .ok
        else { return }
        rebootedWithoutBoot(r.sensorID, times: 1)
    }

    /// The broker was told `r` is safe (its PUBACK left) at gateway running time `upTime`.
    mutating func acknowledged(_ r: SimReading, at upTime: Int64) {
        if let boot = r.boot { newestBoot[r.sensorID] = max(newestBoot[r.sensorID] ?? boot, boot) }
        guard r.traceable, r.boot != nil || truthReboots[r.sensorID] == nil else { return }
        let key = Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq)
        if realCovered.contains(key) { return }
        // Its estimate went out, and damage destroyed the record of it: nothing left says what
        // a late real reading would restate (docs/INTERFACE.md section 2), so covered is enough.
        if forgottenPublications.contains(key), anyCovered.contains(key) { return }
        if let o = obligations[key], o.real { return }
        // The same holds when the reading comes again (a duplicate, a resend answer) before the
        // restart's stand-in for the destroyed publication went out (a `journal_damaged` gap, sent
        // in the turn after this read): the restored engine is past that seq, and whether
        // consumers got it is what the destroyed record held, so the contract reports it rather
        // than sending it again (section 2): any coverage settles it (aimed finding-8 seed 170:
        // an `ok` reading's publication destroyed, the reading read again, then the gap).
        // Only for the seqs whose publication damage destroyed (`publicationDestroyed`).
        let real = !forgottenPublications.contains(key)
        obligations[key] = Obligation(since: upTime, real: real, reading: r)
    }

    /// Damage at rest destroyed the journaled publication covering `r`'s seq: as `relax`, and a
    /// real reading for it acknowledged later needs only the coverage the consumers hold.
    mutating func publicationDestroyed(_ r: SimReading) {
        forgottenPublications.insert(Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq))
        relax(r)
    }

    /// A crash may lose `r` by the contract: it only needs covering now (it was acknowledged
    /// but held in memory, or not yet synced at a power cut). A sensor beyond the tracked-sensor
    /// limit has no stream whose gaps could cover it (each of its readings is only dead-lettered
    /// `too_many_sensors`), so the contract promises nothing for its lost ones.
    mutating func relax(_ r: SimReading) {
        let key = Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq)
        guard var o = obligations[key] else { return }
        if anyCovered.contains(key) || refusedAsTooMany.contains(r.sensorID) {
            obligations.removeValue(forKey: key)
            return
        }
        o.real = false
        obligations[key] = o
    }

    /// The oldest obligation past its bound at `upTime`, if any.
    mutating func overdue(upTime: Int64) -> Violation? {
        guard !obligations.isEmpty else { return nil }
        var late = obligations.values.filter { upTime - $0.since > latencyBoundMs }
        // A reading a crash lost by the contract reaches the output as a seq gap, which takes a
        // stream around it: none shows the loss of one below the first seq its stream published
        // (the gateway lost every trace of the sensor, and a sensor seen anew is not assumed to
        // start at 0), or of one after the last seq of an epoch the sensor has left (no later
        // reading of that epoch will come).
        // Without `strictStreamStart`, a real reading below its stream's start may vanish too.
        late.removeAll { o in
            let r = o.reading
            let span = accounting.span(of: StreamKey(sensorID: r.sensorID, boot: r.boot))
            let beforeStart = span.map { r.seq < $0.lowerBound } ?? false
            let epochLeft = r.boot.map { $0 < (newestBoot[r.sensorID] ?? $0) } ?? false
            let afterEnd = epochLeft && (span.map { r.seq > $0.upperBound } ?? true)
            guard (beforeStart && (!o.real || !strictStreamStart)) || (afterEnd && !o.real) else { return false }
            obligations.removeValue(forKey: Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq))
            return true
        }
        // Nor of a real one below where its stream began for its consumers, covered by a
        // `journal_damaged` gap: a restart that lost the journal's record of the stream's start
        // took it as published, as it takes every reading up to the broker's retained seq
        // (docs/INTERFACE.md section 2); undamaged, it would have been too late for the stream
        // (aimed finding-8 seeds 2518 and 2934).
        late.removeAll { o in
            let r = o.reading
            let key = Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq)
            guard damageCovered.contains(key), let first = firstUndamaged[StreamKey(sensorID: r.sensorID, boot: r.boot)], r.seq < first else {
                return false
            }
            obligations.removeValue(forKey: key)
            return true
        }
        // Nor, while its stream has published no later seq, of one whose input a crash lost (not
        // its publication: the restored engine knows what it released, `forgottenPublications`):
        // the gap that covers it comes with the stream's next reading, and none may come for a
        // while (the sensor switched off, what it sent next lost too) or ever (the restarted
        // engine gave its place under `max-sensors` to another sensor). A later seq published
        // without covering it is a skipped seq (`hole`), and that reading is timed on its own.
        late.removeAll { o in
            let r = o.reading
            let key = Key(sensorID: r.sensorID, boot: r.boot, seq: r.seq)
            guard !o.real, !forgottenPublications.contains(key) else { return false }
            return accounting.span(of: StreamKey(sensorID: r.sensorID, boot: r.boot)).map { r.seq > $0.upperBound } ?? true
        }
        guard let o = late.min(by: { ($0.since, $0.reading.sensorID, $0.reading.seq) < ($1.since, $1.reading.sensorID, $1.reading.seq) }) else { return nil }
        let key = Key(sensorID: o.reading.sensorID, boot: o.reading.boot, seq: o.reading.seq)
        let seen = anyCovered.contains(key) ? "covered only by an estimate or a gap" : "never published"
        return Violation(
            invariant: .lost,
            detail:
                "\(o.reading.sensorID) boot \(o.reading.boot.map { "\($0)" } ?? "-") seq \(o.reading.seq) acknowledged \(upTime - o.since) ms of running time ago, \(seen) (\(late.count) overdue)"
        )
    }
}
