import Journal
import Recovery
import MQTT
import Synchronization
import Wire

// Over 250 lines: the network thread's side (accept, write) and the pipeline's (take, commit,
// sync) share one locked state; split, that state and its lock would be opened to both files.
/// The journal, shared by the MQTT network thread and the pipeline.
///
/// The network thread appends every inbound message here the moment libmosquitto hands it over
/// (libmosquitto has already acknowledged it to the broker), and writes the batch to the file
/// after each read of the socket or every `Limits.unwrittenAtMost` messages, whichever comes
/// first: at most that many acknowledged readings exist only in memory at any instant. The
/// pipeline takes the journaled input from here in journal order, appends its ticks and
/// publications, and commits.
///
/// No thread holds the lock across a sync. With `fsync interval` a `JournalFlusher` syncs on a
/// thread of its own (group commit, within `fsync-max-per-second`) and wakes the pipeline
/// through `onDurable`; with `fsync always` the thread that needs durability (the network
/// thread before its acknowledgements leave, the pipeline before it publishes) syncs outside
/// the lock. Appends go on meanwhile; what they add is covered by the next sync.
///
/// Input pauses (the network thread stops reading the socket, and the broker's persistent
/// session holds the rest) while too much journaled input waits for the pipeline, while the
/// journal has less than `Limits.reserveBytes` it may use (kept for the pipeline's output),
/// while the pipeline's output waits for journal room (`outputWaits`), or after `closeInput()`.
final class IngestJournal: MQTTMessageSink {
    private struct State {
        var journal: Journal
        var pending: [Input] = []
        var pendingBytes = 0
        /// Taken from the socket when the journal was full: appended first once room returns.
        var held: [Input] = []
        var unwritten = 0
        var open = true
        /// Set by the pipeline while its output waits for journal room (`OutputPacing`).
        var outputWaiting = false
        var failure: String?
        var statistics = Statistics()
        /// Reused for each record's payload.
        var recordBuffer: [UInt8] = []
        /// Wakes the input client's network thread (`onChange`).
        var wakeReader: (@Sendable () -> Void)?
    }

    let limits: Limits
    /// Everything the two threads share. A `Mutex` is `Sendable` whatever it holds, but it takes
    /// its value as `sending` and hands results out as `sending`: the journal, a class with file
    /// handles, can be used inside `withLock` and never returned out of it.
    private let state: Mutex<State>
    /// Whether input may be read, refreshed under the lock whenever what decides it changes, so
    /// the network thread can ask before every read without taking the lock.
    private let readable = Atomic<Bool>(true)
    /// Set (under the lock, for good) when the journal failed, so the network thread can ask
    /// before every write without taking the lock.
    private let failed = Atomic<Bool>(false)
    private let passThroughTopic: String
    private let maxPayloadBytes: Int
    private let maxTopicBytes: Int
    /// The timeline record times come from (it advances with the monotonic clock, so a step of
    /// the wall clock neither freezes nor reverses it).
    let clock: JournalClock
    private let onInput: @Sendable (_ waiting: Int) -> Void
    /// Told (on the flusher's thread) after each sync, so the pipeline publishes what it made durable.
    private let onDurable: @Sendable () -> Void
    let fsync: FsyncMode
    /// Syncs with `fsync interval`; nil in the other modes.
    private let flusher: JournalFlusher?
    /// The flusher's budget (nil without one).
    let syncsPerSecond: Int?

    /// - Parameters:
    ///   - passThroughTopic: messages on this topic (replay requests) are not journaled; they go
    ///     on as ordinary MQTT events.
    ///   - onInput: called (on the network thread) after journaling a burst of input, with the
    ///     number of journaled messages now waiting for the pipeline.
    ///   - syncsPerSecond: with `fsync interval`, the most syncs a second (`fsync-max-per-second`).
    ///   - onDurable: called (on the flusher's thread) after each sync with `fsync interval`.
    /// Opens (and recovers) the journal; throws when it cannot be opened.
    init(
        layout: JournalLayout, fsync: FsyncMode, syncsPerSecond: Int = GatewayConfiguration.defaultFsyncMaxPerSecond,
        resizeKeepingFrom: UInt64? = nil, limits: Limits = Limits(),
        passThroughTopic: String,
        maxPayloadBytes: Int,
        fileSystem: FileSystem = POSIXFileSystem(), clock: JournalClock = JournalClock(),
        onInput: @escaping @Sendable (_ waiting: Int) -> Void,
        onDurable: @escaping @Sendable () -> Void = {}
    ) throws {
        self.limits = limits
        self.passThroughTopic = passThroughTopic
        self.maxPayloadBytes = maxPayloadBytes
        maxTopicBytes = IngestJournal.maxTopicBytes
        self.clock = clock
        self.onInput = onInput
        self.onDurable = onDurable
        self.fsync = fsync
        flusher = fsync == .interval ? JournalFlusher(maxPerSecond: syncsPerSecond) : nil
        self.syncsPerSecond = fsync == .interval ? syncsPerSecond : nil
        state = Mutex(
            State(journal: try Journal(layout: layout, fsync: fsync, resizeKeepingFrom: resizeKeepingFrom, fileSystem: fileSystem)))
        flusher?.start { [weak self] in self?.syncOutsideTheLock() }
    }

