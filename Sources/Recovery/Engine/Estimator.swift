import DeterministicRandom

/// A known point of a sensor's series: the neighbours an estimate is drawn from.
struct Anchor: Codable, Sendable, Equatable {
    var seq: UInt64
    var ts: Int64
    var value: Double
    var status: Reading.Status
}

/// Produces values for readings that are missing (`synthetic`) or invalid (`corrected`).
/// Deterministic: the same neighbours, history and seq always give the same value, and the
/// value always lies in the valid range.
struct Estimator {
    let validMin: Double
    let validMax: Double

    init(configuration: EngineConfiguration) {
        validMin = configuration.validMin
        validMax = configuration.validMax
    }

    /// The value for `seq` between `left` and `right` (either may be absent) by `method`.
    /// `recent` feeds the distribution method; `seed` makes its draw reproducible.
    func value(seq: UInt64, left: Anchor?, right: Anchor?, method: FillMethod, recent: RecentValues, seed: UInt64) -> Double {
        let raw: Double
        switch method {
        case .linear:
            if let l = left, let r = right, r.seq > l.seq {
                raw = l.value + (r.value - l.value) * Double(seq - l.seq) / Double(r.seq - l.seq)
            } else {
                raw = left?.value ?? right?.value ?? midpoint
            }
        case .locf:
            raw = left?.value ?? right?.value ?? midpoint
        case .distribution:
            if let (mean, spread) = recent.meanAndSpread() {
                var rng = SplitMix64(seed: seed)
                raw = mean + spread * rng.nextGaussian()
            } else {
                raw = left?.value ?? right?.value ?? midpoint
            }
        }
        return clampAndRound(raw)
    }

    var midpoint: Double { (validMin + validMax) / 2 }

    /// Generated values carry millidegree precision and never leave the valid range.
    func clampAndRound(_ v: Double) -> Double {
        // (A value too large to scale has no thousandths to round: it is kept as it is.)
        let scaled = v * 1000
        let rounded = scaled.isFinite ? scaled.rounded() / 1000 : v
        return Swift.min(validMax, Swift.max(validMin, rounded))
    }

    /// `value` (already in the valid range) kept inside `judged` too, the range that rejected the
    /// reading it replaces, when the two ranges overlap: a reload between the verdict and the
    /// release never makes the estimate one the verdict's own range would reject. Ranges that do
    /// not overlap leave the value in the range in force now.
    func bounded(_ value: Double, alsoWithin judged: ValidBounds) -> Double {
        let low = Swift.max(validMin, judged.min)
        let high = Swift.min(validMax, judged.max)
        guard low <= high else { return value }
        return Swift.min(high, Swift.max(low, value))
    }

    /// Event time for `seq`: interpolated between the anchors, or stepped from the one there is.
    /// Anchors whose times run backwards (the later seq stamped earlier: a clock that went back)
    /// give the left one's time: estimates never run backwards (found black-box, a Sparkplug
    /// message read as 96 ahead though it was 160 behind: 95 fills, each earlier than the last).
    ///
    /// Without a left anchor (an epoch's first seqs, missing before its first reading), `floor`
    /// names the fill's first seq and the newest `ts` the sensor had published (`OpenFill`): the
    /// missing readings came after that. When stepping back from the reading would put the
    /// fill's first seq at or before it, the estimates are spread evenly after it instead, as if
    /// the seq before the fill had been published at that `ts`. Stepped back, a long leading fill
    /// landed in aggregate windows closed and forgotten minutes before, which then went out again
    /// at revision 0 with other counts (fault simulator, finding 13).
    static func timestamp(
        seq: UInt64, left: Anchor?, right: Anchor?, step: Int64, after floor: OpenFill.Floor? = nil
    ) -> Int64 {
        if let l = left, let r = right, r.seq > l.seq {
            guard r.ts >= l.ts else { return l.ts }
            let fraction = Double(seq - l.seq) / Double(r.seq - l.seq)
            return l.ts + Int64((Double(r.ts - l.ts) * fraction).rounded())
        }
        if let l = left { return l.ts.addingSaturating(steps(seq - l.seq, of: step)) }
        guard let r = right else { return 0 }
        guard let floor, floor.firstSeq <= seq, seq < r.seq,
            r.ts.addingSaturating(-steps(r.seq - floor.firstSeq, of: step)) <= floor.ts
        else {
            return r.ts.addingSaturating(-steps(r.seq - seq, of: step))
        }
        guard r.ts > floor.ts else { return r.ts }
        let fraction = Double(seq - floor.firstSeq + 1) / Double(r.seq - floor.firstSeq + 1)
        return floor.ts + Int64((Double(r.ts - floor.ts) * fraction).rounded())
    }

    /// `count` steps of `step` ms, saturating: a fill's seqs times a step between two far-apart
    /// readings can pass what an `Int64` holds.
    private static func steps(_ count: UInt64, of step: Int64) -> Int64 {
        let (product, overflow) = Int64(clamping: count).multipliedReportingOverflow(by: step)
        return overflow ? (step < 0 ? -.max : .max) : product
    }

    /// Seed for a distribution draw: sensor id, boot and seq, as the contract requires.
    static func seed(sensorID: String, boot: Int64?, seq: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in sensorID.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        var mix = SplitMix64(seed: h ^ UInt64(bitPattern: boot ?? -1) &* 0x9E37_79B9_7F4A_7C15)
        return mix.next() ^ seq
    }
}

/// The last few valid values of a sensor, for the distribution fill.
struct RecentValues: Codable, Sendable {
    static let capacity = 32
    private var values: [Double] = []
    private var next = 0

    mutating func append(_ v: Double) {
        if values.count < RecentValues.capacity {
            values.append(v)
        } else {
            values[next] = v
            next = (next + 1) % RecentValues.capacity
        }
    }

    /// Mean and standard deviation, once at least two values are known.
    func meanAndSpread() -> (Double, Double)? {
        guard values.count >= 2 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }
}

extension Int64 {
    /// `self + other`, held at the bounds instead of trapping.
    fileprivate func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : sum
    }
}
