import Journal
import Logging
import MQTT
import Recovery
import Wire

/// Publications from the engine to the broker: journaled, sent once durable, tracked until the
/// broker acknowledges them.
///
/// The engine's publications wait in `pending` until the journal has room for them; journaled,
/// they join the `OutboundQueue`, which holds them (up to its capacity; beyond it the journal is
/// the queue and `refillIfNeeded` reads them back) until the journal's durable position passes
/// them. Then they are sent on the output connection, at most `maxInFlight` unacknowledged at
/// once, and stay in the queue's in-flight registry until the broker's PUBACK: the lowest
/// unacknowledged seq is what the checkpoint and the journal's retention follow.
///
/// Confined to the service loop's thread (`GatewayService`).
final class Publisher {
    private let ingest: IngestJournal
    private var broker: BrokerSession
    private let maxInFlight: Int
    /// `cleaned-topics`: off, cleaned and `latest/` publications go only to the Sparkplug edge node.
    private let cleanedTopics: Bool
    private let journalDirectory: String
    private let logger: Logger
    private(set) var outbound: OutboundQueue
    /// Publications made by the engine and not yet journaled (the journal was full). The
    /// pipeline appends here.
    var pending: [Publication]
    /// Reused for each publication's record payload.
    private var recordBuffer: [UInt8] = []
    /// Gaps standing in for publications the journal destroyed before the broker acknowledged
    /// them (`ResendHoles`), by the journal seq of the publication each is sent before; not
    /// journaled themselves, so a read-back from the journal adds them.
    private let standIns: [UInt64: [Publication]]
    /// The last journal seq of a publication journaled.
    private(set) var publicationsThrough: UInt64
    /// When the start that found journal damage began (this one, or one within the day before,
    /// `JournalDamageHistory`): aggregate windows that began before it are sent flagged
    /// `journal_damaged`, as their figures come from what the journal kept (found black-box:
    /// windows sent again at a revision consumers held, with 11 readings where 35 went out).
    /// Journaled as the engine made them: replays and `export` show them unflagged.
    var aggregatesFromDamagedJournalBefore: Int64?
    /// Publications sent since start, by kind.
    private(set) var published: [Publication.Kind: Int] = [:]
    /// When (monotonic ms) the broker last acknowledged one of ours, or nothing was in flight at
    /// a report: `/healthz` says so when publications wait in flight long after it.
    private var lastAnswerAt = Clocks.monotonicMilliseconds()
    /// Test hook: told how many publications await their acknowledgement after each send.
    var afterSending: (@Sendable (_ inFlight: Int) -> Void)?
    /// The gateway's own Sparkplug edge node, shown each cleaned message sent (nil: off).
    private(set) var sparkplug: SparkplugEdgeNodeOutput?

    init(
        outbound: OutboundQueue, pending: [Publication], standIns: [UInt64: [Publication]], publicationsThrough: UInt64,
        ingest: IngestJournal, broker: BrokerSession, configuration: GatewayConfiguration, logger: Logger
    ) {
        self.outbound = outbound
        self.pending = pending
        self.standIns = standIns
        self.publicationsThrough = publicationsThrough
        self.ingest = ingest
        self.broker = broker
        maxInFlight = configuration.maxInFlight
        cleanedTopics = configuration.cleanedTopics
        journalDirectory = configuration.journalDirectory
        self.logger = logger
        sparkplug = Publisher.edgeNode(for: broker, previous: nil, logger: logger)
    }

    /// The edge node output for `broker`'s Sparkplug connection: `previous` goes on with its
    /// devices and their last values, under the (perhaps new) id. Turned off, it is gone: turned
    /// on again, it starts without devices.
    private static func edgeNode(for broker: BrokerSession, previous: SparkplugEdgeNodeOutput?, logger: Logger) -> SparkplugEdgeNodeOutput? {
        guard let client = broker.sparkplug, let id = broker.configuration.sparkplugEdgeNode else { return nil }
        let primaryHost = broker.configuration.sparkplugPrimaryHost
        if let previous {
            previous.reconnected(to: client, as: id, primaryHost: primaryHost)
            return previous
        }
        return SparkplugEdgeNodeOutput(id: id, client: client, logger: logger, primaryHost: primaryHost)
    }