    deinit { flusher?.stop() }

    /// Record times never go back: new ones are at least `time` (the latest the journal holds),
    /// and go on by `lead` when the wall clock is still behind them (`JournalClock.resume`).
    func resume(after time: Int64, lead: Int64? = nil) { clock.resume(notBefore: time, lead: lead) }

    /// Topics longer than this are cut before journaling (`Topics.maxJournaledTopicBytes`).
    static let maxTopicBytes = Topics.maxJournaledTopicBytes

    /// The largest journal record a publication can need with these settings: a dead letter
    /// of a payload cut to the limit, on a topic cut to its limit, every byte escaped as \u00XX.
    static func largestPublication(maxPayloadBytes: Int) -> Int { 6 * (maxTopicBytes + maxPayloadBytes + 1) + 1024 }

    /// The largest MQTT packet the broker may hand the gateway (its MQTT 5 Maximum Packet Size):
    /// four times `max-payload-bytes` and a topic at its limit, 256 KiB at least. A payload over
    /// `max-payload-bytes` and under this is dead-lettered `payload_too_large` as the contract
    /// says; a larger one the broker drops for the gateway (and logs), so no single message can
    /// make libmosquitto allocate its whole size, fail, and arrive again on every reconnection.
    /// Its seq then shows as a gap (resend, then a flagged fill), never as silence.
    static func inboundPacketLimit(maxPayloadBytes: Int) -> UInt32 {
        UInt32(clamping: max(262_144, 4 * maxPayloadBytes + maxTopicBytes + 64))
    }

    // MARK: - The network thread

    func accept(topic: String, payload: UnsafeRawBufferPointer) -> Bool {
        guard topic != passThroughTopic else { return false }
        // A payload over the limit is cut to one byte more than the limit: the engine still sees
        // it is too large (and dead-letters it, cut, with "truncated":true), and the journal
        // never holds more than the limit allows.
        let cut = payload.count > maxPayloadBytes
        let body = Array(cut ? UnsafeRawBufferPointer(rebasing: payload[..<(maxPayloadBytes + 1)]) : payload)
        let topicBytes = topic.utf8.count > maxTopicBytes ? String(decoding: topic.utf8.prefix(maxTopicBytes), as: UTF8.self) : topic
        state.withLock { s in
            s.statistics.accepted += 1
            if cut { s.statistics.oversized += 1 }
            let (time, monotonic) = clock.nowAndMonotonic()
            let input = Input(seq: 0, time: time, topic: topicBytes, payload: body)
            s.statistics.lastAcceptedAt = time
            s.statistics.lastAcceptedMonotonic = monotonic
            if !s.held.isEmpty || !IngestJournal.append(input, &s) {
                if s.failure == nil {
                    s.held.append(input)
                    s.statistics.heldWhileFull += 1
                } else {
                    s.statistics.lostToJournalFailure += 1
                }
                refreshPause(s)
                return
            }
            if s.unwritten >= limits.unwrittenAtMost { IngestJournal.write(&s) }
            refreshPause(s)
        }
        return true
    }

    /// Called after each read of the socket, before libmosquitto sends the acknowledgements it
    /// queued: the burst goes to the journal file, and with `fsync always` to the disk, so an
    /// acknowledged reading survives a kill (and, with `always`, a power cut).
    ///
    /// With `fsync always` this thread syncs before it returns (outside the lock: the
    /// pipeline goes on appending); with `fsync interval` the flusher is asked to.
    func endOfBurst() {
        let (waiting, unsynced) = state.withLock { s in
            IngestJournal.appendHeld(&s)
            IngestJournal.write(&s)
            refreshPause(s)
            return (s.pending.count, s.failure == nil && s.journal.durableSeq < s.journal.writtenSeq)
        }
        if unsynced {
            switch fsync {
            // A failure is noted in the state (input stops, `lostAcceptedMessages`) and counted.
            case .always: _ = try? syncOutsideTheLockThrowing()
            case .interval: flusher?.request()
            case .never: break
            }
        }
        onInput(waiting)
    }

