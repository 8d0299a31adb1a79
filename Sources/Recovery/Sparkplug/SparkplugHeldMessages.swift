/// Data messages the engine cannot read yet for want of a birth (docs/SPARKPLUG.md, "Data before
/// a birth"): a node's data before its NBIRTH (the gateway started after it, or lost its state),
/// a device's before its DBIRTH. Kept, in arrival order, until the birth arrives and they are
/// read as the node sent them, before the birth's own values; a message no birth comes for
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
    }

    /// How long a message waits for its birth: six rebirth requests' intervals, so a node that
    /// answers the first one late, or the second, is read whole.
    static let holdMs: Int64 = 60_000
    /// The most messages held for one node (beyond it the oldest goes): more than a node sends
    /// in `holdMs` at one message a second, and within the sequence window (256), so every
    /// held message can be placed.
    static let maxPerNode = 128
    /// The most payload bytes held over all nodes: a new message beyond it is dead-lettered at
    /// once, so a fleet of nodes without births cannot grow the state (or the snapshot) past it.
    static let maxBytes = 4 << 20

    /// By node (`<group>/<edge node>`), oldest first.
    private(set) var byNode: [String: [Message]] = [:]
    private(set) var bytes = 0
    /// The earliest receive time of a held message (nil: none), for the expiry deadline.
    private(set) var oldest: Int64?

    var isEmpty: Bool { byNode.isEmpty }

    /// When the oldest held message is due to be dead-lettered; nil when none is held.
    var deadline: Int64? { oldest.map { $0 &+ Self.holdMs } }

    /// Holds `message` for `node`; returns what it displaced (the node's oldest, at
    /// `maxPerNode`) or, when the bytes are used up, the message itself: for the caller to
    /// dead-letter.
    mutating func hold(_ message: Message, node: String) -> Message? {
        guard bytes + message.payload.count <= Self.maxBytes else { return message }
        var list = byNode[node] ?? []
        var displaced: Message?
        if list.count >= Self.maxPerNode {
            displaced = list.removeFirst()
            bytes -= displaced?.payload.count ?? 0
        }
        list.append(message)
        bytes += message.payload.count
        byNode[node] = list
        oldest = Swift.min(oldest ?? message.receivedAt, message.receivedAt)
        if displaced != nil { recomputeOldest() }
        return displaced
    }

    /// Takes the node's messages that `matching` selects, oldest first, leaving the others held.
    mutating func take(node: String, matching: (Message) -> Bool = { _ in true }) -> [Message] {
        guard let list = byNode[node] else { return [] }
        let taken = list.filter(matching)
        guard !taken.isEmpty else { return [] }
        let kept = list.filter { !matching($0) }
        byNode[node] = kept.isEmpty ? nil : kept
        bytes -= taken.reduce(0) { $0 + $1.payload.count }
        recomputeOldest()
        return taken
    }

    /// Takes every message held since before `cutoff` (journal time), by node, oldest first.
    mutating func takeExpired(before cutoff: Int64) -> [(node: String, message: Message)] {
        guard let oldest, oldest < cutoff else { return [] }
        var expired: [(node: String, message: Message)] = []
        for node in byNode.keys.sorted() {
            guard let list = byNode[node], list.contains(where: { $0.receivedAt < cutoff }) else { continue }
            for message in list where message.receivedAt < cutoff {
                expired.append((node, message))
                bytes -= message.payload.count
            }
            let kept = list.filter { $0.receivedAt >= cutoff }
            byNode[node] = kept.isEmpty ? nil : kept
        }
        recomputeOldest()
        return expired
    }

    private mutating func recomputeOldest() {
        oldest = byNode.values.compactMap { $0.map(\.receivedAt).min() }.min()
    }
}
