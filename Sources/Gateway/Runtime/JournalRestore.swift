import Journal
import Logging
import Recovery

/// Rebuilds the pipeline's state at start-up: the engine from the last snapshot plus the input
/// journaled after it, and the publications still owed to the broker.
///
/// Regenerated publications are compared, byte for byte and in order, with the ones the
/// journal already holds from before the crash: those are the ones that may have been sent,
/// so they are the ones resent (a consumer may de-duplicate on identical content). Only what
/// the journal never received is journaled anew. A difference (a damaged record, settings
/// changed) is reconciled by `RestoreReplay` (the journaled publications stand), logged and
/// counted.
struct JournalRestore {
    /// A shutdown requested during the replay ended it (`run`'s `stopRequested`).
    struct Stopped: Error, CustomStringConvertible {
        var replayed: Int
        var description: String { "stopped during start-up, \(replayed) journal records into the replay" }
    }

    /// What the restart continues with (`RestoreScan.Outcome`), and the snapshot's part.
    @dynamicMemberLookup
    struct Result {
        var outcome: RestoreScan.Outcome
        /// What the snapshot on disk needs kept (nil: no usable snapshot).
        var snapshotRetainFrom: UInt64?
        var snapshotProblem: String?
        /// Damage the restore found that opening the journal could not see (shown on `/healthz`).
        var damage: [String] = []
        /// Why the journal was not checked against the broker's retained `latest/` values
        /// (`BrokerLatest.Reading.notChecked`, or none delivered of the ones it published).
        var notChecked: String?

        subscript<T>(dynamicMember path: KeyPath<RestoreScan.Outcome, T>) -> T { outcome[keyPath: path] }
    }

    let configuration: GatewayConfiguration
    let logger: Logger

    /// How the finding that the broker's retained `latest/` values are past the journal begins:
    /// output published by this journal's later self or by something else, not damage to the
    /// journal's records (`isOutputAheadOnly`).
    static let outputAheadLead = "the broker's retained latest/ values of "

    /// Whether journal damage line `line` (as `/healthz` shows it) is only that finding, made by
    /// this start or (its only problem) by an earlier one (`JournalDamageHistory`): a backup put
    /// back, or a second gateway writing `latest/`, which the journal's files do not show and
    /// `SensorGatewayOutputOfOthersAssumed` names, not `SensorGatewayJournalCorrupt` (found
    /// black-box, 90th review: the critical corruption alert fired for a day over a whole journal).
    static func isOutputAheadOnly(_ line: String) -> Bool {
        line.hasPrefix(outputAheadLead) || (line.contains("(1 problem(s), first: \(outputAheadLead)") && line.hasPrefix("found by an earlier start"))
    }

    /// The damage an unreadable engine snapshot is (its writes are atomic, so it was damaged at rest).
    static func unreadable(_ error: any Error) -> String {
        "the engine snapshot is unreadable (\(error)): the engine is rebuilt from the journal, and estimates near its start may differ from the ones published before"
    }

