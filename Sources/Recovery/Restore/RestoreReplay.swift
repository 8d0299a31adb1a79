import Wire

// Over 250 lines: each reconciliation rule (withheld estimates, closed epochs, restatements of
// what was withheld) reads the same pending publications and journal coverage; split, the rules
// a restart applies in order would be spread over files that share private state.

/// A restart's replay of the journal after the engine snapshot, reconciled with the
/// publications the journal already holds: shared by the gateway (`JournalRestore`) and the fault
/// simulator (`SimRestore`), so both restore the same way.
///
/// The caller feeds the records in journal order: input (`input`, `tick`, `reconfigure`) from the
/// snapshot's input position on, and the publications journaled after the snapshot
/// (`journaled`). Those publications may have been sent, so they are authoritative: what the
/// replay regenerates is compared with them, and only what the journal never received comes out
/// of `finish()` to be journaled and published.
///
/// Normally the replay regenerates exactly the journaled publications, in order (the engine is
/// deterministic), and the comparison is positional. When it does not (a record was destroyed at
/// rest: an input, a tick or a publication), the replay *diverges* and reconciles instead:
/// - a journaled publication the replay did not regenerate is matched anywhere in what it did;
/// - a journaled real reading (`ok`, `corrected`, `restated`) the replay never produced (its
///   input record was destroyed) is fed back to the engine, rebuilt from the published message,
///   so the engine's state agrees with what consumers saw; a journaled estimate (`synthetic`,
///   `gap`) the replay never produced (its tick was destroyed) makes the engine tick at that
///   record's time;
/// - a regenerated cleaned message that contradicts or repeats the journal's cover of a seq (a
///   seq published `ok` coming out again as `synthetic`, say), or an aggregate window at a
///   revision the journal already published, or a `latest/` value no newer than the journal's,
///   is withheld and counted (and the engine learns the journal's newest `latest/` time);
/// - the engine's own deadlines run at each record's time (`advance`), since the journaled ticks
///   were the other engine's.
/// So a seq already published stays as published; a destroyed input never published is filled
/// and flagged like any missing reading; and the caller reports the damage.
public struct RestoreReplay {
    public private(set) var engine: RecoveryEngine
    /// Journaled publications compared with the replay's.
    public private(set) var comparedPublications = 0
    /// Journaled publications the replay did not regenerate where it should have.
    public private(set) var mismatchedPublications = 0
    /// Readings rebuilt from journaled publications because their input record was gone.
    public private(set) var rebuiltReadings = 0
    /// Regenerated cleaned messages withheld because the journal already covered their seq.
    public private(set) var withheldPublications = 0
    /// Whether the replay stopped reproducing the journal and reconciled instead.
    public private(set) var diverged = false

    private var regenerated: [Publication]
    /// Regenerated publications before this index are accounted for (the positional comparison).
    private var matched = 0
    /// Until the replay diverges, the publications it has matched are dropped once there are
    /// this many (`dropMatchedIfMany`): a restore replaying 600,000 inputs of 10,000 sensors held all
    /// 1,220,000 of its publications, 442.6 MiB resident at the peak (measured, stop 55).
    private let keepMatchedUpTo: Int
    /// The estimates (`synthetic` or `corrected`) among the dropped matched publications, which
    /// `madeEstimate` still asks about.
    private var droppedEstimates = Set<MadeEstimate>()
    /// Diverged: regenerated publications matched out of order, and where the unmatched ones are.
    private var consumed = Set<Int>()
    private var unmatched: [PublicationKey: [Int]] = [:]
    private var indexedThrough = 0
    private var coverage = JournaledCoverage()
    /// Seqs of each cleaned topic whose regenerated estimate `finish()` withheld and the engine
    /// forgot (`forgetEstimate`), with their boot.
    private var forgottenEstimates: [String: [(boot: Int64?, seqs: ClosedRange<UInt64>)]] = [:]
    /// Journaled estimates of each cleaned topic whose stream the engine had not started (or did
    /// not know) when they came: taken once it starts (`adoptDeferredEstimates`).
    private var deferredEstimates: [String: [(m: CleanedReading, time: Int64)]] = [:]
    /// The regenerated cleaned messages' indices by topic, through `cleanedIndexedThrough`
    /// (`madeEstimate`).
    private var cleanedByTopic: [String: [Int]] = [:]
    private var cleanedIndexedThrough = 0

