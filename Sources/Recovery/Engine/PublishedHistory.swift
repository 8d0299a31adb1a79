/// What a sensor's current epoch published as something other than `ok` (runs of `synthetic`,
/// single `corrected` seqs, `gap` spans) and when: the record that decides whether a reading
/// for an already-published seq is a restatement, too late, or a duplicate.
///
/// Only non-`ok` publications are kept, as ranges, so memory follows the number of fills, not
/// the number of readings. Entries past the late horizon are kept (up to `expiredCap`, the newest)
/// only to answer `too_late`; a reading for an older one counts as a duplicate.
struct PublishedHistory: Codable, Sendable, Equatable {
    /// One run of seqs published as `quality` at `publishedAt`. 32 bytes: a sensor at field
    /// fault rates holds a few hundred over the late horizon.
    struct Entry: Sendable, Equatable {
        var from: UInt64
        var to: UInt64
        var quality: Quality
        /// For a `corrected` seq, the out-of-range value received (as a `Float`, which fits the
        /// entry's padding: still 32 bytes); NaN otherwise. A copy of it is a duplicate whatever
        /// the valid range is by then (`rejectedValue(of:)`).
        var rejected: Float = .nan
        var publishedAt: Int64

        init(from: UInt64, to: UInt64, quality: Quality, rejected: Float = .nan, publishedAt: Int64) {
            self.from = from
            self.to = to
            self.quality = quality
            self.rejected = rejected
            self.publishedAt = publishedAt
        }

        /// This entry cut to `seqs` (within it).
        func part(_ seqs: ClosedRange<UInt64>) -> Entry {
            Entry(from: seqs.lowerBound, to: seqs.upperBound, quality: quality, rejected: rejected, publishedAt: publishedAt)
        }

        static func == (a: Entry, b: Entry) -> Bool {
            a.from == b.from && a.to == b.to && a.quality == b.quality && a.publishedAt == b.publishedAt
                && a.rejected.bitPattern == b.rejected.bitPattern
        }
    }

    /// An entry as snapshots of format 5 hold it, keyed, with the seqs restated in it.
    struct KeyedEntry: Codable, Sendable, Equatable {
        var from: UInt64
        var to: UInt64
        var quality: Quality
        var publishedAt: Int64
        var restated: [UInt64] = []
    }

    enum Lookup: Equatable {
        case restatable(Quality)
        case expired
        /// Published `ok`, or already restated: a duplicate.
        case settled
    }

    static let expiredCap = 64
    private(set) var entries: [Entry] = []
    /// Seqs already restated (a seq is restated at most once), ascending, each inside an entry:
    /// one list for the sensor rather than one per entry, as most entries are a single seq and
    /// few of them are ever restated.
    private(set) var restated: [UInt64] = []
    /// The latest `now - horizon` a prune applied: an entry published before it expired
    /// under the late horizon then in force and stays expired when a reload lengthens the
    /// horizon, as the aggregate windows that prune forgot stay forgotten (found black-box, 80th
    /// review: a horizon shortened and lengthened again restated a fill whose window was gone,
    /// and no aggregate followed). nil: never pruned, and in older snapshots.
    private(set) var expiredBefore: Int64?

    /// Records `from...to` as published as `quality` at `time`, for the seqs no entry covers
    /// yet: what a seq was published as first stays, with its restatement. Entries stay in seq
    /// order and never overlap (`index(of:)` searches them): an epoch publishes in seq order, but
    /// a journal's estimate noted ahead of where a restored stream stands
    /// (`SensorState.noteJournaledEstimate`) comes before the stream's own for earlier seqs, and
    /// a restart's replay records its own estimates for seqs whose journaled ones it adopted,
    /// which went out (found by the fault simulator, aimed finding-8 seed 16,844: the replay's
    /// `synthetic` beside the journal's `gap`, restated since; a later copy of the reading found
    /// the `synthetic` and was restated a second time).
    /// `rejected`: for a `corrected` seq, the out-of-range value received.
    mutating func record(from: UInt64, to: UInt64, quality: Quality, rejected: Double? = nil, at time: Int64) {
        guard from <= to else { return }
        let value = rejected.map(Float.init) ?? .nan
        // The usual case: after every entry.
        guard let last = entries.last, last.to >= from else {
            return entries.append(Entry(from: from, to: to, quality: quality, rejected: value, publishedAt: time))
        }
        var next = from
        for e in entries where e.to >= from && e.from <= to {
            if e.from > next { insert(Entry(from: next, to: e.from - 1, quality: quality, rejected: value, publishedAt: time)) }
            if e.to >= to { return }
            next = Swift.max(next, e.to + 1)
        }
        insert(Entry(from: next, to: to, quality: quality, rejected: value, publishedAt: time))
    }