    var acceptsMore: Bool { readable.load(ordering: .relaxed) }

    /// Once the journal failed, messages accepted since its last good write are lost: the
    /// client then cuts the connection before their acknowledgements leave, and the broker's
    /// session keeps them for the gateway restarted after the repair.
    var lostAcceptedMessages: Bool { failed.load(ordering: .relaxed) }

    /// Refreshes the flags the network thread reads without the lock, and wakes it when input
    /// resumes or the journal failed, so it acts on that at once.
    private func refreshPause(_ s: borrowing State) {
        let readableNow = pause(in: s) == nil
        var wake = readable.exchange(readableNow, ordering: .relaxed) != readableNow && readableNow
        if s.failure != nil && !failed.exchange(true, ordering: .relaxed) { wake = true }
        if wake { s.wakeReader?() }
    }

    func onChange(wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakeReader = wake }
    }

    // MARK: - The pipeline

    /// Why input is paused now, if it is.
    var pause: Pause? { state.withLock { pause(in: $0) } }

    private func pause(in s: borrowing State) -> Pause? {
        if s.failure != nil { return .journalFailed }
        if !s.open { return .closed }
        if !s.held.isEmpty || !s.journal.canAppend(bytes: min(limits.reserveBytes, s.journal.capacityBytes / 8)) { return .journalFull }
        if s.outputWaiting { return .outputWaiting }
        if s.pending.count >= limits.pendingMessages || s.pendingBytes >= limits.pendingBytes { return .pipelineBehind }
        return nil
    }

    /// What `take` took: the journaled messages, then (when given and journaled) new engine
    /// settings, then (when due) a tick, in that journal order.
    struct Taken {
        var inputs: [Input]
        var configuration: (seq: UInt64, time: Int64, configuration: EngineConfiguration)?
        var tick: Tick?
    }

    /// A journaled tick, with the input connection's state when it changed (`JournalRecords.encodeTick`).
    struct Tick {
        var seq: UInt64
        var time: Int64
        var listening: Bool?
    }

    /// Takes every journaled message waiting for the pipeline, in journal order; then appends
    /// `configuration` (new engine settings) after them, when given; then, when `tickDue` says
    /// so for the time reached or `listening` is given (the input connection's new state), a
    /// tick. All in the same step under the lock, so replay sees exactly this order. Settings
    /// that could not be journaled (a full journal) are returned as `unjournaled`, to be
    /// offered again.
    func take(
        configuration: EngineConfiguration? = nil, listening: Bool? = nil, tickDue: (Int64) -> Bool
    ) -> (taken: Taken, unjournaled: EngineConfiguration?) {
        state.withLock { s in
            IngestJournal.appendHeld(&s)
            var taken = Taken(inputs: s.pending)
            s.pending.removeAll(keepingCapacity: true)
            s.pendingBytes = 0
            defer { refreshPause(s) }
            guard s.failure == nil, s.held.isEmpty else { return (taken, configuration) }
            let now = clock.now()
            do {
                if let configuration {
                    let seq = try s.journal.append(
                        type: RecordType.configuration.rawValue, time: now, payload: JournalRecords.encodeConfiguration(configuration))
                    taken.configuration = (seq, now, configuration)
                }
                if listening != nil || tickDue(now) {
                    let seq = try s.journal.append(type: RecordType.tick.rawValue, time: now, payload: JournalRecords.encodeTick(listening: listening))
                    taken.tick = Tick(seq: seq, time: now, listening: listening)
                }
                return (taken, nil)
            } catch JournalError.full {
                return (taken, taken.configuration == nil ? configuration : nil)
            } catch {
                s.failure = "\(error)"
                return (taken, taken.configuration == nil ? configuration : nil)
            }
        }
    }

    /// Pauses input while the pipeline's output waits for journal room, so the room the ring
    /// reclaims goes to the output first (`OutputPacing`); resumes it when the output is journaled.
    func outputWaits(_ waiting: Bool) {
        state.withLock { s in
            guard s.outputWaiting != waiting else { return }
            s.outputWaiting = waiting
            refreshPause(s)
        }
    }

    /// The journal seq of the first journaled message the pipeline has not taken, or the next
    /// seq when none waits: the engine's state covers every input before it, once what was taken
    /// has run.
    var firstUntakenSeq: UInt64 { state.withLock { $0.pending.first?.seq ?? $0.journal.nextSeq } }
    // MARK: - Durability

    /// Makes what is written durable as the fsync mode says: `always` syncs now on the calling
    /// thread, outside the lock; `interval` asks the flusher (the caller learns of the sync
    /// through `onDurable`); `never` has nothing to do. Throws (and stops input) when the
    /// journal failed.
    func commit() throws {
        switch fsync {
        case .always: try syncOutsideTheLockThrowing()
        case .interval: if state.withLock({ $0.journal.durableSeq < $0.journal.nextSeq - 1 }) { flusher?.request() }
        case .never: break
        }
        if let failure = state.withLock({ $0.failure }) { throw GatewayFailure.journal(failure) }
    }

    /// Syncs everything appended so far now, on the calling thread, without holding the lock
    /// across the sync (start-up, before a snapshot, at shutdown). Throws when it failed.
    func sync() throws { try syncOutsideTheLockThrowing() }

    /// The flusher's sync. A failure is not thrown here but noted in the state and counted
    /// (`syncFailures`): input stops at once, and the pipeline's next `commit` throws it, which
    /// stops the gateway with the failure logged.
    private func syncOutsideTheLock() {
        if (try? syncOutsideTheLockThrowing()) == true { onDurable() }
    }

    /// True when a sync ran (false: everything written was durable already).
    @discardableResult
    private func syncOutsideTheLockThrowing() throws -> Bool {
        let pending = try state.withLock { s -> Journal.PendingSync? in
            if let failure = s.failure { throw GatewayFailure.journal(failure) }
            do { return try s.journal.beginSync() } catch {
                IngestJournal.noteSyncFailure(error, &s)
                refreshPause(s)
                throw error
            }
        }
        guard let pending else { return false }
        var failure: (any Error)?
        do { try pending.run() } catch { failure = error }
        try state.withLock { s in
            defer { refreshPause(s) }
            do { try s.journal.finishSync(pending, failure: failure) } catch {
                IngestJournal.noteSyncFailure(error, &s)
                throw error
            }
        }
        return true
    }

    private static func noteSyncFailure(_ error: any Error, _ s: inout State) {
        s.statistics.syncFailures += 1
        if s.failure == nil { s.failure = "journal sync failed: \(error)" }
    }

    /// Runs `body` with the journal (publications, commits, checkpoints, statistics), under the
    /// lock. What it returns must be disconnected from the journal (`sending`): `withJournal { $0 }`
    /// does not compile.
    func withJournal<R, E: Error>(_ body: (Journal) throws(E) -> sending R) throws(E) -> sending R {
        try state.withLock { (s: inout sending State) throws(E) -> sending R in
            defer { refreshPause(s) }
            return try body(s.journal)
        }
    }

    /// Stops taking input from the broker (drain); journaling what is already in hand goes on.
    func closeInput() {
        state.withLock { s in
            s.open = false
            refreshPause(s)
        }
    }

    /// Why the journal can no longer append, once it cannot.
    var failure: String? { state.withLock { $0.failure } }

    /// Notes a journal failure met by the pipeline (input stops at once).
    func fail(_ reason: String) {
        state.withLock { s in
            if s.failure == nil { s.failure = reason }
            refreshPause(s)
        }
    }

    /// Messages accepted since start: the one figure a service turn reads (`BrokerProbe`), without
    /// copying the rest.
    var acceptedCount: Int { state.withLock { $0.statistics.accepted } }

    var statistics: Statistics {
        state.withLock { s in
            var statistics = s.statistics
            statistics.pending = s.pending.count
            return statistics
        }
    }

    // MARK: - Appending

    /// Appends one message; false when the journal is full (nothing written) or has failed.
    private static func append(_ input: Input, _ s: inout State) -> Bool {
        guard s.failure == nil else { return false }
        var record = input
        s.recordBuffer.removeAll(keepingCapacity: true)
        JournalRecords.appendMessage(topic: input.topic, payload: input.payload, to: &s.recordBuffer)
        do {
            let journal = s.journal
            record.seq = try s.recordBuffer.withUnsafeBytes { bytes in
                try journal.append(type: RecordType.message.rawValue, time: input.time, payload: bytes)
            }
        } catch JournalError.full {
            return false
        } catch {
            s.failure = "\(error)"
            return false
        }
        s.unwritten += 1
        s.pending.append(record)
        s.pendingBytes += input.payload.count + input.topic.utf8.count
        s.statistics.pendingHighWater = max(s.statistics.pendingHighWater, s.pending.count)
        return true
    }

    private static func appendHeld(_ s: inout State) {
        var taken = 0
        while taken < s.held.count, append(s.held[taken], &s) { taken += 1 }
        s.held.removeFirst(taken)
    }

    private static func write(_ s: inout State) {
        guard s.unwritten > 0, s.failure == nil else { return }
        do {
            try s.journal.write()
            s.unwritten = 0
        } catch {
            s.failure = "\(error)"
        }
    }
}