    /// Starts from `engine` (restored from a snapshot, or new) and the publications it had made
    /// but not journaled (`pending`). `keepMatchedUpTo`: how many matched publications are held
    /// before they are dropped (small in the fault simulator, so its worlds drop them too).
    public init(engine: RecoveryEngine, pending: [Publication] = [], keepMatchedUpTo: Int = 4096) {
        self.engine = engine
        regenerated = pending
        self.keepMatchedUpTo = max(1, keepMatchedUpTo)
    }

    /// A message journaled as received at `receivedAt`.
    public mutating func input(topic: String, payload: [UInt8], receivedAt: Int64) {
        engine.ingest(topic: topic, payload: payload, receivedAt: receivedAt, into: &regenerated)
    }

    /// A journaled clock tick, with the input connection's state when it changed.
    public mutating func tick(at time: Int64, listening: Bool? = nil) { engine.tick(now: time, listening: listening, into: &regenerated) }

    /// Journaled new settings (a reload, or a restart's changed settings) at record time `time`.
    public mutating func reconfigure(_ configuration: EngineConfiguration, at time: Int64) {
        engine.reconfigure(configuration, at: time, into: &regenerated)
    }

    /// The journal has reached record time `time`. Diverged, the journaled ticks are the ones
    /// the engine that wrote the journal needed, not this one's (rebuilt without a snapshot,
    /// say, it holds each new sensor one reorder window): the deadlines due by `time` run here,
    /// as the running gateway would have run them, so what this engine would publish is
    /// published (and reconciled) within the replay, not at the first tick after the restart.
    public mutating func advance(to time: Int64) {
        guard diverged, let due = engine.nextDeadline(), due <= time else { return }
        engine.tick(now: time, into: &regenerated)
    }

    /// `advance(to:)` before an input received at `time`: only the deadlines due before it run.
    /// The running gateway reads a turn's input before it runs that turn's deadlines, so one due
    /// at the very instant of the input came after it (found by the fault simulator: a new
    /// sensor's start hold, due at the instant its lowest seq arrived, started its stream above
    /// that seq in the replay; the reading, published before the restart, was then refused as
    /// too late and its aggregate window counted one reading fewer than `cleaned/` held).
    public mutating func advance(beforeInputAt time: Int64) { advance(to: time - 1) }

