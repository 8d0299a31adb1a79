import Sparkplug

/// What the gateway knows of one edge node since its last NBIRTH (Sparkplug 3.0 sections 7.1-7.3):
/// the epoch its streams are in, its message sequence, the metrics its births declared (names,
/// aliases, datatypes) and each metric's seqs. Saved in the engine's snapshot, so a restart
/// reads data messages by alias without a rebirth.
struct SparkplugNode: Codable, Sendable {
    /// The engine epoch (`boot`) of the node's streams: a new NBIRTH starts a new one.
    private(set) var boot: Int64
    /// The NBIRTH's `bdSeq` metric; an NDEATH with another one is an older session's.
    private(set) var bdSeq: UInt64?
    /// The NBIRTH payload's timestamp, to know the same birth delivered twice.
    private(set) var birthTimestamp: UInt64?
    private(set) var sequence: SparkplugSequence
    /// Declared metrics by key (`metricKey`), and aliases to keys.
    private var metrics: [String: SparkplugDataType] = [:]
    private var aliases: [UInt64: String] = [:]
    /// Aliases the birth gave to two metrics (nil: none).
    private var ambiguousAliases: Set<UInt64>?
    /// Devices that have a DBIRTH since the NBIRTH and no DDEATH after it.
    private(set) var liveDevices: Set<String> = []
    private var slots: [String: SparkplugSlots] = [:]
    /// When a rebirth was last asked of it (journal time), for the rate limit.
    var lastRebirthRequest: Int64?
    /// Rebirths asked since its data was last read whole (nil: none): each doubles the wait
    /// before the next (`SparkplugNodes.intervalPassed`), so a node whose births never declare
    /// what it sends is not made to rebirth every 10 s for ever.
    var unansweredRebirths: Int?
    /// An NDEATH of this birth arrived.
    var dead = false
    /// When the node was last heard from (journal time): a node silent for `sensor-retention-s`
    /// is forgotten like a sensor (`SparkplugNodes.forgetSilent`). nil in older snapshots.
    var lastHeard: Int64?

    /// The most metrics one node may declare (births beyond it are refused): the registry is
    /// bounded whatever an edge node sends.
    static let maxMetrics = 10_000

    init(boot: Int64, bdSeq: UInt64?, birthTimestamp: UInt64?, birthSeq: UInt64) {
        self.boot = boot
        self.bdSeq = bdSeq
        self.birthTimestamp = birthTimestamp
        sequence = SparkplugSequence(birthSeq: birthSeq, timestamp: birthTimestamp)
    }

    /// A metric's key: its device (empty for the node's own) and name, apart by a character
    /// neither can hold in a topic or a name the gateway accepts.
    static func metricKey(device: String?, name: String) -> String { (device ?? "") + "\u{1F}" + name }

    /// Records a birth's metric; false when the node already declares `maxMetrics`.
    mutating func declare(device: String?, name: String, alias: UInt64?, datatype: SparkplugDataType) -> Bool {
        let key = Self.metricKey(device: device, name: name)
        if metrics[key] == nil && metrics.count >= Self.maxMetrics { return false }
        metrics[key] = datatype
        if let alias { aliases[alias] = key }
        return true
    }

    /// Forgets `alias`: a birth gave it to two metrics (or two aliases to one name), so data by
    /// it cannot be told apart and is refused rather than read as either. It is remembered as
    /// ambiguous: a rebirth would repeat the birth, so none is asked for it.
    mutating func forgetAlias(_ alias: UInt64) {
        aliases[alias] = nil
        ambiguousAliases = (ambiguousAliases ?? []).union([alias])
    }

    /// Whether a birth made `alias` ambiguous (`forgetAlias`).
    func isAmbiguous(_ alias: UInt64?) -> Bool { alias.map { ambiguousAliases?.contains($0) ?? false } ?? false }

    /// A rebirth in the same session (the same `bdSeq`, not dead: what a rebirth request brings):
    /// the declarations are the new birth's, the sequence starts again at its `seq`, placed after
    /// every counter of the session so far, and the streams keep their epoch and seqs.
    mutating func reborn(from birth: SparkplugNode) {
        metrics = birth.metrics
        aliases = birth.aliases
        ambiguousAliases = birth.ambiguousAliases
        liveDevices = []
        birthTimestamp = birth.birthTimestamp
        sequence = SparkplugSequence(continuing: sequence, birthSeq: UInt64(birth.sequence.birth & 0xFF), timestamp: birth.birthTimestamp)
    }

    /// Data held for want of a birth is about to be read, the first of it with `seq`: the
    /// sequence starts just before it, so the held messages are placed (and gaps among them
    /// found) as if the node had been born there. `restartSequence` then places the birth
    /// that brought them after them.
    mutating func startSequence(before seq: UInt64) {
        sequence = SparkplugSequence(birthSeq: (seq &- 1) & 0xFF)
    }

    /// The birth that arrived after held data: its `seq` placed after every counter so far, as
    /// a rebirth's (what lies between counts as arrived).
    mutating func restartSequence(birthSeq: UInt64, timestamp: UInt64?) {
        sequence = SparkplugSequence(continuing: sequence, birthSeq: birthSeq, timestamp: timestamp)
    }

    /// Forgets metric `name` of `device`: a birth declared it twice, so its values cannot be
    /// told apart.
    mutating func forgetMetric(device: String?, name: String) {
        let key = Self.metricKey(device: device, name: name)
        metrics[key] = nil
        for (alias, named) in aliases where named == key { forgetAlias(alias) }
    }

    /// A data message's metric, by name or alias: its key and datatype as the birth declared;
    /// nil when the birth did not declare it (or declared it for another device).
    func resolve(_ metric: SparkplugMetric, device: String?) -> (key: String, name: String, datatype: SparkplugDataType)? {
        let key: String
        if let name = metric.name {
            key = Self.metricKey(device: device, name: name)
            // A name and an alias that name two metrics: which one the node meant is unknown.
            if let alias = metric.alias, aliases[alias].map({ $0 != key }) ?? false { return nil }
        } else if let alias = metric.alias, let aliased = aliases[alias] {
            key = aliased
        } else {
            return nil
        }
        let prefix = (device ?? "") + "\u{1F}"
        guard key.hasPrefix(prefix), let datatype = metrics[key] else { return nil }
        return (key, String(key.dropFirst(prefix.count)), datatype)
    }

    mutating func deviceBorn(_ device: String) { liveDevices.insert(device) }
    mutating func deviceDied(_ device: String) { liveDevices.remove(device) }

    /// The seq of metric `key`'s reading in the message at counter `c` (`SparkplugSlots`). A
    /// metric first read at a counter before the birth (a device's data held until its DBIRTH,
    /// read after a rebirth) starts there.
    mutating func seq(of key: String, at c: Int64) -> UInt64? {
        var s = slots[key] ?? SparkplugSlots(birth: Swift.min(sequence.birth, c))
        defer { slots[key] = s }
        return s.seq(at: c, sequence)
    }

    mutating func accept(_ c: Int64, timestamp: UInt64?, print: UInt32) { sequence.accept(c, timestamp: timestamp, print: print) }
}