    /// Inserts `entry` in seq order (it overlaps none).
    private mutating func insert(_ entry: Entry) {
        guard let last = entries.last, last.from > entry.from else { return entries.append(entry) }
        entries.insert(entry, at: entries.firstIndex { $0.from > entry.from } ?? entries.endIndex)
    }

    func lookup(_ seq: UInt64, now: Int64, horizon: Int64) -> Lookup {
        guard let i = index(of: seq) else { return .settled }
        let e = entries[i]
        if isRestated(seq) { return .settled }
        return now - e.publishedAt > horizon || e.publishedAt < (expiredBefore ?? .min) ? .expired : .restatable(e.quality)
    }

    /// The out-of-range value received for `seq`, when it was published `corrected` (as a
    /// `Float`: a reading whose value rounds to it is a copy).
    func rejectedValue(of seq: UInt64) -> Float? {
        guard let i = index(of: seq), entries[i].quality == .corrected, !entries[i].rejected.isNaN else { return nil }
        return entries[i].rejected
    }

    /// Whether `seq` was published this epoch as something other than `ok` (restatable or not).
    func covers(_ seq: UInt64) -> Bool { index(of: seq) != nil }

    /// What `seq` was published as this epoch, when it was an estimate or a gap.
    func quality(of seq: UInt64) -> Quality? { index(of: seq).map { entries[$0].quality } }

    mutating func markRestated(_ seq: UInt64) {
        guard index(of: seq) != nil else { return }
        let i = restatedIndex(atOrAbove: seq)
        if i == restated.count || restated[i] != seq { restated.insert(seq, at: i) }
    }

    /// Drops the oldest expired entries beyond the cap.
    mutating func prune(now: Int64, horizon: Int64) {
        expiredBefore = Swift.max(expiredBefore ?? .min, now - horizon)
        let expired = entries.prefix { now - $0.publishedAt > horizon }.count
        if expired > PublishedHistory.expiredCap {
            entries.removeFirst(expired - PublishedHistory.expiredCap)
            restated.removeFirst(restatedIndex(atOrAbove: entries.first?.from ?? .max))
        }
    }

    mutating func removeAll() {
        entries.removeAll()
        restated.removeAll()
    }

