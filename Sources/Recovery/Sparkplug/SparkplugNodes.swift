/// The Sparkplug edge nodes the engine has heard from, by `<group>/<edge node>`, and when each was
/// last asked for a rebirth. Part of the engine's state (and snapshot).
struct SparkplugNodes: Codable, Sendable {
    var nodes: [String: SparkplugNode] = [:]
    /// When a node without a birth was last asked for one (journal time); entries older than
    /// the rate limit's interval are dropped when it grows.
    var rebirthAsked: [String: Int64] = [:]
    /// Data messages waiting for the birth they need.
    var held = SparkplugHeldMessages()

    var isEmpty: Bool { nodes.isEmpty && rebirthAsked.isEmpty && held.isEmpty }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try c.decode([String: SparkplugNode].self, forKey: .nodes)
        rebirthAsked = try c.decode([String: Int64].self, forKey: .rebirthAsked)
        held = try c.decodeIfPresent(SparkplugHeldMessages.self, forKey: .held) ?? SparkplugHeldMessages()  // nil before 0.2.0's holding
    }

    /// The shortest time between two rebirth requests to one node: a node that cannot be read
    /// is asked again after this, not for each message.
    static let rebirthIntervalMs: Int64 = 10_000

    /// Forgets nodes not heard from since `cutoff` (journal time), and rebirth requests older
    /// than that: a retired or renamed node does not stay in the state, and its next message
    /// asks for a birth as a new node's does.
    mutating func forgetSilent(before cutoff: Int64) {
        nodes = nodes.filter { ($0.value.lastHeard ?? cutoff) >= cutoff }
        rebirthAsked = rebirthAsked.filter { $0.value >= cutoff }
    }

    /// The longest wait between rebirth requests to a node whose rebirths do not help (it keeps
    /// sending what its births never declare): the interval doubles from `rebirthIntervalMs`
    /// with each such request, up to this.
    static let longestRebirthIntervalMs: Int64 = 600_000

    /// Whether the interval has passed since `last`: `rebirthIntervalMs` after the first of
    /// `unanswered` requests, doubled for each one after it (a clock that went back counts as
    /// passed).
    static func intervalPassed(since last: Int64?, now: Int64, unanswered: Int = 0) -> Bool {
        guard let last else { return true }
        let interval = Swift.min(longestRebirthIntervalMs, rebirthIntervalMs << Int64(Swift.min(Swift.max(unanswered - 1, 0), 6)))
        return now - last >= interval || now < last
    }

    /// Whether a rebirth may be asked at `now` of `node`, one without a birth here (a node with
    /// one keeps its own rate limit: `SparkplugNode.lastRebirthRequest`); if so, it is recorded.
    mutating func mayAskRebirth(_ node: String, at now: Int64, cap: Int) -> Bool {
        guard Self.intervalPassed(since: rebirthAsked[node], now: now) else { return false }
        if rebirthAsked.count >= cap { rebirthAsked = rebirthAsked.filter { now - $0.value < Self.rebirthIntervalMs } }
        guard rebirthAsked.count < cap else { return false }
        rebirthAsked[node] = now
        return true
    }
}

/// What the Sparkplug input did besides readings, for `/metrics` and the status page.
public struct SparkplugCounters: Codable, Sendable, Equatable {
    public var nodeBirths = 0
    public var deviceBirths = 0
    public var nodeDeaths = 0
    public var deviceDeaths = 0
    public var rebirthRequests = 0
    /// Metrics not made streams: not numeric (booleans, strings, ...), or no measurement is
    /// mapped to their name.
    public var metricsIgnored = 0
    /// Metrics with `is_null`: no reading (their place is a gap, filled as one).
    public var nullMetrics = 0
    /// Host `STATE` and command messages seen under the filter (other hosts' traffic, not data).
    public var otherMessages = 0
    /// Messages placed more than 128 ahead of a node's sequence by their timestamp (how many
    /// were lost is not known).
    public var sequenceJumps = 0
    /// The edge node (`<group>.<node>`, as its dead letters name it) of the last sequence
    /// jump, for the log and `/healthz` (nil: none since the engine began, or an older snapshot).
    public var lastSequenceJumpNode: String?
    /// Data messages held for want of a birth (a node's before its NBIRTH, a device's before
    /// its DBIRTH), and of those, the ones read once the birth arrived (the others were
    /// dead-lettered `sparkplug:no_birth`).
    public var heldForBirth = 0
    public var readAfterBirth = 0
    /// Birth metrics whose timestamp was no later than their stream's newest reading: the
    /// current value repeated by a (re)birth, not a new reading.
    public var birthRepeats = 0

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeBirths = try c.decodeIfPresent(Int.self, forKey: .nodeBirths) ?? 0
        deviceBirths = try c.decodeIfPresent(Int.self, forKey: .deviceBirths) ?? 0
        nodeDeaths = try c.decodeIfPresent(Int.self, forKey: .nodeDeaths) ?? 0
        deviceDeaths = try c.decodeIfPresent(Int.self, forKey: .deviceDeaths) ?? 0
        rebirthRequests = try c.decodeIfPresent(Int.self, forKey: .rebirthRequests) ?? 0
        metricsIgnored = try c.decodeIfPresent(Int.self, forKey: .metricsIgnored) ?? 0
        nullMetrics = try c.decodeIfPresent(Int.self, forKey: .nullMetrics) ?? 0
        otherMessages = try c.decodeIfPresent(Int.self, forKey: .otherMessages) ?? 0
        sequenceJumps = try c.decodeIfPresent(Int.self, forKey: .sequenceJumps) ?? 0
        lastSequenceJumpNode = try c.decodeIfPresent(String.self, forKey: .lastSequenceJumpNode)
        heldForBirth = try c.decodeIfPresent(Int.self, forKey: .heldForBirth) ?? 0
        readAfterBirth = try c.decodeIfPresent(Int.self, forKey: .readAfterBirth) ?? 0
        birthRepeats = try c.decodeIfPresent(Int.self, forKey: .birthRepeats) ?? 0
    }
}