    /// What the engine may run now (`OutputPacing`): input while the in-memory queue to the
    /// broker is under half full and not spilled; a tick or new settings only once its last
    /// output is journaled too. While it may not, input waits (and pauses at the broker) and a
    /// due tick does not wake the loop.
    var pacing: OutputPacing { OutputPacing(unjournaled: pending.count, outbound: outbound) }

    /// A SIGHUP replaced the broker session: what the old one had not seen acknowledged goes
    /// out again on the new one, in order.
    func reconnected(to next: BrokerSession) {
        broker = next
        sparkplug = Publisher.edgeNode(for: next, previous: sparkplug, logger: logger)
        outbound.resendUnacknowledged()
    }

    /// Nothing left to journal, send or hear back about (the drain is done).
    var isIdle: Bool { outbound.waitingCount == 0 && outbound.inFlightCount == 0 && pending.isEmpty }

    /// Output is held back for a reason a short wait may end: publications the journal had no
    /// room for, or spilled ones to read back.
    var needsRetry: Bool { !pending.isEmpty || outbound.needsRefill }

    /// Journals the engine's publications (as many as fit) and commits (as the fsync mode
    /// says: `IngestJournal.commit`); `journaled` sees the ones journaled. While some wait for
    /// journal room, input pauses at the broker (`OutputPacing.inputWaits`).
    func journalPending(_ journaled: (ArraySlice<Publication>) -> Void) throws {
        let time = ingest.clock.now()
        let written: Int = try ingest.withJournal { j in
            var n = 0
            while n < pending.count {
                recordBuffer.removeAll(keepingCapacity: true)
                let batch = JournalRecords.appendPublicationBatch(
                    pending[n...], maxBytes: JournalRecords.publicationBatchBytes(segmentSize: j.layout.segmentSize, maxRecordPayload: j.maxRecordPayload),
                    to: &recordBuffer)
                let seq: UInt64
                do {
                    seq = try recordBuffer.withUnsafeBytes { bytes in
                        try j.append(type: RecordType.publication.rawValue, flags: batch.flags, time: time, payload: bytes)
                    }
                } catch JournalError.full {
                    break
                }
                outbound.enqueue(seq: seq, pending[n..<(n + batch.taken)])
                publicationsThrough = seq
                n += batch.taken
            }
            try j.write()
            return n
        }
        try ingest.commit()
        journaled(pending.prefix(written))
        pending.removeFirst(written)
        ingest.outputWaits(pacing.inputWaits)
    }

    /// Reads spilled publications back from the journal once the in-memory queue has drained.
    func refillIfNeeded() throws {
        guard outbound.needsRefill, let from = outbound.spilledFrom else { return }
        var entries: [OutboundQueue.Entry] = []
        let limit = outbound.capacity / 2
        var complete = true
        let written = ingest.withJournal { $0.writtenSeq }
        let reader = try JournalReader(directory: journalDirectory)
        try reader.read(fromSeq: from) { record in
            if record.seq > written { return false }
            guard record.type == RecordType.publication.rawValue, let ps = JournalRecords.decodePublications(record.payload) else { return true }
            if entries.count >= limit {
                complete = false
                return false
            }
            // A record's publications are read back together: they share its seq, the
            // position the queue resumes from.
            for gap in standIns[record.seq] ?? [] { entries.append(.init(seq: record.seq, publication: gap)) }
            for p in ps { entries.append(.init(seq: record.seq, publication: p)) }
            return true
        }
        outbound.refill(entries, complete: complete)
    }

