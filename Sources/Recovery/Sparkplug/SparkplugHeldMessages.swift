/// Data messages the engine cannot read yet for want of a birth (docs/SPARKPLUG.md, "Data before
/// a birth"): a node's data before its NBIRTH (the gateway started after it, or lost its state),
/// a device's before its DBIRTH. Kept, in arrival order, until the birth arrives and they are
/// read as the node sent them (in the order of their seqs), before the birth's own values; a message no birth comes for
/// within `holdMs` is dead-lettered (`sparkplug:no_birth`, the payload kept), as is one beyond
/// the bounds. Part of the engine's state (and snapshot): the bounds keep both small.
struct SparkplugHeldMessages: Codable, Sendable {
    /// One message: its topic, payload and receive time, and its place in the node's sequence
    /// when the node had a birth (a device's data; nil: placed when the NBIRTH arrives).
    struct Message: Codable, Sendable {
        var topic: String
        var payload: [UInt8]
        var receivedAt: Int64
        var counter: Int64?

        /// What it takes to hold, as `maxBytes` counts it: payload, topic and a fixed overhead
        /// (so a flood of empty messages is bounded too).
        var size: Int { payload.count + topic.utf8.count + 32 }
    }

    /// How long a message waits for its birth: six rebirth requests' intervals, so a node that
    /// answers the first one late, or the second, is read whole.
    static let holdMs: Int64 = 60_000
    /// The most messages held for one node (beyond it the oldest goes): more than a node sends
    /// in `holdMs` at one message a second, and within the sequence window (256), so every
    /// held message can be placed.
    static let maxPerNode = 128
    /// The most bytes held over all nodes (`Message.size`): a new message beyond it is dead-lettered at
    /// once, so a fleet of nodes without births cannot grow the state (or the snapshot) past it.
    static let maxBytes = 4 << 20

    /// By node (`<group>/<edge node>`), oldest first.
    private(set) var byNode: [String: [Message]] = [:]
    private(set) var bytes = 0
    /// No later than the earliest receive time of a held message (nil: none held), for the
    /// expiry deadline. Kept exact only where that is cheap: a deadline that comes early finds
    /// nothing due and sets it right, so a flood of nodes without births costs no scan per
    /// message.
    private(set) var oldest: Int64?

    var isEmpty: Bool { byNode.isEmpty }

    /// When the oldest held message may be due to be dead-lettered; nil when none is held.
    var deadline: Int64? { oldest.map { $0 &+ Self.holdMs } }

    /// What `hold` did.
    enum HoldOutcome {
        case held
        /// Held, and the node's oldest displaced (at `maxPerNode`).
        case heldDisplacing(Message)
        /// Not held: the bytes are used up.
        case refused
    }

    /// Holds `message` for `node`, within the bounds.
    mutating func hold(_ message: Message, node: String) -> HoldOutcome {
        guard bytes + message.size <= Self.maxBytes else { return .refused }
        byNode[node, default: []].append(message)
        bytes += message.size
        oldest = Swift.min(oldest ?? message.receivedAt, message.receivedAt)
        guard byNode[node]?.count ?? 0 > Self.maxPerNode, let displaced = byNode[node]?.removeFirst() else { return .held }
        bytes -= displaced.size
        return .heldDisplacing(displaced)
    }

    /// Takes the node's messages that `matching` selects, oldest first, leaving the others held.
    mutating func take(node: String, matching: (Message) -> Bool = { _ in true }) -> [Message] {
        guard let list = byNode[node] else { return [] }
        let taken = list.filter(matching)
        guard !taken.isEmpty else { return [] }
        let kept = list.filter { !matching($0) }
        byNode[node] = kept.isEmpty ? nil : kept
        bytes -= taken.reduce(0) { $0 + $1.size }
        if byNode.isEmpty { oldest = nil }
        return taken
    }

    /// Takes every message held since before `cutoff` (journal time), by node (in name order),
    /// oldest first.
    mutating func takeExpired(before cutoff: Int64) -> [(node: String, message: Message)] {
        guard let oldest, oldest < cutoff else { return [] }
        var expired: [(node: String, message: Message)] = []
        let due = byNode.compactMap { $0.value.contains { $0.receivedAt < cutoff } ? $0.key : nil }
        for node in due.sorted() {
            for message in take(node: node, matching: { $0.receivedAt < cutoff }) { expired.append((node, message)) }
        }
        // Each node's list is in arrival order: its first is its oldest.
        self.oldest = byNode.values.compactMap { $0.first?.receivedAt }.min()
        return expired
    }
}
