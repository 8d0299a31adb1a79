// Over 250 lines: the gateway's whole turn mirrored in one file, so it reads beside the runtime it
// copies (Sources/Gateway/Runtime) in one place.

import Journal
import Recovery
import Wire

/// The gateway's runtime turn, mirrored without MQTT, threads or clocks: the real
/// `RecoveryEngine` and the real `Journal` over the simulator's file layer.
///
/// Mirrors the gateway's runtime (Sources/Gateway/Runtime: `GatewayService` and its owners
/// `Pipeline`, `Publisher` and `Maintenance`; `IngestJournal`; `JournalRestore`):
/// the input connection journals each message as it is read (`accept`, `endOfBurst`: receive
/// times from the journal's timeline, `JournalTimeline`, as the gateway's `JournalClock` gives
/// them; input held in memory while the journal is full),
/// and the broker gets its PUBACKs after the burst is written; a turn takes the journaled input
/// and a tick when one is due (journaled in the same step), runs them through the engine,
/// journals the publications (as many as fit), commits, and hands what is durable to the
/// outbound queue; acknowledgements move the checkpoint; `retainFrom` keeps unfinished work;
/// a restart reopens the journal and replays it after the last snapshot.
///
/// Where it differs from the gateway's runtime:
/// - one thread: the input is read at the start of a step, then one turn runs (no `Inbox`, no
///   wake conditions); the whole batch runs in one turn (no `InputBatch` split at 1,024);
/// - snapshots are values taken synchronously and "written" atomically (`SimSnapshot`), with
///   no growth condition (`Maintenance.journalBytesPerSnapshotByte`);
/// - the outbound queue never spills to the journal (`SimOutbound`);
/// - no replay requests, status, metrics, SIGHUP or drain on SIGTERM; stops are crashes.
final class SimGateway {
    /// The settings the pipeline runs with.
    struct Settings {
        var layout: JournalLayout
        var fsync: FsyncMode
        var syncIntervalMs: Int64
        var engine: EngineConfiguration
        var maxInFlight: Int
        var pendingMessagesLimit = 4096
        var pendingBytesLimit = 4 << 20
        var reserveBytes = 4 << 20
        var unwrittenAtMost = 64
        var snapshotIntervalMs: Int64 = 10_000
    }

    /// A journaled message waiting for the engine, with the reading it carries (the
    /// simulator's tag; the gateway has only topic and payload).
    struct Input {
        var seq: UInt64
        var time: Int64
        var topic: String
        var payload: [UInt8]
        var reading: SimReading
    }

    let settings: Settings
    let journal: Journal
    private(set) var engine: RecoveryEngine
    private var pendingPublications: [Publication] = []
    private(set) var outbound = SimOutbound()
    private var recordBuffer: [UInt8] = []
    private var inputFrom: UInt64
    private var publicationsThrough: UInt64
    private var lastCheckpoint: UInt64
    private var lastCheckpointAt: Int64 = 0
    private var lastSnapshotAt: Int64 = 0
    private var lastRetentionAt: Int64 = 0
    /// The snapshot "on disk"; survives crashes (the world keeps it).
    private(set) var snapshot: SimSnapshot?

    // The input connection's state (`IngestJournal.State`).
    private var pendingInputs: [Input] = []
    private var pendingBytes = 0
    private(set) var held: [Input] = []
    private var unwritten = 0
    /// Record times (`JournalClock` in the gateway): monotonic, following the wall clock forwards only.
    private var timeline: JournalTimeline
    /// The journal timeline's latest time: the gateway's now, as its records and dead letters
    /// are stamped.
    var timelineTime: Int64 { timeline.time }
    /// The timeline's lead over the wall clock (`JournalTimeline.offset`), which the gateway keeps
    /// in its data folder for the next start (`ClockLeadFile`).
    var clockLead: Int64 { timeline.offset }
    private(set) var failure: String?
    /// Acknowledged messages the journal could not take because it had failed.
    private(set) var lostToFailure: [SimReading] = []
    /// Messages appended since the world last asked, with their journal seqs.
    private var journaled: [(SimReading, UInt64)] = []
    /// Inputs the engine has taken (the world's wedge check watches it move).
    private(set) var inputsRun = 0
    private(set) var restoreMismatches = 0
    /// Whether the restore's replay met the journaled publications in another order than it made them.
    private(set) var restoreDiverged = false
    /// The restore's reconciliation: readings rebuilt from publications, regenerated ones withheld.
    private(set) var restoreRebuilt = 0
    private(set) var restoreWithheld = 0
    private(set) var restoreStandIns = 0
    private(set) var checkpointFailures = 0
    /// The gateway's `journal-damage` file (`JournalDamageHistory`), which outlives it: when the
    /// last start that found damage began, and the time before which aggregate windows go out
    /// flagged `"journal_damaged":true`.
    struct DamageRecord {
        var at: Int64
        var flagWindowsBefore: Int64
    }
    /// The record after this start: its own when it found damage, else the earlier one.
    let damageRecord: DamageRecord?
    /// `Publisher.aggregatesFromDamagedJournalBefore`: the record's, within a day after it.
    let aggregatesFromDamagedJournalBefore: Int64?

