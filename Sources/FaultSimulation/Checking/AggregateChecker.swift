import Wire

/// Holds the aggregate windows the simulated consumers received against the cleaned readings
/// they received (docs/INTERFACE.md section 4, "Aggregates"): once the world has drained, each
/// window's newest revision must count exactly the readings of its stream whose `ts` falls in it
/// (a restated reading as `ok`, in place of the estimate it restates; gaps count nothing), and
/// its `min`, `max` and `mean` must be theirs while its estimates, restated since or not, were
/// few enough to be held individually (32). A window the stream's output passed without one is
/// missing. A window the consumers hold flagged `"journal_damaged":true` is not held to the
/// cleaned stream: the gateway sends that flag after a start that found journal damage, for
/// windows counted (partly) from before it. Until 2026-12-05 nothing checked aggregates here; a
/// black-box review had seen two windows of about 6,000 disagree with the cleaned stream once,
/// and could not reproduce it.
struct AggregateChecker {
    private struct WindowKey: Hashable {
        var stream: String
        var start: Int64
    }
    private struct ReadingKey: Hashable {
        var boot: Int64?
        var seq: UInt64
    }
    private struct Reading {
        var ts: Int64
        var quality: CleanedReading.Quality
        var value: Double?
    }

    /// Estimates a window holds individually; beyond, its values are a summary (INTERFACE.md).
    static let individualEstimates = 32

    private var windows: [WindowKey: AggregateWindowMessage] = [:]
    private var readings: [String: [ReadingKey: Reading]] = [:]
    /// The `ts` of every estimate each stream published, restated since or not: a window that
    /// held more than `individualEstimates` may have folded some, so its values are a summary.
    private var estimateTimes: [String: [Int64]] = [:]
    private(set) var aggregatesReceived = 0
    /// Windows one revision of which was published twice, differently (reported by `check`
    /// unless damage exempts them).
    private var contradicted = Set<WindowKey>()
    /// Streams a journal record of which damage destroyed (`exempt`): not checked.
    private var exempted = Set<String>()

    /// A cleaned reading of `stream` (`CleanedReading.sensorID` as `OutputMessages` names it)
    /// reached the consumers. The first copy of a seq counts, and a restatement replaces it.
    mutating func cleaned(_ m: CleanedReading) {
        guard m.quality != .gap else { return }
        let key = ReadingKey(boot: m.boot, seq: m.seq)
        if m.quality != .restated, readings[m.sensorID]?[key] != nil { return }
        if m.quality == .corrected || m.quality == .synthetic { estimateTimes[m.sensorID, default: []].append(m.ts) }
        readings[m.sensorID, default: [:]][key] = Reading(ts: m.ts, quality: m.quality == .restated ? .ok : m.quality, value: m.temperature)
    }

    /// Damage destroyed a journal record of `stream` (a reading's input or publication, or an
    /// aggregate): the restored engine no longer knows what it said, and rebuilds what it can
    /// from the rest, so its windows may disagree with what the consumers hold and are not
    /// checked (the contract promises a flagged `journal_damaged` gap there, not aggregates).
    mutating func exempt(stream: String) { exempted.insert(stream) }

    /// An aggregate of `stream` reached the consumers; a revision lower than one received before
    /// for its window is older news (a resend after a restart) and changes nothing.
    mutating func aggregate(_ payload: [UInt8], stream: String) -> Violation? {
        guard let m = try? WireJSON.decode(AggregateWindowMessage.self, from: payload) else {
            return Violation(invariant: .aggregates, detail: "unreadable aggregate \(String(decoding: payload, as: UTF8.self))")
        }
        aggregatesReceived += 1
        let key = WindowKey(stream: stream, start: m.windowStart)
        if let known = windows[key], known.revision > m.revision { return nil }
        if let known = windows[key], known.revision == m.revision, known != m {
            // A window flagged `journal_damaged` was counted from what a damaged journal kept: a
            // consumer holding the same revision without the flag keeps its own (CONSUMERS.md),
            // and two flagged copies are both that warning.
            if m.journalDamaged == true { return nil }
            if known.journalDamaged != true { contradicted.insert(key) }
        }
        windows[key] = m
        return nil
    }