    /// A publication journaled after the snapshot, at record time `time`.
    public mutating func journaled(_ p: Publication, at time: Int64) {
        comparedPublications += 1
        if !diverged {
            if matched < regenerated.count, regenerated[matched] == p {
                matched += 1
                dropMatchedIfMany()
                return
            }
            if Self.isOlderOrder(of: p, regenerated, at: matched) {
                // A journal written before 0.2.0 holds a reading's `cleaned/` message before its
                // `latest/` copy; this engine makes the copy first. The same pair in the other
                // order is the same output, not a divergence (an upgrade is not damage).
                regenerated.swapAt(matched, matched + 1)
                matched += 1
                dropMatchedIfMany()
                return
            }
            diverged = true
            // From here on the deadlines due by each record's time run there (`advance`), and
            // from this record on: the tick that made this publication may be the record damage
            // destroyed (found by the fault simulator, input outages seed 730176: a new sensor's
            // first two readings, published ok by a destroyed tick, stayed held, and at the
            // restart the broker's `latest/` showed them out: one `journal_damaged` gap over them
            // after the ok ones went out again, and their aggregate window short of them).
            advance(to: time)
        }
        // Only from here on can a regenerated `latest/` value be older than a journaled one (up
        // to here the engine made each journaled one itself): decoded only after a divergence.
        let latest = p.kind == .latest ? try? WireJSON.decode(CleanedReading.self, from: p.payload) : nil
        if let latest { coverage.add(latestOn: p.topic, ts: latest.ts) }
        if p.kind == .cleaned, let boot = Self.boot(of: p) { coverage.add(epoch: boot, topic: p.topic) }
        if consume(p) { return }
        mismatchedPublications += 1
        if p.kind == .aggregate, let a = try? WireJSON.decode(AggregateWindowMessage.self, from: p.payload) {
            coverage.add(topic: p.topic, a)
            return
        }
        if let latest {
            engine.latestPublished(topic: p.topic, ts: latest.ts)
            return
        }
        guard p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return }
        coverage.add(topic: p.topic, m)
        switch m.quality {
        case .ok, .corrected, .restated:
            // The reading goes back in on its own measurement's topic (a humidity reading is not
            // a temperature one).
            guard let payload = Self.rebuiltPayload(m), let topic = engine.inboundTopic(ofOutput: p.topic) else { return }
            engine.ingest(topic: topic, payload: payload, receivedAt: time, into: &regenerated)
            engine.journaledReadingStartsStream(topic: p.topic, at: time, into: &regenerated)
            adoptDeferredEstimates(of: p.topic)
            rebuiltReadings += 1
        case .synthetic, .gap:
            if let due = engine.nextDeadline(), due <= time { engine.tick(now: time, into: &regenerated) }
            // Still not made (the tick was not due: a destroyed input moved the gap's window):
            // the stream takes the journal's estimate as published where it stands.
            if !consume(p) {
                let made = madeEstimate(on: p.topic, of: m)
                if !engine.adoptJournaledEstimate(topic: p.topic, m, madeByReplay: made, at: time, into: &regenerated) {
                    deferredEstimates[p.topic, default: []].append((m, time))
                }
            }
            return
        }
        _ = consume(p)
    }

    /// The `too_late` dead letters among a journaled record's publications `ps`, read before
    /// the record's publications are compared (`journaled`): the engine that wrote the journal
    /// refused those readings, its stream having started above them. This engine refuses one it
    /// still holds in a stream it has not started (`RecoveryEngine.refusedByJournal`), and
    /// withholds a message it already made for one, which consumers never got (found by the
    /// fault simulator, aimed finding-8 seed 9,980: a new sensor's stream started at seq 1 and
    /// published 1-3, then seq 0 came and was dead-lettered; seqs 2 and 6 lost with their input
    /// records, the replay took in seq 0 before its stream started, started it at 0, and sent 0
    /// after the 3 consumers held). Only dead letters are decoded.
    public mutating func journaledRefusals(_ ps: [Publication]) {
        for p in ps where p.kind == .deadLetter && p.payload.starts(with: Self.tooLatePrefix) {
            // A reading the engine took in was valid UTF-8 (JSON or CSV), so it is in `payload`.
            guard let letter = try? WireJSON.decode(DeadLetter.self, from: p.payload), letter.truncated != true, let payload = letter.payload,
                let refused = engine.refusedByJournal(
                    topic: letter.topic, payload: Array(payload.utf8), receivedAt: letter.receivedAt, into: &regenerated)
            else { continue }
            coverage.add(refused: refused.seq, topic: refused.cleanedTopic, boot: refused.boot)
        }
    }

    private static let tooLatePrefix = Array(#"{"reason":"too_late","#.utf8)

    /// Drops the publications matched so far once there are `keepMatchedUpTo` of them: before
    /// the replay diverges nothing reads them again but `madeEstimate`, which keeps their
    /// estimates' keys (`droppedEstimates`). Each publication is dropped once, so a replay's
    /// publications cost their count in moves, not its square.
    private mutating func dropMatchedIfMany() {
        guard !diverged, matched >= keepMatchedUpTo else { return }
        for p in regenerated[..<matched] where p.kind == .cleaned {
            if let m = Self.made(p), m.quality == .synthetic || m.quality == .corrected {
                droppedEstimates.insert(MadeEstimate(topic: p.topic, seq: m.seq, boot: m.boot))
            }
        }
        regenerated.removeFirst(matched)
        matched = 0
    }

    /// What regenerated cleaned message `p` says of its reading: from the reading it was rendered
    /// from when it carries it, else from its payload.
    private static func made(_ p: Publication) -> (seq: UInt64, boot: Int64?, quality: Quality)? {
        if let r = p.released { return (r.seq, r.boot, r.quality) }
        return (try? WireJSON.decode(CleanedReading.self, from: p.payload)).map { ($0.seq, $0.boot, $0.quality) }
    }

    /// Takes the journaled estimates of cleaned topic `topic` that came before its stream started
    /// in the replay (its first input records destroyed, or still in its first-sight hold), once
    /// it has: they went out, so the stream notes them as published, also below where it starts
    /// (found by the fault simulator, aimed finding-8 seed 10,745: a power cut tore the journal's
    /// first segment, seq 0 with it; seq 1's journaled `synthetic` came before the stream, which
    /// started at seq 2, so the sensor's answer for seq 1 was dead-lettered `too_late` and
    /// consumers kept only the estimate).
    private mutating func adoptDeferredEstimates(of topic: String) {
        guard let waiting = deferredEstimates[topic] else { return }
        var still: [(m: CleanedReading, time: Int64)] = []
        for e in waiting {
            let made = madeEstimate(on: topic, of: e.m)
            if !engine.adoptJournaledEstimate(topic: topic, e.m, madeByReplay: made, at: e.time, into: &regenerated) { still.append(e) }
        }
        deferredEstimates[topic] = still.isEmpty ? nil : still
    }

    /// Whether the replay made an estimate of its own (`synthetic` or `corrected`) for the seq of
    /// journaled `synthetic` `m` on cleaned topic `topic`, in `m`'s boot: the engine's aggregates
    /// count it already. Only a diverged restore's unmatched estimates ask; the regenerated
    /// messages are indexed by topic once (`cleanedByTopic`), so each asks of its own stream's
    /// only, not of everything a restore of 10,000 sensors regenerated.
    private mutating func madeEstimate(on topic: String, of m: CleanedReading) -> Bool {
        guard m.quality == .synthetic else { return false }
        if droppedEstimates.contains(MadeEstimate(topic: topic, seq: m.seq, boot: m.boot)) { return true }
        indexCleanedByTopic()
        return (cleanedByTopic[topic] ?? []).contains { i in
            guard let own = try? WireJSON.decode(CleanedReading.self, from: regenerated[i].payload) else { return false }
            return own.seq == m.seq && own.boot == m.boot && (own.quality == .synthetic || own.quality == .corrected)
        }
    }

    /// Indexes the regenerated cleaned messages made since the last call by topic (`cleanedByTopic`).
    private mutating func indexCleanedByTopic() {
        while cleanedIndexedThrough < regenerated.count {
            if regenerated[cleanedIndexedThrough].kind == .cleaned {
                cleanedByTopic[regenerated[cleanedIndexedThrough].topic, default: []].append(cleanedIndexedThrough)
            }
            cleanedIndexedThrough += 1
        }
    }

    /// Takes the regenerated cleaned messages of journaled `p`'s stream (its topic and boot) below
    /// its seqs that no journaled publication matched and the journal does not cover, in the order
    /// the replay made them; `finish()` no longer returns them. The caller asks when `p` is the
    /// first publication of its stream the journal still holds while damage destroyed records
    /// before it (`ResendHoles.startsStream`): those messages were in the destroyed records, so
    /// they go out before `p`, in their place in the stream's order, not after everything the
    /// journal resends (found by the fault simulator, seed 4,740,542 with resizes: a destroyed
    /// record held a rebooted sensor's seq 0, the restart resent the journaled seq 1 and then
    /// the replay's seq 0).
    ///
    /// `sent`: the caller sends what it takes (the destroyed record was not acknowledged). Then
    /// only a regenerated `ok` reading goes out as made: its input is journaled, so it is what
    /// went out. A regenerated estimate (`synthetic`, `corrected`, `gap`) depends on neighbours
    /// whose records the same damage may have destroyed, so it may differ from the one consumers
    /// hold: a `journal_damaged` gap goes out over its seqs instead, and the engine forgets it as
    /// published, as for the other stand-ins (found by the fault simulator, aimed finding-8 seed
    /// 8,107: a power cut destroyed a rebooted sensor's seq 1 input and the record of seq 0's
    /// `synthetic` 53.5; the replay made seq 0 again from seq 2 as 53.55 and sent it).
    public mutating func takeDestroyedBefore(_ p: Publication, sent: Bool = true) -> [Publication] {
        guard diverged, p.kind == .cleaned, let first = try? WireJSON.decode(CleanedReading.self, from: p.payload), first.quality != .restated
        else { return [] }
        indexCleanedByTopic()
        var taken: [Publication] = []
        var standIn = DamagedEstimates()
        for i in cleanedByTopic[p.topic] ?? [] where i >= matched && !consumed.contains(i) {
            let candidate = regenerated[i]
            guard let m = try? WireJSON.decode(CleanedReading.self, from: candidate.payload), m.boot == first.boot, m.quality != .restated,
                m.coveredSeqs.upperBound < first.coveredSeqs.lowerBound, !coverage.contradicts(topic: p.topic, m)
            else { continue }
            consumed.insert(i)
            let key = PublicationKey(candidate)
            unmatched[key]?.removeAll { $0 == i }
            if unmatched[key]?.isEmpty == true { unmatched[key] = nil }
            coverage.add(topic: p.topic, m)
            if sent && m.quality != .ok {
                if let finished = standIn.extend(over: m, on: p.topic) { taken.append(finished) }
                engine.forgetPublished(topic: p.topic, boot: m.boot, seqs: m.coveredSeqs)
                continue
            }
            if let gap = standIn.take() { taken.append(gap) }
            taken.append(candidate)
        }
        if let gap = standIn.take() { taken.append(gap) }
        return taken
    }

    /// Whether journaled `p` is a reading's `cleaned/` message that the replay made just after
    /// its `latest/` copy (at `index`): the order of journals written before 0.2.0.
    static func isOlderOrder(of p: Publication, _ regenerated: [Publication], at index: Int) -> Bool {
        guard p.kind == .cleaned, index + 1 < regenerated.count else { return false }
        let copy = regenerated[index]
        return copy.kind == .latest && copy.payload == p.payload && regenerated[index + 1] == p
    }

    /// What the journal never received, in the order the replay made it: to be journaled and
    /// published. Diverged, without what contradicts or repeats the journal's cover of a seq.
    public mutating func finish() -> [Publication] {
        guard diverged else { return Array(regenerated[matched...]) }
        for topic in deferredEstimates.keys.sorted() { adoptDeferredEstimates(of: topic) }
        var out: [Publication] = []
        let lastOfEpoch = lastIndexOfEachEpoch()
        for i in matched..<regenerated.count where !consumed.contains(i) {
            let p = regenerated[i]
            if contradictsJournal(p) {
                withheldPublications += 1
                forgetEstimate(p)
                continue
            }
            if ofClosedEpoch(p, at: i, lastOfEpoch) {
                // What went out for those seqs is what the journal shows, or unknown where
                // damage destroyed it: the replay's estimate there is forgotten as above, since a
                // closed epoch's estimates are restated too (`ClosedEpochHistory`; found by the
                // fault simulator, aimed finding-8 seed 17,472: a network copy of boot 1's seq
                // 4,320, published `ok`, went out `restated` over the replay's `synthetic`).
                withheldPublications += 1
                forgetEstimate(p)
                continue
            }
            if restatesForgottenEstimate(p) {
                withheldPublications += 1
                continue
            }
            out.append(supersedingAsJournaled(p))
        }
        // The replay may end behind what the journal published (the deadline that would have
        // released a stream's held readings was not due yet): those seqs went out, and what the
        // engine still holds for them is not released again (found by the fault simulator, input
        // outages seed 1,200,267: the restored engine waited at seq 44, whose input damage
        // destroyed, while the journal held seq 394 published `synthetic` and then `restated`;
        // after the restart it released its own 394 as `ok`).
        for c in coverage.highestCovered() { engine.journalPublished(topic: c.topic, boot: c.boot, through: c.seq) }
        return out
    }

    /// Regenerated restatement `p` as superseding what the journal shows went out for its seq,
    /// where the replay's own estimate there was another (its deadlines ran at other times: a
    /// `synthetic` where the journal holds a `gap`, withheld as contradicting it): consumers hold
    /// the journal's, so that is what `supersedes` names (found by the fault simulator, aimed
    /// finding-8 seed 14,877: the live `restated` record lost with a region of the journal, the
    /// restart sent it again saying `"supersedes":"synthetic"` beside the `"supersedes":"gap"`
    /// consumers held). Otherwise `p` as it is.
    private func supersedingAsJournaled(_ p: Publication) -> Publication {
        guard p.kind == .cleaned, var r = p.released, r.quality == .restated, let earlier = r.supersedes,
            let held = coverage.estimate(topic: p.topic, boot: r.boot, seq: r.seq), held != earlier,
            let field = p.payload.firstRange(of: Array("\"supersedes\":\"\(earlier.rawValue)\"".utf8))
        else { return p }
        var out = p
        out.payload.replaceSubrange(field, with: Array("\"supersedes\":\"\(held.rawValue)\"".utf8))
        r.supersedes = held
        out.released = r
        return out
    }

    /// A regenerated estimate withheld: the engine forgets it where the journal did not publish
    /// an estimate (a reading went out there, or what went out was destroyed with its record),
    /// so a real reading for one of those seqs later is a duplicate, not a restatement of an
    /// estimate consumers never got.
    private mutating func forgetEstimate(_ p: Publication) {
        guard p.kind == .cleaned, let m = try? WireJSON.decode(CleanedReading.self, from: p.payload),
            m.quality == .synthetic || m.quality == .corrected || m.quality == .gap
        else { return }
        for seqs in coverage.notPublishedAsEstimates(topic: p.topic, m) {
            engine.forgetPublished(topic: p.topic, boot: m.boot, seqs: seqs)
            forgottenEstimates[p.topic, default: []].append((m.boot, seqs))
        }
    }

    /// The caller withheld a regenerated estimate of `seqs` on cleaned topic `topic`
    /// (`RestoreScan`: a `journal_damaged` stand-in went out in its place, for publications
    /// damage destroyed): the engine forgets it, so a real reading for one of those seqs later is
    /// a duplicate, not a restatement of an estimate consumers never got; they hold what the
    /// destroyed record held, or the stand-in (found by the fault simulator, aimed finding-8
    /// seed 162 with measurement worlds: a reading published `ok` restated over `synthetic`).
    public mutating func forgetEstimate(topic: String, boot: Int64?, seqs: ClosedRange<UInt64>) {
        engine.forgetPublished(topic: topic, boot: boot, seqs: seqs)
    }

    /// The caller sent a `journal_damaged` gap for `seqs` that nothing published before
    /// (`ResendHoles.Owed.neverPublished`): a reading for one later restates it.
    public mutating func gapSentByRestart(topic: String, boot: Int64?, seqs: ClosedRange<UInt64>, at time: Int64) {
        engine.gapSentByRestart(topic: topic, boot: boot, seqs: seqs, at: time)
    }

    /// Whether `p` is a regenerated restatement of an estimate withheld and forgotten above: the
    /// replay made it before `finish()` withheld the estimate (a copy of the reading journaled
    /// after it), and consumers never got that estimate; they hold what went out for the seq, a
    /// real reading whose records were destroyed (found by the fault simulator, aimed finding-8
    /// seed 70: an `ok` reading's input and publication destroyed, the replay's wider `gap` over
    /// it withheld, and the reading's later duplicate published `restated` over that gap).
    private func restatesForgottenEstimate(_ p: Publication) -> Bool {
        guard p.kind == .cleaned, let forgotten = forgottenEstimates[p.topic],
            let m = try? WireJSON.decode(CleanedReading.self, from: p.payload), m.quality == .restated
        else { return false }
        return forgotten.contains { $0.boot == m.boot && $0.seqs.contains(m.seq) }
    }

    /// Whether a regenerated `p` contradicts or repeats what the journal published: a cleaned
    /// message covering a seq it covered, an aggregate window at a revision it published, or a
    /// last value no newer than the journal's.
    private func contradictsJournal(_ p: Publication) -> Bool {
        switch p.kind {
        case .cleaned:
            guard let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return false }
            return coverage.contradicts(topic: p.topic, m)
        case .aggregate:
            guard let a = try? WireJSON.decode(AggregateWindowMessage.self, from: p.payload) else { return false }
            return coverage.contradicts(topic: p.topic, a)
        case .latest:
            guard let m = try? WireJSON.decode(CleanedReading.self, from: p.payload) else { return false }
            return coverage.contradicts(latestOn: p.topic, ts: m.ts)
        default:
            return false
        }
    }

    /// Whether `p`, regenerated at index `i`, is a cleaned message of an epoch the journal shows
    /// closed: its stream's engine is in another boot now, and the journal holds a message of that
    /// boot, or of another boot the replay went on to after `p` (`lastOfEpoch`). The engine that
    /// wrote the journal closed the earlier epoch before that message (a new boot publishes
    /// everything the old one held, `SensorState.closeEpoch`), so every seq of it the replay makes
    /// again went out then, in a form a record destroyed at rest may no longer show (found by the
    /// fault simulator: a `corrected` value, aimed finding-8 seed 201, and a `gap` made again as
    /// `synthetic`, seed 277, each sent again differently when the replay reached the next boot).
    /// The engine's boot counts whether or not it has released anything of that epoch yet (seed
    /// 299: the new boot's first reading destroyed with its record, the replay still waited for
    /// it, and made the old epoch's seqs again, one of them a `synthetic` for a reading published
    /// `ok`). So does a boot between (seed 1910: boot 2's seq 518, published `ok`, its input and
    /// publication destroyed, made again as `synthetic`; the journal held boot 3's messages, and
    /// the engine had gone on to boot 4, of which it held nothing). Without `boot` the epochs
    /// cannot be told apart: not withheld.
    private func ofClosedEpoch(_ p: Publication, at i: Int, _ lastOfEpoch: [String: [Int64: Int]]) -> Bool {
        guard p.kind == .cleaned, let boot = Self.boot(of: p), let current = engine.epochBoot(cleanedTopic: p.topic),
            current != boot
        else { return false }
        if coverage.journaled(epoch: current, topic: p.topic) { return true }
        return lastOfEpoch[p.topic]?.contains { $0.key != boot && $0.value > i && coverage.journaled(epoch: $0.key, topic: p.topic) } ?? false
    }

    /// For each cleaned topic, the last index among the regenerated publications of a message of
    /// each boot: which epochs the replay was in after a given publication.
    private func lastIndexOfEachEpoch() -> [String: [Int64: Int]] {
        var last: [String: [Int64: Int]] = [:]
        for (i, p) in regenerated.enumerated() where p.kind == .cleaned {
            if let boot = Self.boot(of: p) { last[p.topic, default: [:]][boot] = i }
        }
        return last
    }

    /// The boot of cleaned message `p` (nil: none, or unreadable).
    private static func boot(of p: Publication) -> Int64? {
        if let r = p.released { return r.boot }
        return (try? WireJSON.decode(CleanedReading.self, from: p.payload))?.boot
    }

    /// Finds `p` among the regenerated publications not yet accounted for, and takes it.
    private mutating func consume(_ p: Publication) -> Bool {
        while indexedThrough < regenerated.count {
            if indexedThrough >= matched { unmatched[PublicationKey(regenerated[indexedThrough]), default: []].append(indexedThrough) }
            indexedThrough += 1
        }
        let key = PublicationKey(p)
        guard var indices = unmatched[key], !indices.isEmpty else { return false }
        consumed.insert(indices.removeFirst())
        unmatched[key] = indices.isEmpty ? nil : indices
        return true
    }

    /// The reading a published real value came from, as a payload the engine parses: the value
    /// as received (`raw` for a `corrected` one).
    static func rebuiltPayload(_ m: CleanedReading) -> [UInt8]? {
        guard let value = m.quality == .corrected ? m.raw : m.temperature, let status = m.status else { return nil }
        return try? WireJSON.encode(
            RebuiltReading(sensorID: m.sensorID, seq: m.seq, ts: m.ts, temperature: value, status: status, boot: m.boot, generic: m.measurement != nil))
    }
}

/// An estimate the replay made, by stream, seq and boot (`RestoreReplay.droppedEstimates`).
private struct MadeEstimate: Hashable {
    var topic: String
    var seq: UInt64
    var boot: Int64?
}

/// A publication as a dictionary key (byte-equal publications are the same key).
struct PublicationKey: Hashable {
    var kind: UInt8
    var topic: String
    var payload: [UInt8]
    var retain: Bool

    init(_ p: Publication) {
        kind = p.kind.rawValue
        topic = p.topic
        payload = p.payload
        retain = p.retain
    }
}

/// The input payload of a reading rebuilt from its publication.
private struct RebuiltReading: Encodable {
    var sensorID: String
    var seq: UInt64
    var ts: Int64
    var temperature: Double
    var status: String
    var boot: Int64?
    /// Another measurement's reading: the value goes under `value`, which every measurement reads.
    var generic: Bool

    enum CodingKeys: String, CodingKey { case sensorID = "sensor_id", seq, ts, temperature, value, status, boot }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sensorID, forKey: .sensorID)
        try c.encode(seq, forKey: .seq)
        try c.encode(ts, forKey: .ts)
        try c.encode(temperature, forKey: generic ? .value : .temperature)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(boot, forKey: .boot)
    }
}