    /// Opens the journal (recovering it) and restores the engine: the mirror of
    /// `GatewayService.init` and `JournalRestore.run`. Throws when the journal cannot be opened
    /// or fails while the restored output is journaled (the gateway exits 74).
    init(
        settings: Settings, fileSystem: FaultyFileSystem, snapshot: SimSnapshot?, published: [String: RecoveryEngine.PublishedLatest] = [:],
        damageRecord earlier: DamageRecord? = nil, clockLead: Int64? = nil, wall: Int64, monotonic: Int64,
        savedSnapshot: inout SimSnapshot?
    ) throws {
        self.settings = settings
        journal = try Journal(
            layout: settings.layout, fsync: settings.fsync, syncIntervalMs: settings.syncIntervalMs,
            resizeKeepingFrom: Self.keepFrom(settings.layout, snapshot: snapshot, fileSystem: fileSystem), fileSystem: fileSystem)
        let restore = SimRestore(engineConfiguration: settings.engine, directory: settings.layout.directory, fileSystem: fileSystem)
        let (result, foundDamage) = try restore.run(journal: journal, snapshot: snapshot, published: published, outbound: &outbound)
        // As `GatewayService` with `ClockLeadFile`: the previous run's lead over the wall clock.
        timeline = JournalTimeline(wall: wall, monotonic: monotonic)
        timeline.resume(notBefore: result.lastTime, wall: wall, monotonic: monotonic, lead: clockLead)
        // As `JournalDamageHistory.exchange`: an earlier start's damage is shown (and flags
        // windows) for a day of the journal's timeline, unless it reads before it.
        let now = timeline.time
        if foundDamage {
            let newest = result.engine.newestKnownTs(besides: published)
            let record = DamageRecord(at: now, flagWindowsBefore: max(now, newest ?? now))
            damageRecord = record
            aggregatesFromDamagedJournalBefore = record.flagWindowsBefore
        } else {
            damageRecord = earlier
            aggregatesFromDamagedJournalBefore = earlier.flatMap { now >= $0.at && now - $0.at < 86_400_000 ? $0.flagWindowsBefore : nil }
        }
        engine = result.engine
        pendingPublications = result.toJournal
        restoreMismatches = result.mismatchedPublications
        restoreDiverged = result.diverged
        restoreRebuilt = result.rebuiltReadings
        restoreWithheld = result.withheldPublications
        restoreStandIns = result.holesGapped
        self.snapshot = snapshot
        inputFrom = journal.nextSeq
        publicationsThrough = journal.nextSeq - 1
        lastCheckpoint = journal.checkpoint.value ?? 0
        // As `Maintenance.snapshotAtStart`: the restored engine, with what the restore learnt
        // from the broker, before anything runs (found by seed 4,000,483 once the invariant that
        // a restart without damage regenerates the journaled output was checked: a start that
        // failed at its first append left the next restore replaying across it).
        try takeSnapshot(wall: wall, monotonic: monotonic)
        // On disk from here: a start that fails below leaves it to the next (the gateway writes
        // it before journaling the restored output).
        savedSnapshot = self.snapshot
        updateRetention()
        try journalPending(wall: wall, monotonic: monotonic)
        try journal.sync()
    }

    /// `JournalOpening.keepFrom`, with the snapshot the world keeps on "disk".
    static func keepFrom(_ layout: JournalLayout, snapshot: SimSnapshot?, fileSystem: FaultyFileSystem) -> UInt64 {
        Journal.resizeKeepFrom(layout, snapshotRetainFrom: { snapshot?.retainFrom }, fileSystem: fileSystem)
    }

    // MARK: - The input connection (IngestJournal)

    /// Whether the input connection reads now (`IngestJournal.pause` is nil): not while output
    /// waits for journal room (`OutputPacing.inputWaits`).
    var readsInput: Bool {
        if failure != nil || !held.isEmpty || !pendingPublications.isEmpty { return false }
        if !journal.canAppend(bytes: min(settings.reserveBytes, journal.capacityBytes / 8)) { return false }
        return pendingInputs.count < settings.pendingMessagesLimit && pendingBytes < settings.pendingBytesLimit
    }

