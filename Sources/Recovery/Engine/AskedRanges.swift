/// The seq ranges a sensor's current epoch was asked to resend (gap requests, the requests for
/// holes among a new sensor's first readings, the stale sensor's open-ended request): a reading
/// inside one is an answer, or a late or duplicate one, never a sequence reset, however far below
/// the newest seq it lies.
///
/// Bounded: ranges that overlap or touch are merged, at most `cap` are kept (past that the two
/// closest are merged, which only widens what counts as asked), and a range is forgotten once it
/// was last asked more than the late horizon ago (an answer to it could only be too late).
/// Touched only when a resend is requested and when a reading falls back by more than the reset
/// threshold, never on the common path. The same bounded set keeps the seqs an epoch under a
/// boot value used again skipped (`SensorState.skippedReused`).
struct AskedRanges: Codable, Sendable, Equatable {
    struct Range: Codable, Sendable, Equatable {
        var from: UInt64
        /// `UInt64.max` for the open-ended request.
        var to: UInt64
        /// When it (or a range merged into it) was last asked for.
        var askedAt: Int64
    }

    static let cap = 16

    /// Disjoint, not touching, in seq order.
    private(set) var ranges: [Range] = []

    init() {}

    var isEmpty: Bool { ranges.isEmpty }

    /// Notes a request for `from...to` (`to` nil: open-ended) made at `now`.
    mutating func add(from: UInt64, to: UInt64?, at now: Int64) {
        var merged = Range(from: from, to: to ?? .max, askedAt: now)
        guard merged.from <= merged.to else { return }
        // The ranges merged.from - 1 ... merged.to + 1 touch: merge them in.
        let lo = merged.from == 0 ? 0 : merged.from - 1
        let hi = merged.to == .max ? .max : merged.to + 1
        var firstTouching = ranges.count
        var pastTouching = ranges.count
        for (i, r) in ranges.enumerated() {
            if r.to < lo { continue }
            if r.from > hi {
                pastTouching = i
                break
            }
            if firstTouching == ranges.count { firstTouching = i }
            merged.from = Swift.min(merged.from, r.from)
            merged.to = Swift.max(merged.to, r.to)
            merged.askedAt = Swift.max(merged.askedAt, r.askedAt)
        }
        if firstTouching == ranges.count {
            firstTouching = pastTouching
        }
        ranges.replaceSubrange(firstTouching..<pastTouching, with: [merged])
        while ranges.count > Self.cap {
            // Merge the two neighbours with the fewest seqs between them.
            var best = 0
            for i in 1..<(ranges.count - 1) where ranges[i + 1].from - ranges[i].to < ranges[best + 1].from - ranges[best].to {
                best = i
            }
            ranges[best].to = ranges[best + 1].to
            ranges[best].askedAt = Swift.max(ranges[best].askedAt, ranges[best + 1].askedAt)
            ranges.remove(at: best + 1)
        }
    }

    func contains(_ seq: UInt64) -> Bool {
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].to < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].from <= seq
    }

    /// Forgets ranges last asked for more than `horizon` ago.
    mutating func prune(now: Int64, horizon: Int64) {
        ranges.removeAll { now - $0.askedAt > horizon }
    }
}