    /// Sends what the journal holds durably, within the in-flight limit; a failed send puts the
    /// rest back to go again after a reconnection. With `cleaned-topics off`, cleaned and
    /// `latest/` publications are shown to the Sparkplug edge node only and are done at once (they
    /// take no in-flight room, so more is taken while they come: at most `Self.localRounds` takes).
    func publishDurable() {
        // With cleaned-topics off the edge node is the cleaned stream's only way out: it waits in
        // the journal (input pausing as it fills) until the node reaches subscribers again.
        guard broker.outputConnected, cleanedTopics || sparkplug?.isUp == true else {
            sparkplug?.send()
            return
        }
        let durable = ingest.withJournal { $0.durableSeq }
        var rounds = 0
        var more = true
        sending: while more && rounds < Self.localRounds {
            rounds += 1
            more = false
            let sendable = outbound.takeSendable(durableThrough: durable, maxInFlight: maxInFlight)
            for (i, entry) in sendable.enumerated() {
                let p = entry.publication
                if !cleanedTopics && (p.kind == .cleaned || p.kind == .latest) {
                    sparkplug?.show(p)
                    shownOnly += 1
                    more = true
                    continue
                }
                do {
                    let payload =
                        p.kind == .aggregate
                        ? AggregateWindowMessage.flaggingJournalDamage(p.payload, windowsBefore: aggregatesFromDamagedJournalBefore) : p.payload
                    let mid = try broker.output.publish(topic: p.topic, payload: payload, qos: .atLeastOnce, retain: p.retain)
                    outbound.sent(entry, messageID: mid)
                    published[p.kind, default: 0] += 1
                    sparkplug?.show(p)
                    afterSending?(outbound.inFlightCount)
                } catch {
                    logger.warning("publish failed; will retry", metadata: ["error": "\(error)"])
                    outbound.putBack(Array(sendable[i...]))
                    break sending
                }
            }
        }
        sparkplug?.send()
    }

    /// Takes of durable publications in one send at most, while some are done without the broker
    /// (`cleaned-topics off`): 64 x `max-in-flight` a turn.
    static let localRounds = 64
    /// Cleaned and `latest/` publications done without the broker (`cleaned-topics off`).
    private(set) var shownOnly = 0

    /// The broker acknowledged `messageID` (at monotonic µs `at`): returns the publication's
    /// latency from joining the queue (µs), nil for an id not ours.
    func acknowledged(_ messageID: MessageID, at: Int64) -> Int64? {
        let latency = outbound.acknowledged(messageID: messageID, now: at)
        if latency != nil { lastAnswerAt = at / 1000 }
        return latency
    }

    /// How long (µs) the last acknowledged publication waited in flight (`OutboundQueue.lastInFlightMicroseconds`).
    var lastInFlightMicroseconds: Int64 { outbound.lastInFlightMicroseconds }

    /// Whether publications have waited in flight at least `ms` since the broker last
    /// acknowledged one, at `now` (monotonic ms).
    func unanswered(now: Int64, for ms: Int64) -> Bool { outbound.inFlightCount > 0 && now - lastAnswerAt >= ms }

    /// The kind and topic of the publication in flight as `messageID` (nil: not one of the
    /// journal's, such as the retained status).
    func inFlight(_ messageID: MessageID) -> (kind: Publication.Kind, topic: String)? {
        outbound.inFlight(messageID)
    }

    /// Every publication at or below this seq is acknowledged.
    func acknowledgedThrough() -> UInt64 {
        ingest.withJournal { outbound.acknowledgedThrough(journalWritten: $0.writtenSeq) }
    }

    /// Whether a durable publication waits unsent, held back by the in-flight limit.
    func heldBackByInFlightLimit(durableThrough durable: UInt64) -> Bool {
        outbound.hasSendable(durableThrough: durable)
    }

    /// The publisher's part of the status.
    func report(into s: inout GatewayStatusSnapshot) {
        s.publishedByKind = Dictionary(uniqueKeysWithValues: published.map { ("\($0.key)", $0.value) })
        s.runtime.published = published
        s.outboundWaiting = outbound.waitingCount
        s.outboundInFlight = outbound.inFlightCount
        // Nothing in flight is nothing unanswered: the wait starts again from here (a report
        // comes at least every half second, so it starts at most that late).
        if outbound.inFlightCount == 0 { lastAnswerAt = Clocks.monotonicMilliseconds() }
        s.outboundUnansweredSince = outbound.inFlightCount > 0 ? lastAnswerAt : nil
        s.sparkplugOutput = sparkplug?.counters
    }
}