    /// The first window of a stream not in `skipped` (nor exempted) whose newest revision
    /// disagrees with the readings received, or that is missing though its stream's output went
    /// past it; and how many windows were checked.
    func check(skipped: Set<String>) -> (violation: Violation?, windowsChecked: Int) {
        var byStream: [String: [AggregateWindowMessage]] = [:]
        for (key, m) in windows where !skipped.contains(key.stream) && !exempted.contains(key.stream) {
            byStream[key.stream, default: []].append(m)
        }
        let checked = byStream.values.reduce(0) { $0 + $1.count }
        for stream in byStream.keys.sorted() {
            if let v = check(stream, byStream[stream]!) { return (v, checked) }
        }
        return (nil, checked)
    }

    /// The first disagreeing or missing window of one stream's `windows`.
    private func check(_ stream: String, _ windows: [AggregateWindowMessage]) -> Violation? {
        do {
            let published = windows.sorted { $0.windowStart < $1.windowStart }
            let inStream = Array((readings[stream] ?? [:]).values)
            let estimates = estimateTimes[stream] ?? []
            for m in published {
                if contradicted.contains(WindowKey(stream: stream, start: m.windowStart)) {
                    return Violation(invariant: .aggregates, detail: "\(stream) window \(m.windowStart): a revision was published twice, differently")
                }
                // Flagged: its figures come from what a damaged journal kept (a reading its
                // aggregate record outlived, under a `journal_damaged` gap, or fewer readings
                // than went out), which the flag tells the consumers (INTERFACE.md section 4).
                if m.journalDamaged == true { continue }
                let inside = inStream.filter { $0.ts >= m.windowStart && $0.ts < m.windowEnd }
                let width = m.windowEnd - m.windowStart
                let held = { (start: Int64) in estimates.count { $0 >= start && $0 < start + width } }
                let folded = held(m.windowStart) > Self.individualEstimates
                // A restatement of a folded estimate near a window boundary may be taken out of
                // the neighbour (docs/INTERFACE.md): counts are exact when neither folded.
                let countsExact = !folded && held(m.windowStart - width) <= Self.individualEstimates && held(m.windowEnd) <= Self.individualEstimates
                if let problem = Self.disagreement(m, inside, countsExact: countsExact, valuesExact: !folded) {
                    return Violation(invariant: .aggregates, detail: "\(stream) window \(m.windowStart)..<\(m.windowEnd) revision \(m.revision): \(problem)")
                }
            }
            // Windows close in order of event time: one before the newest closed window with
            // readings in it must have been published too.
            guard let newest = published.last, let width = published.first.map({ $0.windowEnd - $0.windowStart }), width > 0 else { return nil }
            let starts = Set(published.map(\.windowStart))
            for r in inStream where r.ts < newest.windowStart {
                let start = r.ts - ((r.ts % width) + width) % width
                if !starts.contains(start) {
                    return Violation(
                        invariant: .aggregates,
                        detail:
                            "\(stream) window \(start)..<\(start + width) holds readings (one at ts \(r.ts)) but was never published, though window \(newest.windowStart) was"
                    )
                }
            }
        }
        return nil
    }

    private static func disagreement(_ m: AggregateWindowMessage, _ inside: [Reading], countsExact: Bool, valuesExact: Bool) -> String? {
        let counts = (
            ok: inside.filter { $0.quality == .ok }.count, corrected: inside.filter { $0.quality == .corrected }.count,
            synthetic: inside.filter { $0.quality == .synthetic }.count
        )
        guard countsExact else { return nil }
        if m.count != inside.count || m.ok != counts.ok || m.corrected != counts.corrected || m.synthetic != counts.synthetic {
            return
                "count \(m.count) (ok \(m.ok), corrected \(m.corrected), synthetic \(m.synthetic)) but the cleaned stream holds \(inside.count) (ok \(counts.ok), corrected \(counts.corrected), synthetic \(counts.synthetic))"
        }
        let values = inside.compactMap(\.value)
        guard valuesExact, values.count == inside.count, let low = values.min(),
            let high = values.max()
        else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let close = { (a: Double?, b: Double, tolerance: Double) in a.map { abs($0 - b) <= tolerance } ?? false }
        if !close(m.min, low, 1e-9) || !close(m.max, high, 1e-9) || !close(m.mean, mean, 0.0006) {
            return
                "min/max/mean \(m.min.map { "\($0)" } ?? "none")/\(m.max.map { "\($0)" } ?? "none")/\(m.mean.map { "\($0)" } ?? "none") but the cleaned stream's are \(low)/\(high)/\(mean)"
        }
        return nil
    }
}
