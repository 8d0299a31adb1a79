/// The packed form of a sensor's aggregate windows in the engine snapshot: the windows'
/// integers in one list and their values in another, since a keyed window took several hundred
/// bytes, most of a sensor's snapshot with the late horizon's windows held.
extension AggregateWindows {
    /// Stable codes for the qualities, kept apart from the enum's declaration order.
    private static let qualities: [Quality] = [.ok, .corrected, .synthetic, .restated, .gap]

    /// Added to an estimate's quality code when it is `ofClosedEpoch` (older snapshots have no
    /// code this large, so they read as before).
    private static let closedEpochCode: Int64 = 8

    private static func flag(_ b: Bool?) -> Int64 { b.map { $0 ? 2 : 1 } ?? 0 }
    private static func unflag(_ v: Int64) -> Bool? { v == 0 ? nil : v == 2 }

    static func pack(_ windows: [Window]) -> ([Int64], [Double]) {
        var ints: [Int64] = []
        var values: [Double] = []
        func summary(_ s: Summary) {
            ints.append(Int64(s.count))
            if s.count > 0 { values += [s.sum, s.min, s.max] }
        }
        var lastStart: Int64 = 0
        for w in windows {
            ints += [w.start &- lastStart, Int64(w.revision), w.closedAt == nil ? 0 : 1, (w.closedAt ?? 0) &- w.start]
            ints += [flag(w.closedEarly), flag(w.gapTouched), Int64(w.estimates.count)]
            var lastSeq: Int64 = 0
            for e in w.estimates {
                let code = Int64(qualities.firstIndex(of: e.quality) ?? 0) + (e.ofClosedEpoch == true ? closedEpochCode : 0)
                ints += [Int64(bitPattern: e.seq) &- lastSeq, code]
                values.append(e.value)
                lastSeq = Int64(bitPattern: e.seq)
            }
            summary(w.real)
            summary(w.foldedCorrected)
            summary(w.foldedSynthetic)
            lastStart = w.start
        }
        return (ints, values)
    }

    static func unpack(_ ints: [Int64], _ values: [Double]) throws -> [Window] {
        struct Damaged: Error {}
        var (i, v) = (0, 0)
        func int() throws -> Int64 {
            guard i < ints.count else { throw Damaged() }
            defer { i += 1 }
            return ints[i]
        }
        func value() throws -> Double {
            guard v < values.count else { throw Damaged() }
            defer { v += 1 }
            return values[v]
        }
        func summary() throws -> Summary {
            var s = Summary()
            let count = try int()
            guard count >= 0 else { throw Damaged() }
            if count > 0 { (s.count, s.sum, s.min, s.max) = (Int(count), try value(), try value(), try value()) }
            return s
        }
        var windows: [Window] = []
        var lastStart: Int64 = 0
        while i < ints.count {
            var w = Window(start: lastStart &+ (try int()))
            w.revision = Int(try int())
            let closed = try int()
            let closedAt = w.start &+ (try int())
            if closed != 0 { w.closedAt = closedAt }
            w.closedEarly = unflag(try int())
            w.gapTouched = unflag(try int())
            let estimates = try int()
            guard estimates >= 0, estimates <= ints.count - i else { throw Damaged() }
            var lastSeq: Int64 = 0
            for _ in 0..<estimates {
                let seq = lastSeq &+ (try int())
                let code = try int()
                let closedEpoch = code >= closedEpochCode
                let q = closedEpoch ? code - closedEpochCode : code
                guard qualities.indices.contains(Int(truncatingIfNeeded: q)) else { throw Damaged() }
                w.estimates.append(
                    Estimate(seq: UInt64(bitPattern: seq), value: try value(), quality: qualities[Int(q)], ofClosedEpoch: closedEpoch ? true : nil))
                lastSeq = seq
            }
            w.real = try summary()
            w.foldedCorrected = try summary()
            w.foldedSynthetic = try summary()
            windows.append(w)
            lastStart = w.start
        }
        guard v == values.count else { throw Damaged() }
        return windows
    }
}
