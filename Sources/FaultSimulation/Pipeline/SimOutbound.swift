import Recovery

/// Journaled publications on their way to the broker (after the gateway's `OutboundQueue`): sent
/// only once durable, in flight until acknowledged; the highest journal seq below which all are
/// acknowledged is what the checkpoint stores. Unlike the gateway's it never spills to the
/// journal: it holds every waiting publication in memory (the simulated volumes are small).
struct SimOutbound {
    struct Entry {
        var seq: UInt64
        var publication: Publication
    }

    private(set) var waiting: [Entry] = []
    private var head = 0
    private var inFlight: [Int: UInt64] = [:]
    private var nextID = 1
    let capacity = 8192

    var waitingCount: Int { waiting.count - head }
    var inFlightCount: Int { inFlight.count }

    mutating func enqueue(seq: UInt64, _ p: Publication) { waiting.append(Entry(seq: seq, publication: p)) }

    /// Durable entries within the in-flight limit, each with the message id it is sent under.
    mutating func takeSendable(durableThrough durable: UInt64, maxInFlight: Int) -> [(id: Int, entry: Entry)] {
        var out: [(Int, Entry)] = []
        while head < waiting.count, waiting[head].seq <= durable, inFlight.count < maxInFlight {
            let id = nextID
            nextID += 1
            inFlight[id] = waiting[head].seq
            out.append((id, waiting[head]))
            head += 1
        }
        if head > 4096 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return out
    }

    mutating func acknowledged(_ id: Int) { inFlight.removeValue(forKey: id) }

    /// Drops from what waits each `latest/` value a later one replaces (`SupersededLatest`),
    /// after a restart has queued what the broker had not acknowledged (`later`: what the
    /// restart publishes after them).
    /// `floor`: each `latest/` topic's time the restored engine knows, which what waits must
    /// not go below.
    mutating func dropSupersededLatest(then later: [Publication], floor: [String: Int64]) {
        waiting = SupersededLatest.dropped(from: Array(waiting[head...]), then: later, floor: floor, publication: \.publication)
        head = 0
    }

    func acknowledgedThrough(journalWritten: UInt64) -> UInt64 {
        var lowest = journalWritten + 1
        if head < waiting.count { lowest = min(lowest, waiting[head].seq) }
        if let m = inFlight.values.min() { lowest = min(lowest, m) }
        return lowest - 1
    }
}

/// The engine's state at a journal position (after the gateway's `EngineSnapshot`): kept as a
/// value that survives crashes, as if written atomically; the gateway encodes it to a file in
/// the background instead.
struct SimSnapshot {
    var inputFrom: UInt64
    var publicationsThrough: UInt64
    var engine: RecoveryEngine
    var pending: [Publication]
    /// The journal timeline's time when it was taken (`EngineSnapshot.time`).
    var time: Int64

    var retainFrom: UInt64 { inputFrom }
}