    /// One read of the socket: journals each message (`accept`), then writes the burst
    /// (`endOfBurst`); the caller sends the PUBACKs afterwards.
    func read(_ messages: [InboundMessage], wall: Int64, monotonic: Int64) {
        for m in messages {
            let input = Input(seq: 0, time: timeline.now(wall: wall, monotonic: monotonic), topic: m.topic, payload: m.payload, reading: m.reading)
            if !held.isEmpty || !append(input) {
                if failure == nil { held.append(input) } else { lostToFailure.append(m.reading) }
                continue
            }
            if unwritten >= settings.unwrittenAtMost { write() }
        }
        appendHeld()
        write()
        if journal.fsync == .always, failure == nil, journal.durableSeq < journal.writtenSeq {
            do { try journal.sync() } catch { failure = "\(error)" }
        }
    }

    /// Messages journaled since the last call, with their journal seqs.
    func takeJournaled() -> [(SimReading, UInt64)] {
        defer { journaled.removeAll() }
        return journaled
    }

    private func append(_ input: Input) -> Bool {
        guard failure == nil else { return false }
        var record = input
        recordBuffer.removeAll(keepingCapacity: true)
        JournalRecords.appendMessage(topic: input.topic, payload: input.payload, to: &recordBuffer)
        do {
            record.seq = try journal.append(type: RecordType.message.rawValue, time: input.time, payload: recordBuffer)
        } catch JournalError.full {
            return false
        } catch {
            failure = "\(error)"
            return false
        }
        unwritten += 1
        pendingInputs.append(record)
        pendingBytes += input.payload.count + input.topic.utf8.count
        journaled.append((input.reading, record.seq))
        return true
    }

    private func appendHeld() {
        var taken = 0
        while taken < held.count, append(held[taken]) { taken += 1 }
        held.removeFirst(taken)
    }

    private func write() {
        guard unwritten > 0, failure == nil else { return }
        do {
            try journal.write()
            unwritten = 0
        } catch {
            failure = "\(error)"
        }
    }

    // MARK: - The pipeline (Pipeline, Publisher, Maintenance)

    /// `OutputPacing`: input runs while the outbound queue has room, a tick only once the
    /// engine's output is all journaled.
    private var mayRunInput: Bool { outbound.waitingCount < outbound.capacity / 2 }
    private var mayTick: Bool { mayRunInput && pendingPublications.isEmpty }

    /// `GatewayService.inputPosition`: the first journal seq of input the engine has not run
    /// (the journal's next seq when none waits).
    private var inputPosition: UInt64 { max(inputFrom, pendingInputs.first?.seq ?? journal.nextSeq) }

    /// One turn: input and a due tick through the engine, publications into the journal, what is
    /// durable to the broker (returned with the message ids the broker will acknowledge),
    /// checkpoint, snapshot, retention. Throws when the journal fails (the gateway exits 74).
    func turn(wall: Int64, monotonic: Int64, listening: Bool = true) throws -> [(id: Int, publication: Publication)] {
        try process(wall: wall, monotonic: monotonic, listening: listening)
        do {
            try journalPending(wall: wall, monotonic: monotonic)
        } catch {
            if failure == nil { failure = "\(error)" }
            throw error
        }
        let durable = journal.durableSeq
        let sendable = outbound.takeSendable(durableThrough: durable, maxInFlight: settings.maxInFlight)
        if monotonic - lastCheckpointAt >= 1_000 {
            lastCheckpointAt = monotonic
            storeCheckpoint()
        }
        let pressure = !journal.canAppend(bytes: journal.capacityBytes / 4)
        let every = pressure ? min(500, settings.snapshotIntervalMs) : settings.snapshotIntervalMs
        if monotonic - lastSnapshotAt >= every, inputPosition != snapshot?.inputFrom {
            try takeSnapshot(wall: wall, monotonic: monotonic)
        }
        if monotonic - lastRetentionAt >= 100 || pressure {
            lastRetentionAt = monotonic
            updateRetention()
        }
        return sendable.map { s in
            var p = s.entry.publication
            if p.kind == .aggregate {
                p.payload = AggregateWindowMessage.flaggingJournalDamage(p.payload, windowsBefore: aggregatesFromDamagedJournalBefore)
            }
            return (s.id, p)
        }
    }

    /// As the gateway's `takeSnapshot`: a snapshot must never refer to records a crash could
    /// lose, and a failed sync has poisoned the journal, so the gateway stops.
    private func takeSnapshot(wall: Int64, monotonic: Int64) throws {
        do { try journal.sync() } catch {
            if failure == nil { failure = "journal sync before a snapshot failed: \(error)" }
            throw error
        }
        storeCheckpoint()
        snapshot = SimSnapshot(
            inputFrom: inputPosition, publicationsThrough: publicationsThrough, engine: engine, pending: pendingPublications,
            time: timeline.now(wall: wall, monotonic: monotonic))
        lastSnapshotAt = monotonic
    }