    /// The seqs published as `synthetic` or as a `gap`, and those of them restated since.
    func estimatesAndGaps() -> (ranges: [ClosedRange<UInt64>], restated: [UInt64]) {
        let ranges = entries.filter { $0.quality == .synthetic || $0.quality == .gap }.map { $0.from...$0.to }
        return (ranges, restated.filter { seq in index(of: seq).map { entries[$0].quality == .synthetic || entries[$0].quality == .gap } ?? false })
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Drops every entry past the late horizon: for a closed epoch's history
    /// (`ClosedEpochHistory`), where a seq no entry covers is too late anyway.
    mutating func dropExpired(now: Int64, horizon: Int64) {
        entries.removeAll { now - $0.publishedAt > horizon }
        dropRestatedOutsideEntries()
    }

    /// Forgets what `seqs` were published as: a reading for one of them is then a duplicate. For
    /// estimates a restart made again but withheld, because the broker showed those seqs out
    /// already in a form the journal lost (`RestoreScan.Outcome.takeBrokerLatest`).
    mutating func forget(_ seqs: ClosedRange<UInt64>) {
        var kept: [Entry] = []
        for e in entries {
            guard e.from <= seqs.upperBound, e.to >= seqs.lowerBound else {
                kept.append(e)
                continue
            }
            if e.from < seqs.lowerBound { kept.append(e.part(e.from...(seqs.lowerBound - 1))) }
            if e.to > seqs.upperBound { kept.append(e.part((seqs.upperBound + 1)...e.to)) }
        }
        entries = kept
        restated.removeAll { seqs.contains($0) }
    }

    /// Says `seqs` were published as `quality` where an entry holds them as another estimate:
    /// a restore's journal shows that estimate went out, not the one the replay made
    /// (`SensorState.adoptJournaled`), so a restatement supersedes what consumers hold. Seqs
    /// published `ok` (no entry) stay as they are; restated seqs stay restated.
    mutating func relabel(_ seqs: ClosedRange<UInt64>, as quality: Quality) {
        guard entries.contains(where: { $0.from <= seqs.upperBound && $0.to >= seqs.lowerBound && $0.quality != quality }) else { return }
        var kept: [Entry] = []
        for e in entries {
            guard e.from <= seqs.upperBound, e.to >= seqs.lowerBound, e.quality != quality else {
                kept.append(e)
                continue
            }
            let (from, to) = (Swift.max(e.from, seqs.lowerBound), Swift.min(e.to, seqs.upperBound))
            if e.from < from { kept.append(e.part(e.from...(from - 1))) }
            var middle = e.part(from...to)
            middle.quality = quality
            kept.append(middle)
            if e.to > to { kept.append(e.part((to + 1)...e.to)) }
        }
        entries = kept
    }

    /// Entries a forgotten sensor keeps (`RememberedSensor`): the newest `rememberedEntries` still
    /// restatable at `now`, leaving out any with more than `rememberedRestated` seqs restated
    /// already, so a remembered sensor costs at most a few kilobytes. nil when none qualifies.
    func remembered(now: Int64, horizon: Int64) -> PublishedHistory? {
        var kept = PublishedHistory()
        kept.entries = entries.filter {
            now - $0.publishedAt <= horizon && $0.publishedAt >= (expiredBefore ?? .min) && restatedCount(in: $0) <= Self.rememberedRestated
        }
        .suffix(Self.rememberedEntries)
        kept.restated = restated
        kept.expiredBefore = expiredBefore
        kept.dropRestatedOutsideEntries()
        return kept.entries.isEmpty ? nil : kept
    }

    /// How many seqs of `entry` (one of `entries`) were restated.
    private func restatedCount(in entry: Entry) -> Int {
        restatedIndex(while: { $0 <= entry.to }) - restatedIndex(atOrAbove: entry.from)
    }

    /// The first index of `restated` whose seq is `seq` or above (its count when none is).
    private func restatedIndex(atOrAbove seq: UInt64) -> Int { restatedIndex(while: { $0 < seq }) }

    /// The first index of `restated` whose seq is not `below` (seqs ascend, so `below` holds
    /// for a prefix).
    private func restatedIndex(while below: (UInt64) -> Bool) -> Int {
        var lo = 0, hi = restated.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if below(restated[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func isRestated(_ seq: UInt64) -> Bool {
        let i = restatedIndex(atOrAbove: seq)
        return i < restated.count && restated[i] == seq
    }

    /// Keeps `restated` to the seqs some entry still holds.
    private mutating func dropRestatedOutsideEntries() {
        let before = self
        restated.removeAll { before.index(of: $0) == nil }
    }

    /// The entries in the keyed form of snapshots of format 5, each with its restated seqs.
    var keyedEntries: [KeyedEntry] {
        var next = 0
        return entries.map { e in
            var keyed = KeyedEntry(from: e.from, to: e.to, quality: e.quality, publishedAt: e.publishedAt)
            while next < restated.count, restated[next] < e.from { next += 1 }
            while next < restated.count, restated[next] <= e.to {
                keyed.restated.append(restated[next])
                next += 1
            }
            return keyed
        }
    }

    /// A history of `keyed` entries (in seq order, none overlapping).
    init(keyed: [KeyedEntry]) {
        entries = keyed.map { Entry(from: $0.from, to: $0.to, quality: $0.quality, publishedAt: $0.publishedAt) }
        restated = keyed.flatMap { k in k.restated.filter { k.from <= $0 && $0 <= k.to } }
        sortRestated()
    }

    // MARK: - Coding

    /// Written packed: one list of integers, each entry as its distance from the previous one's
    /// end, its length, its quality, its time after the previous one's, and its restated seqs
    /// (count, then each as an offset into the range). Small integers take a byte or two where
    /// keyed entries took about fifty (most of a sensor's snapshot at a field's fault rates).
    /// `entries` (keyed) is still read, from snapshots of format 5.
    /// `rejectedSeqs` and `rejectedValues`: each `corrected` entry's rejected value, its seq as
    /// the distance from the previous one's (small numbers, as `packed`), under keys of their own,
    /// which snapshots from before them lack and older versions skip.
    private enum CodingKeys: String, CodingKey { case entries, packed, expiredBefore, rejectedSeqs, rejectedValues }

    private static let qualities: [Quality] = [.ok, .corrected, .synthetic, .restated, .gap]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let packed = try c.decodeIfPresent([Int64].self, forKey: .packed) {
            self = try Self.unpack(packed)
        } else {
            self.init(keyed: try c.decodeIfPresent([KeyedEntry].self, forKey: .entries) ?? [])
        }
        expiredBefore = try c.decodeIfPresent(Int64.self, forKey: .expiredBefore)
        let seqs = try c.decodeIfPresent([Int64].self, forKey: .rejectedSeqs) ?? []
        let values = try c.decodeIfPresent([Float].self, forKey: .rejectedValues) ?? []
        var seq: Int64 = 0
        for (distance, value) in zip(seqs, values) {
            seq = seq &+ distance
            guard let i = index(of: UInt64(bitPattern: seq)), entries[i].quality == .corrected else { continue }
            entries[i].rejected = value
        }
    }

    init() {}

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.pack(keyedEntries), forKey: .packed)
        try c.encodeIfPresent(expiredBefore, forKey: .expiredBefore)
        let rejected = entries.filter { $0.quality == .corrected && !$0.rejected.isNaN }
        guard !rejected.isEmpty else { return }
        var previous: Int64 = 0
        let seqs = rejected.map { e in
            defer { previous = Int64(bitPattern: e.from) }
            return Int64(bitPattern: e.from) &- previous
        }
        try c.encode(seqs, forKey: .rejectedSeqs)
        try c.encode(rejected.map(\.rejected), forKey: .rejectedValues)
    }

    static func pack(_ entries: [KeyedEntry]) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(entries.count * 5)
        var (lastTo, lastAt): (Int64, Int64) = (0, 0)
        for e in entries {
            let (from, to) = (Int64(bitPattern: e.from), Int64(bitPattern: e.to))
            out += [from &- lastTo, to &- from, Int64(qualities.firstIndex(of: e.quality) ?? 0), e.publishedAt &- lastAt, Int64(e.restated.count)]
            out += e.restated.map { Int64(bitPattern: $0) &- from }
            (lastTo, lastAt) = (to, e.publishedAt)
        }
        return out
    }

