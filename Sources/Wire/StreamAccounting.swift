/// Checks cleaned output against the contract's guarantees (docs/INTERFACE.md section 2), the
/// way a consumer would: per stream (sensor and boot), non-`restated` messages in strictly
/// increasing seq order, each seq covered exactly once (by a reading or inside one `gap`), and
/// no two messages for one (sensor, boot, seq, quality) that differ. Identical re-publications
/// (allowed after a crash) count once.
///
/// Shared by `sensor-sim verify` and the tests, so both score output the same way.
public struct StreamAccounting: Sendable {
    /// The quality each covered seq was first covered with, per stream.
    public private(set) var coverage: [StreamKey: [UInt64: CleanedReading.Quality]] = [:]
    /// Distinct messages per quality (a `gap` counts once, however many seqs it covers).
    public private(set) var messagesByQuality: [CleanedReading.Quality: Int] = [:]
    /// Seqs covered by `gap` messages.
    public private(set) var seqsInGaps = 0
    public private(set) var orderViolations = 0
    public private(set) var conflictingDuplicates = 0
    public private(set) var seqsCoveredTwice = 0
    /// The first few of each kind of problem, described for a test failure or a report.
    public private(set) var problems: [String] = []

    /// A gap covering more seqs than this is counted only this far (a hostile seq jump must not
    /// make the checker allocate without bound).
    public static let maxSeqsPerGap: UInt64 = 1_000_000
    private static let problemsKept = 20

    private var seen: [DedupeKey: CleanedReading] = [:]
    private var lastSeq: [StreamKey: UInt64] = [:]
    private var spans: [StreamKey: ClosedRange<UInt64>] = [:]

    private struct DedupeKey: Hashable {
        var stream: StreamKey
        var seq: UInt64
        var quality: CleanedReading.Quality
    }

    public init() {}

    public init(_ messages: some Sequence<CleanedReading>) {
        for m in messages { add(m) }
    }

    /// Accounts for one message; returns false when it repeats one already seen (same key).
    @discardableResult
    public mutating func add(_ m: CleanedReading) -> Bool {
        let stream = m.stream
        let key = DedupeKey(stream: stream, seq: m.seq, quality: m.quality)
        // A gap standing in for publications the journal lost (docs/INTERFACE.md section 2): the
        // consumer may hold some of its seqs already, even under the same key, and then keeps
        // its own; the gap covers only the seqs nothing else did.
        let standIn = m.isJournalDamageGap
        if let earlier = seen[key], !standIn || earlier == m {
            if earlier != m {
                conflictingDuplicates += 1
                note("conflicting duplicate for \(stream)/\(m.seq)/\(m.quality.rawValue): \(earlier) vs \(m)")
            }
            return false
        }
        let low = m.coveredSeqs.lowerBound
        let seqs = m.coveredSeqs.clamped(to: low...(low + min(Self.maxSeqsPerGap, UInt64.max - low)))
        if standIn, seqs.allSatisfy({ coverage[stream]?[$0] != nil }) { return false }
        if seen[key] == nil { seen[key] = m }
        messagesByQuality[m.quality, default: 0] += 1
        if m.quality == .restated { return true }
        // A stand-in goes out at the restart, after later messages that had gone out before
        // (docs/INTERFACE.md section 2): it covers what nothing else did, wherever it lies.
        if !standIn, let last = lastSeq[stream], seqs.lowerBound <= last {
            orderViolations += 1
            note("\(stream): seq \(seqs.lowerBound) published after \(last)")
        }
        lastSeq[stream] = standIn ? max(lastSeq[stream] ?? seqs.upperBound, seqs.upperBound) : seqs.upperBound
        spans[stream] = spans[stream].map { min($0.lowerBound, seqs.lowerBound)...max($0.upperBound, seqs.upperBound) } ?? seqs
        if m.quality == .gap { seqsInGaps += seqs.count }
        for s in seqs {
            if coverage[stream]?[s] != nil {
                if standIn { continue }
                seqsCoveredTwice += 1
                note("\(stream): seq \(s) covered twice")
            } else {
                coverage[stream, default: [:]][s] = m.quality
            }
        }
        return true
    }

    /// The quality that covered `seq` of `stream`, if any did.
    public func quality(of stream: StreamKey, seq: UInt64) -> CleanedReading.Quality? { coverage[stream]?[seq] }

    /// The lowest to the highest seq covered in `stream`.
    public func span(of stream: StreamKey) -> ClosedRange<UInt64>? { spans[stream] }

    /// Seqs inside each stream's span that nothing covered.
    public var holes: [StreamKey: [UInt64]] {
        var out: [StreamKey: [UInt64]] = [:]
        for (stream, seqs) in coverage {
            guard let span = span(of: stream), UInt64(seqs.count) != span.upperBound - span.lowerBound + 1 else { continue }
            out[stream] = span.filter { seqs[$0] == nil }
        }
        return out
    }

    /// Per stream, the covered seqs in order.
    public var coveredSeqs: [StreamKey: [UInt64]] { coverage.mapValues { $0.keys.sorted() } }

    /// Problems including holes: empty when the output keeps every guarantee.
    public var allProblems: [String] {
        problems + holes.sorted { $0.key < $1.key }.prefix(Self.problemsKept).map { "\($0.key): seqs never covered \($0.value.prefix(5))" }
    }

    private mutating func note(_ problem: String) {
        if problems.count < Self.problemsKept { problems.append(problem) }
    }
}