    /// Restores; unacknowledged publications go into `outbound`. `snapshot` gives the engine
    /// snapshot on disk (loaded while the journal was opened); `published`, the broker's
    /// retained `latest/` values (`BrokerLatest`), which output past the journal shows in,
    /// asked for once the journal is replayed (read meanwhile); `journalCreated`, whether this
    /// start created the journal (none was there); `stopRequested`, asked every thousand or so
    /// records of the replay: a SIGTERM meanwhile ends it (`Stopped`), the journal as it was.
    func run(
        _ ingest: IngestJournal, outbound: inout OutboundQueue, published readPublished: () -> BrokerLatest.Reading = { BrokerLatest.Reading() },
        journalCreated: Bool, snapshot loadSnapshot: () throws -> EngineSnapshot?, stopRequested: () -> Bool = { false }
    ) throws -> Result {
        let (oldest, next, acknowledged, lost) = ingest.withJournal { j in (j.oldestSeq, j.nextSeq, j.checkpoint.value ?? 0, j.report.lostSeqs) }
        var snapshotRetainFrom: UInt64?
        var snapshotProblem: String?
        var damage: [String] = []
        var usable: EngineSnapshot?
        do {
            if let snapshot = try loadSnapshot() {
                if let oldest, oldest > snapshot.retainFrom, snapshot.inputFrom <= next {
                    // The ring reclaims only what the snapshot on disk no longer needs, so this
                    // snapshot is older than the journal (a copy put back, a backup restored):
                    // continued, its sensors would jump over everything the lost records held
                    // and fill it again. The journal alone rebuilds the engine, as without one.
                    let older =
                        "the engine snapshot needs the journal from seq \(snapshot.retainFrom), but it starts at seq \(oldest) (an older snapshot was put back, or the journal lost its start): the snapshot is set aside and the engine is rebuilt from the journal, and estimates near its start may differ from the ones published before"
                    damage.append(older)
                    logger.error("engine snapshot older than the journal", metadata: ["damage": "\(older)"])
                } else {
                    // Settings changed since (a reload's or a restart's) are journaled where they
                    // apply (`Pipeline`), so the snapshot is still the state the journal continues
                    // from: its sensors keep where they were, whatever changed.
                    usable = snapshot
                    snapshotRetainFrom = snapshot.retainFrom
                    let asBefore = configuration.engine.keepingRestartOnly(from: snapshot.engine.configuration)
                    if asBefore != configuration.engine {
                        // Named: those alone, not the settings a reload applied since the snapshot
                        // (found black-box, 85th review: reorder-window-ms and max-fill listed).
                        logger.notice(
                            "settings that shape topics or stored state changed since the last run: the engine continues from its snapshot and takes them before the input of this run",
                            metadata: ["changed": "\(EngineSettingsDiff.names(from: asBefore, to: configuration.engine).joined(separator: ", "))"])
                    }
                    // A journal this start had to create under a snapshot is a lost journal
                    // too, whatever the snapshot says it continues from. An existing journal
                    // that never held a record is not: a gateway stopped before its first
                    // reading leaves a snapshot over an empty journal (a restart of a new box
                    // reported it lost, found black-box).
                    if snapshot.inputFrom > next || (journalCreated && oldest == nil && next == 1) {
                        // The journal the snapshot continues is gone: deleted, on a mount that
                        // failed, or replaced by an older backup. What it held after the snapshot
                        // (readings taken, output not yet acknowledged) is lost with it.
                        let lost =
                            "the journal ends before seq \(max(snapshot.inputFrom, 2)), where the engine snapshot continues: its records and what followed them were lost (the journal was removed or replaced); output after the snapshot may be missing or repeat"
                        damage.append(lost)
                        logger.error("journal lost", metadata: ["damage": "\(lost)"])
                    }
                }
            } else if let oldest, oldest > 1 {
                // The ring reclaims only what a snapshot covers, so a journal that no longer
                // starts at seq 1 had one: it was deleted. The engine is rebuilt from the oldest
                // record, without what came before it.
                let missing =
                    "the engine snapshot is missing while the journal starts at seq \(oldest) (the ring has reclaimed older records): the engine is rebuilt from there, and estimates near that start may differ from the ones published before"
                damage.append(missing)
                logger.error("engine snapshot missing", metadata: ["damage": "\(missing)"])
            }
        } catch let other as SnapshotError {
            if case .otherVersion = other {
                logger.notice("\(other): engine state rebuilt from the journal, once")
            } else {
                snapshotProblem = "\(other)"
                damage.append(Self.unreadable(other))
                logger.error("engine snapshot unreadable; rebuilding from the journal", metadata: ["error": "\(other)"])
            }
        } catch {
            snapshotProblem = "\(error)"
            damage.append(Self.unreadable(error))
            logger.error("engine snapshot unreadable; rebuilding from the journal", metadata: ["error": "\(error)"])
        }

        var scan = RestoreScan(
            engine: usable?.engine ?? RecoveryEngine(configuration: configuration.engine), pending: usable?.pending ?? [],
            inputFrom: usable?.inputFrom ?? oldest ?? next, publicationsThrough: usable?.publicationsThrough ?? 0, time: usable?.time ?? 0,
            acknowledged: acknowledged, lost: lost, oldest: oldest ?? next)
        if next > scan.scanFrom, oldest != nil {
            var read = 0
            var stopped = false
            try JournalReader(directory: configuration.journalDirectory).read(fromSeq: scan.scanFrom) { record in
                scan.record(seq: record.seq, time: record.time, type: record.type, payload: record.payload) { outbound.enqueue(seq: $0, $1) }
                read += 1
                if read % 1024 == 0, stopRequested() {
                    stopped = true
                    return false
                }
                return true
            }
            // Nothing was sent or written yet: stopping here leaves the journal as it was (found
            // black-box, 61st review: a SIGTERM 0.4 s into a 10,000-sensor restart waited for the
            // whole replay and a drain, 6-12 s, against systemd's stop timeout).
            if stopped { throw Stopped(replayed: read) }
        }
        let reading = readPublished()
        let published = ownPlausible(reading.values, now: max(Clocks.epochMilliseconds(), scan.time))
        var outcome = scan.finish(retained: published)
        var notChecked = reading.notChecked
        // (The engine keeps each stream's newest `ts` with `latest off` too: only a gateway that
        // sends `latest/` can expect it back.)
        let sendsLatest = configuration.engine.withoutLatest != true && configuration.cleanedTopics
        if notChecked == nil, sendsLatest, reading.values.isEmpty, case let streams = outcome.engine.latestTimes.count, streams > 0 {
            // mosquitto grants a subscription its ACL will not deliver on: an ACL from before
            // 0.2.0, which let the gateway write latest/ but not read it, delivered nothing and
            // the start went on unchecked without a word (found black-box, 61st review: a data
            // folder put back published its seqs again as `synthetic`, /healthz ok).
            notChecked =
                "the broker delivered none of the retained latest/ values this journal published (\(streams) streams)"
                + (reading.markerRefused ? " and refused the gateway's latest-read marker" : "")
                + ": the gateway's user may not read latest/# (an ACL from before 0.2.0: deploy/mosquitto.acl grants `readwrite latest/#` and `readwrite gateway/+/latest-read`), or the broker lost its retained messages (no persistence), or latest/ was off until this start"
            logger.warning("\(notChecked ?? ""): the journal is not checked against the published output")
        }
        let ahead = outcome.takeBrokerLatest(published)
        if let (first, value) = ahead.first {
            // Journaled before it was sent, output never gets past a whole journal: this one is
            // older than what went out (a backup put back), and nothing in it says so.
            // Damage this start found can do the same (found black-box, 82nd review: 60 KB zeroed
            // inside a segment was reported as a copy put back).
            let damagedHere = !lost.isEmpty || ingest.withJournal { !$0.report.corruption.isEmpty }
            let cause =
                damagedHere
                ? "the damage this start found destroyed the journal's records of them (the journal corruption lines above), or the data folder is older than what the gateway published"
                : "the data folder is older than what the gateway published (a copy put back?)"
            let older =
                "\(Self.outputAheadLead)\(ahead.count) sensors are past what the journal holds (\(first) at seq \(value.seq)): \(cause), or something else writes latest/ (a second gateway on this broker with other sensors' names, a test publisher): its readings up to those seqs are taken as published and dropped as duplicates; each such sensor's jump over the seqs it missed is published as one gap flagged journal_damaged, not filled or published again"
            damage.append(older)
            logger.error(
                damagedHere ? "journal damage destroyed output that went out" : "journal older than the published output", metadata: ["damage": "\(older)"])
        }
        outbound.dropSupersededLatest(then: outcome.toJournal, floor: outcome.engine.latestTimes)
        if let end = lost.map(\.upperBound).max(), end &+ 1 >= next {
            // Acknowledged output the journal no longer holds, at its end: no stream can show
            // what went out, so no stream's next gap is filled (`journalLostOutput`).
            outcome.engine.journalLostOutput(latestRead: sendsLatest && notChecked == nil)
            logger.error(
                "the journal lost output the broker had acknowledged: each sensor's next gap is published as a gap flagged journal_damaged, not filled",
                metadata: ["lost_through": "\(end)"])
        } else if !sendsLatest || notChecked != nil, ingest.withJournal({ $0.report.tornTail }) {
            // The journal's end was cut (a power cut before its last writes reached the disk, or
            // damage there) and no retained latest/ shows what went out past it: the records lost
            // may have held output sent before the restart, which estimates made again now could
            // contradict (found black-box, 82nd review, `latest off`: a reading out `ok` came
            // back `synthetic` with another value).
            outcome.engine.journalLostOutput(latestRead: false)
            logger.warning(
                "the journal's last write was cut off and no retained latest/ value shows what went out past it: each sensor's next gap is published as a gap flagged journal_damaged, not filled (a later real reading restates it)"
            )
        }
        if outcome.diverged {
            // Damage is what makes it diverge by design; without any found, it is not named as
            // the cause (found black-box: after plain SIGKILLs, with `journal verify` clean, the
            // line sent operators looking for disk damage). Consumers get the journaled output
            // either way.
            let damaged = !lost.isEmpty || !damage.isEmpty || ingest.withJournal { !$0.report.corruption.isEmpty }
            let cause =
                damaged
                ? "a record was damaged" : "no damage was found: the replay met the journaled output in another order than it made it"
            logger.warning(
                "the journal's input no longer regenerates the journaled publications (\(cause)): the journaled ones stand and are resent",
                metadata: [
                    "differing": "\(outcome.mismatchedPublications)", "compared": "\(outcome.comparedPublications)",
                    "readings_rebuilt_from_publications": "\(outcome.rebuiltReadings)",
                    "regenerated_withheld": "\(outcome.withheldPublications)",
                ])
        }
        if outcome.holesGapped > 0 {
            logger.error(
                "journal damage destroyed publications the broker had not acknowledged: gap messages (reason journal_damaged) stand in for their seqs",
                metadata: ["gaps": "\(outcome.holesGapped)"])
        }
        return Result(
            outcome: outcome, snapshotRetainFrom: snapshotRetainFrom, snapshotProblem: snapshotProblem, damage: damage, notChecked: notChecked)
    }

    /// The broker's retained `latest/` values that can be this gateway's output at `now`
    /// (`PublishedLatest.isPlausibleOwnOutput`); the others are logged and left out, so they
    /// neither hold `latest/` nor count as output past the journal.
    private func ownPlausible(_ published: [String: RecoveryEngine.PublishedLatest], now: Int64) -> [String: RecoveryEngine.PublishedLatest] {
        let tolerance = configuration.engine.futureToleranceMs
        let foreign = published.filter { !$0.value.isPlausibleOwnOutput(now: now, futureToleranceMs: tolerance) }
        guard let first = foreign.min(by: { $0.key < $1.key }) else { return published }
        logger.warning(
            "the broker's retained latest/ values of \(foreign.count) streams lie further ahead than any reading the gateway accepts (\(first.key) at ts \(first.value.ts)): not this gateway's output (forged, or written by another publisher: see the broker's ACL), so they are ignored, and each stream's next reading replaces its value",
            metadata: ["future_tolerance_s": "\((tolerance ?? 0) / 1000)"])
        return published.filter { foreign[$0.key] == nil }
    }
}