    static func unpack(_ packed: [Int64]) throws -> PublishedHistory {
        struct Damaged: Error {}
        var history = PublishedHistory()
        var i = 0
        var (lastTo, lastAt): (Int64, Int64) = (0, 0)
        func next() throws -> Int64 {
            guard i < packed.count else { throw Damaged() }
            defer { i += 1 }
            return packed[i]
        }
        while i < packed.count {
            let from = lastTo &+ (try next())
            let to = from &+ (try next())
            let q = try next()
            guard qualities.indices.contains(Int(truncatingIfNeeded: q)) else { throw Damaged() }
            let at = lastAt &+ (try next())
            let restatedCount = try next()
            guard restatedCount >= 0, restatedCount <= packed.count - i else { throw Damaged() }
            let e = Entry(from: UInt64(bitPattern: from), to: UInt64(bitPattern: to), quality: qualities[Int(q)], publishedAt: at)
            for _ in 0..<restatedCount {
                let seq = UInt64(bitPattern: from &+ (try next()))
                if e.from <= seq && seq <= e.to { history.restated.append(seq) }
            }
            history.entries.append(e)
            (lastTo, lastAt) = (to, at)
        }
        history.sortRestated()
        return history
    }

    /// Puts `restated` in order without repeats: a snapshot lists each entry's restated seqs in
    /// the order they were restated.
    private mutating func sortRestated() {
        restated.sort()
        var kept = 0
        for j in restated.indices where kept == 0 || restated[kept - 1] != restated[j] {
            restated[kept] = restated[j]
            kept += 1
        }
        restated.removeLast(restated.count - kept)
    }

    static let rememberedEntries = 8
    static let rememberedRestated = 64

    /// Entries are appended in seq order within an epoch, so binary search finds the range.
    private func index(of seq: UInt64) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].to < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < entries.count && entries[lo].from <= seq ? lo : nil
    }
}