    /// The broker acknowledged a publication.
    func acknowledged(_ id: Int) { outbound.acknowledged(id) }

    private func process(wall: Int64, monotonic: Int64, listening: Bool) throws {
        guard mayRunInput else { return }
        let mayTick = self.mayTick
        appendHeld()
        let inputs = pendingInputs
        pendingInputs.removeAll(keepingCapacity: true)
        pendingBytes = 0
        var tick: (seq: UInt64, time: Int64, listening: Bool?)?
        if failure == nil, held.isEmpty, mayTick {
            let now = timeline.now(wall: wall, monotonic: monotonic)
            // As `Pipeline.process`: a tick when one is due, or when the input connection's
            // state is not what the engine knows, carrying it.
            let heard = listening != engine.isListening ? listening : nil
            if heard != nil || engine.nextDeadline().map({ now >= $0 }) == true {
                do {
                    let seq = try journal.append(type: RecordType.tick.rawValue, time: now, payload: JournalRecords.encodeTick(listening: heard))
                    tick = (seq, now, heard)
                } catch JournalError.full {
                } catch {
                    failure = "\(error)"
                }
            }
        }
        for input in inputs {
            engine.ingest(topic: input.topic, payload: input.payload, receivedAt: input.time, into: &pendingPublications)
            inputFrom = input.seq + 1
            inputsRun += 1
        }
        if let tick {
            engine.tick(now: tick.time, listening: tick.listening, into: &pendingPublications)
            inputFrom = tick.seq + 1
        }
        if let failure { throw JournalError.poisoned(failure) }
    }

    private func journalPending(wall: Int64, monotonic: Int64) throws {
        let time = timeline.now(wall: wall, monotonic: monotonic)
        var n = 0
        while n < pendingPublications.count {
            recordBuffer.removeAll(keepingCapacity: true)
            let batch = JournalRecords.appendPublicationBatch(
                pendingPublications[n...],
                maxBytes: JournalRecords.publicationBatchBytes(segmentSize: journal.layout.segmentSize, maxRecordPayload: journal.maxRecordPayload),
                to: &recordBuffer)
            let seq: UInt64
            do {
                seq = try journal.append(type: RecordType.publication.rawValue, flags: batch.flags, time: time, payload: recordBuffer)
            } catch JournalError.full {
                break
            }
            for p in pendingPublications[n..<(n + batch.taken)] { outbound.enqueue(seq: seq, p) }
            publicationsThrough = seq
            n += batch.taken
        }
        pendingPublications.removeFirst(n)
        try journal.commit(now: monotonic)
    }

    private func updateRetention() {
        let acknowledged = outbound.acknowledgedThrough(journalWritten: journal.writtenSeq)
        journal.retainFrom = min(snapshot?.retainFrom ?? 1, acknowledged + 1, inputPosition)
    }

    private func storeCheckpoint() {
        let acked = max(outbound.acknowledgedThrough(journalWritten: journal.writtenSeq), lastCheckpoint)
        guard journal.checkpointIsBehind(acknowledged: acked) else { return }
        do {
            try journal.storeCheckpoint(acked)
            lastCheckpoint = acked
        } catch {
            checkpointFailures += 1
        }
    }

    /// The pipeline's state in one line, for a failure's trace.
    var statusLine: String {
        var engine = engine
        return "journal: next seq \(journal.nextSeq), durable \(journal.durableSeq), retain from \(journal.retainFrom.map { "\($0)" } ?? "-"), "
            + "appendable \(journal.appendableBytes) of \(journal.capacityBytes) bytes\(journal.isPoisoned ? ", poisoned" : ""); "
            + "engine input from \(inputFrom), \(pendingInputs.count) inputs and \(held.count) held waiting, "
            + "\(pendingPublications.count) publications not journaled, \(outbound.waitingCount) waiting and \(outbound.inFlightCount) in flight to the broker; "
            + "snapshot retains from \(snapshot.map { "\($0.retainFrom)" } ?? "-"); "
            + "engine's next deadline \(engine.nextDeadline().map { "\($0 - timeline.time) ms from the timeline's last time" } ?? "none")"
    }

    /// Whether work waits in the pipeline: input not run, publications not journaled or not sent.
    var hasWork: Bool { !pendingInputs.isEmpty || !held.isEmpty || !pendingPublications.isEmpty || outbound.waitingCount > 0 }
}
