import MQTT
import Recovery

/// Journaled publications on their way to the broker.
///
/// A publication is sent only once the journal holds it durably (so nothing published can be
/// forgotten by a crash), stays in flight until the broker acknowledges it, and the highest seq
/// below which everything is acknowledged becomes the journal checkpoint. Memory is bounded:
/// past `capacity` waiting entries, newer ones are left in the journal and read back later.
struct OutboundQueue {
    struct Entry {
        var seq: UInt64
        var publication: Publication
        /// When it joined the queue (monotonic µs): the start of its publish latency.
        var queuedAt: Int64 = Clocks.monotonicMicroseconds()
    }

    let capacity: Int
    private(set) var waiting: [Entry] = []
    private var head = 0
    /// Message id -> journal seq (and time queued, kind and topic) of publications sent and not
    /// yet acknowledged.
    private var inFlight: [MessageID: (seq: UInt64, queuedAt: Int64, sentAt: Int64, kind: Publication.Kind, topic: String)] = [:]
    /// How long (µs) the last acknowledged publication waited in flight, from its send to the
    /// broker's acknowledgement: the broker's (and the network's) own delay, without the time
    /// it queued behind the in-flight limit (`BrokerProbe.slowAnswerMicroseconds`).
    private(set) var lastInFlightMicroseconds: Int64 = 0
    /// When set, publications from this seq on were not kept in memory: read them from the journal.
    private(set) var spilledFrom: UInt64?

    /// Publications kept in memory before the journal serves as the queue.
    static let defaultCapacity = 8192

    init(capacity: Int = OutboundQueue.defaultCapacity) { self.capacity = capacity }

    var waitingCount: Int { waiting.count - head }
    var inFlightCount: Int { inFlight.count }

    /// Queues a publication of journal record `seq`. Past `capacity` the journal keeps the rest,
    /// to be read back later, a record at a time: so the rest of a record begun in memory joins
    /// it there, and the queue never holds part of a record it will also read back.
    mutating func enqueue(seq: UInt64, _ p: Publication) {
        if spilledFrom != nil { return }
        if waitingCount >= capacity && waiting.last?.seq != seq {
            spilledFrom = seq
            return
        }
        waiting.append(Entry(seq: seq, publication: p))
    }

    /// Queues the publications journal record `seq` holds (`enqueue(seq:_:)`, each).
    mutating func enqueue(seq: UInt64, _ ps: ArraySlice<Publication>) {
        for p in ps { enqueue(seq: seq, p) }
    }

    /// Takes entries that may be sent now: durable, and within the in-flight limit.
    mutating func takeSendable(durableThrough durable: UInt64, maxInFlight: Int) -> [Entry] {
        var out: [Entry] = []
        while head < waiting.count, waiting[head].seq <= durable, inFlight.count + out.count < maxInFlight {
            out.append(waiting[head])
            head += 1
        }
        if head > 4096 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return out
    }

    /// Whether a durable publication waits unsent (the in-flight limit holds it back).
    func hasSendable(durableThrough durable: UInt64) -> Bool {
        head < waiting.count && waiting[head].seq <= durable
    }

    /// Puts entries back at the front (a publish call failed; they go again after reconnect).
    mutating func putBack(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        waiting.replaceSubrange(0..<head, with: [])
        head = 0
        waiting.insert(contentsOf: entries, at: 0)
    }

    mutating func sent(_ entry: Entry, messageID: MessageID) {
        inFlight[messageID] = (entry.seq, entry.queuedAt, Clocks.monotonicMicroseconds(), entry.publication.kind, entry.publication.topic)
    }

    /// The kind and topic of the publication in flight as `messageID` (nil: not ours).
    func inFlight(_ messageID: MessageID) -> (kind: Publication.Kind, topic: String)? {
        inFlight[messageID].map { ($0.kind, $0.topic) }
    }

    /// Returns how long the publication took from joining the queue to the broker's
    /// acknowledgement (µs); nil for an unknown id.
    @discardableResult
    mutating func acknowledged(messageID: MessageID, now: Int64 = Clocks.monotonicMicroseconds()) -> Int64? {
        guard let sent = inFlight.removeValue(forKey: messageID) else { return nil }
        lastInFlightMicroseconds = now - sent.sentAt
        return now - sent.queuedAt
    }

    /// Forgets what was sent and not acknowledged, and what waits, so that all of it is read
    /// back from the journal and sent again, in order (the connection it went out on was
    /// replaced: its acknowledgements will never come). Some may have been acknowledged already
    /// in between: those go again with identical content, as after a crash.
    mutating func resendUnacknowledged() {
        var lowest = spilledFrom
        if head < waiting.count { lowest = min(lowest ?? .max, waiting[head].seq) }
        if let m = inFlight.values.map(\.seq).min() { lowest = min(lowest ?? .max, m) }
        inFlight.removeAll()
        waiting.removeAll()
        head = 0
        spilledFrom = lowest
    }

    /// Drops from what waits each `latest/` value a later one for the same topic replaces
    /// (`SupersededLatest`), after a restart has queued what the broker had not acknowledged (`later`: what the
    /// restart publishes after them).
    /// `floor`: each `latest/` topic's time the restored engine knows, which what waits, here
    /// and spilled, must not go below.
    mutating func dropSupersededLatest(then later: [Publication], floor: [String: Int64]) {
        latestFloor = spilledFrom == nil ? [:] : floor
        waiting = SupersededLatest.dropped(from: Array(waiting[head...]), then: later, floor: floor, publication: \.publication)
        head = 0
    }

    /// The restart's `latest/` floor, kept while spilled publications it queued wait in the journal.
    private var latestFloor: [String: Int64] = [:]

    /// Reloads spilled publications once the in-memory queue has drained.
    var needsRefill: Bool { spilledFrom != nil && waitingCount == 0 }

    mutating func refill(_ entries: [Entry], complete: Bool) {
        if let last = entries.last { spilledFrom = complete ? nil : last.seq + 1 } else if complete { spilledFrom = nil }
        waiting.append(contentsOf: SupersededLatest.dropped(from: entries, floor: latestFloor, publication: \.publication))
        if spilledFrom == nil { latestFloor = [:] }
    }

    /// Every publication with a seq at or below this has been acknowledged (given `journalWritten`,
    /// the last journal seq written).
    func acknowledgedThrough(journalWritten: UInt64) -> UInt64 {
        var lowest = journalWritten + 1
        if let s = spilledFrom { lowest = min(lowest, s) }
        if head < waiting.count { lowest = min(lowest, waiting[head].seq) }
        if let m = inFlight.values.map(\.seq).min() { lowest = min(lowest, m) }
        return lowest - 1
    }
}
