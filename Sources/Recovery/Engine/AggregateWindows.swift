// Over 250 lines: adding, closing, revising and pruning windows share the windows' private
// bookkeeping (the newest released ts, the earliest open end); the packed form is apart.
/// Per-sensor tumbling windows over event time. A window closes (and is published) once the
/// sensor's released readings pass its end; a later change to a closed window (a restatement)
/// publishes it again with `revision + 1`. Closed windows that a restatement can revise (they
/// hold estimates, or a `gap` was published over them) are kept for the late horizon; the others
/// only for `plainKeptWidths` window widths, so a sensor's state does not grow with the horizon
/// (a restatement only ever replaces an estimate or fills a gap).
///
/// Real values are kept only as count, sum, min and max. Estimates are kept individually up to
/// `Window.exactEstimates` per window, so a restatement takes the replaced one out exactly; past
/// that they are folded into a summary, so no sender can make a window hold more than a few
/// hundred bytes (see `Window.Summary`).
struct AggregateWindows: Codable, Sendable, Equatable {
    struct Estimate: Codable, Sendable, Equatable {
        var seq: UInt64
        var value: Double
        var quality: Quality
        /// true: published by the epoch before the current one, whose late readings still
        /// restate (`ClosedEpochHistory`); nil: the current epoch's (and in older snapshots).
        var ofClosedEpoch: Bool?

        /// Whether this is the estimate published for `seq` as `quality`, in the closed epoch
        /// or the current one.
        func names(seq: UInt64, quality: Quality, ofClosedEpoch closed: Bool) -> Bool {
            self.seq == seq && self.quality == quality && (ofClosedEpoch == true) == closed
        }
    }

    /// Folded estimates of both qualities, boxed (`indirect`, so a window holds one reference);
    /// nil when both are empty, so windows compare equal however they came to hold none.
    indirect enum Folded: Sendable, Equatable {
        case summaries(corrected: Summary, synthetic: Summary)

        init?(corrected: Summary, synthetic: Summary) {
            guard corrected.count > 0 || synthetic.count > 0 else { return nil }
            self = .summaries(corrected: corrected, synthetic: synthetic)
        }

        var corrected: Summary {
            switch self {
            case .summaries(let corrected, _): corrected
            }
        }
        var synthetic: Summary {
            switch self {
            case .summaries(_, let synthetic): synthetic
            }
        }
    }

    /// Count, sum and extremes of some values.
    struct Summary: Codable, Sendable, Equatable {
        var count = 0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity

        mutating func add(_ v: Double) {
            count += 1
            sum += v
            min = Swift.min(min, v)
            max = Swift.max(max, v)
        }

        init() {}

        // Extremes are written only for a non-empty summary: an empty one's are infinite,
        // which JSON cannot hold.
        enum CodingKeys: String, CodingKey { case count, sum, min, max }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            count = try c.decode(Int.self, forKey: .count)
            sum = try c.decode(Double.self, forKey: .sum)
            min = try c.decodeIfPresent(Double.self, forKey: .min) ?? .infinity
            max = try c.decodeIfPresent(Double.self, forKey: .max) ?? -.infinity
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            try c.encode(sum, forKey: .sum)
            if count > 0 {
                try c.encode(min, forKey: .min)
                try c.encode(max, forKey: .max)
            }
        }

        mutating func merge(_ other: Summary) {
            count += other.count
            sum += other.sum
            min = Swift.min(min, other.min)
            max = Swift.max(max, other.max)
        }
    }

    struct Window: Sendable, Equatable {
        /// Estimates kept one by one per window; 32 x 24 bytes. A normal fleet's windows hold a
        /// handful, so restatements are exact there.
        static let exactEstimates = 32

        var start: Int64
        var real = Summary()
        var estimates: [Estimate] = []
        /// Estimates beyond `exactEstimates`, per quality. A restatement of one of them takes out
        /// the folded estimates' mean (count and the mix of qualities stay exact; the mean is
        /// approximate and min/max may still include the replaced value).
        var foldedCorrected: Summary {
            get { folded?.corrected ?? Summary() }
            set { folded = Folded(corrected: newValue, synthetic: foldedSynthetic) }
        }
        var foldedSynthetic: Summary {
            get { folded?.synthetic ?? Summary() }
            set { folded = Folded(corrected: foldedCorrected, synthetic: newValue) }
        }
        /// The folded estimates, in a box of their own: few windows ever fold any, and two
        /// summaries held in place cost every window 64 bytes (a sensor holds a hundred windows).
        private var folded: Folded?
        var revision = 0
        var closedAt: Int64?
        /// Closed early because its sensor was forgotten (`closeAll`): if the sensor comes back
        /// before readings pass its end, the window continues (opened again at revision + 1)
        /// instead of starting over at revision 0. nil: false (optional for older snapshots).
        var closedEarly: Bool?
        /// A `gap` was published over this window, or a restated reading first reached it: more
        /// restatements (of the gap, or of the fill) may land in it. nil: false (optional for
        /// older snapshots).
        var gapTouched: Bool?

        init(start: Int64) { self.start = start }

        /// Gives back the room the estimates' list grew for and does not use: a closed window is
        /// kept for the late horizon, and seldom gets another estimate.
        mutating func releaseSpareCapacity() {
            if estimates.capacity > estimates.count { estimates = estimates.withUnsafeBufferPointer { Array($0) } }
        }

        /// Whether a restatement can still change this window: it holds estimates, or a gap.
        var revisable: Bool { holdsEstimates || gapTouched == true }

        /// Whether it counts an estimate (`corrected` or `synthetic`), which a real reading may
        /// yet restate.
        var holdsEstimates: Bool { !estimates.isEmpty || foldedCorrected.count + foldedSynthetic.count > 0 }

        /// Every value in the window.
        var all: Summary {
            var s = real
            s.merge(foldedCorrected)
            s.merge(foldedSynthetic)
            for e in estimates { s.add(e.value) }
            return s
        }

        func count(_ quality: Quality) -> Int {
            let folded = quality == .corrected ? foldedCorrected.count : quality == .synthetic ? foldedSynthetic.count : 0
            return folded + estimates.count { $0.quality == quality }
        }

        mutating func addEstimate(_ e: Estimate) {
            if estimates.count < Window.exactEstimates {
                estimates.append(e)
            } else if e.quality == .corrected {
                foldedCorrected.add(e.value)
            } else {
                foldedSynthetic.add(e.value)
            }
        }

        /// Takes out the estimate a restatement of `seq` replaces (`earlier` is its quality), of
        /// the closed epoch or the current one.
        mutating func removeEstimate(seq: UInt64, earlier: Quality, ofClosedEpoch closed: Bool) {
            if let e = estimates.firstIndex(where: { $0.names(seq: seq, quality: earlier, ofClosedEpoch: closed) }) {
                estimates.remove(at: e)
                return
            }
            func takeMean(_ s: inout Summary) {
                guard s.count > 0 else { return }
                s.sum -= s.sum / Double(s.count)
                s.count -= 1
                if s.count == 0 { s = Summary() }
            }
            if earlier == .corrected { takeMean(&foldedCorrected) } else { takeMean(&foldedSynthetic) }
        }
    }

    private(set) var windows: [Window] = []
    /// The newest `ts` of a reading released where the sensor's clock was (`noteReleased`): how
    /// far the sensor's readings have passed.
    private var maxReleasedTs = Int64.min
    /// The `ts` of the reading released last (restatements aside): where the sensor's clock is
    /// now, which a clock that stepped back puts behind `maxReleasedTs`. nil: none yet, or a
    /// snapshot from before it was kept (`maxReleasedTs` then stands in).
    private var lastReleasedTs: Int64?
    /// The starts of windows forgotten once behind the sensor's clock, as spans, oldest first (at
    /// most `forgottenSpansKept`; nil: none yet, or a snapshot from before they were kept). A
    /// window in a span and not held was published and forgotten (or, inside a span, never
    /// reached: a silence shorter than `forgottenSpanJoinWidths`): a new reading (not a
    /// restatement) landing there is not counted (`add` says so) rather than opening it again at
    /// revision 0, which would contradict the revision consumers hold (found black-box: a sensor
    /// clock stepped back by minutes; revision 7, then revision 0 with 13 of 33). Outside them (a
    /// clock reset to a day before, where the sensor never was) windows open as usual.
    private var forgottenSpans: [ClosedRange<Int64>]?
    static let forgottenSpansKept = 8
    static let forgottenSpanJoinWidths: Int64 = 64
    /// Windows the cap forced out within the late horizon (nil: none, and in older snapshots):
    /// a reading landing in one is not counted, restatement or not.
    private var evicted: EvictedWindows?

    /// The smallest end among open windows: no window closes before released readings reach it.
    private var earliestOpenEnd = Int64.max

    /// Windows that began before this `ts` are sent with `"journal_damaged":true`: the sensor's
    /// stream published a `journal_damaged` gap reaching it (the broker's `latest/` showed output
    /// past the journal, or the journal lost output), so they may count fewer readings than the
    /// consumers hold (found in review: a data folder wiped under retained `latest/` values sent
    /// the open window counting 40 of the 60 readings consumers held, unflagged). nil: none, or
    /// a snapshot from before it was kept.
    var journalDamagedBefore: Int64?

    /// A `journal_damaged` gap reaching `ts` was published.
    mutating func noteJournalDamage(before ts: Int64) { journalDamagedBefore = max(journalDamagedBefore ?? .min, ts) }

    /// Whether `window`'s message carries `"journal_damaged":true` (`journalDamagedBefore`).
    func flagsJournalDamage(_ window: Window) -> Bool { journalDamagedBefore.map { window.start < $0 } ?? false }

    /// Adds a released reading; `replacing` is the quality of the earlier estimate it replaces
    /// for its seq, if any. Returns windows that must be published now (closed by this reading,
    /// or revised), and whether the reading was left out of the aggregates: it fell in a window
    /// published and forgotten (`forgottenSpans`, `evicted`), or it restates an estimate whose
    /// window is no longer held.
    mutating func add(
        ts: Int64, seq: UInt64, value: Double, quality: Quality, replacing: Quality?, ofClosedEpoch closed: Bool = false,
        now: Int64, width: Int64, limit: Int
    ) -> (due: [Window], skipped: Bool) {
        // `closed`: a reading or estimate of the epoch a new boot closed (its estimates are
        // matched among that epoch's, and its time is not where the sensor's clock is).
        let start = AggregateWindows.floor(ts, width)
        // Where the sensor's clock is: not a restatement (late by nature; a gap's too, which
        // replaces nothing here), nor a reading of the closed epoch.
        let movesClock = replacing == nil && !closed && quality != .restated
        var due: [Window] = []
        // Readings mostly land in the newest window: search from the end.
        let i: Int
        if let found = windows.lastIndex(where: { $0.start == start }) {
            i = found
        } else if quality != .restated, forgottenSpans?.contains(where: { $0.contains(start) }) == true {
            noteReleased(ts, movesClock: movesClock, now: now, width: width, &due)
            return (due, true)
        } else if evicted?.contains(start) == true {
            // Forced out by the cap and published: counted in no window. The estimate it
            // restates, where its window is held, leaves it as usual.
            if let replacing, let from = estimateWindow(seq: seq, quality: replacing, ofClosedEpoch: closed, near: start) {
                windows[from].removeEstimate(seq: seq, earlier: replacing, ofClosedEpoch: closed)
                if windows[from].closedAt != nil {
                    windows[from].revision += 1
                    due.append(windows[from])
                }
            }
            noteReleased(ts, movesClock: movesClock, now: now, width: width, &due)
            return (due, true)
        } else {
            // A restatement of an estimate whose window is no longer held (it went with its
            // sensor when that was forgotten): publishing the window again from revision 0 with
            // this one value would contradict what was published, so the aggregates stay as they
            // were. When the estimate's own window is held, the real reading's is one no reading
            // had reached (a fill's timestamps put its seqs elsewhere): it opens.
            if let replacing, estimateWindow(seq: seq, quality: replacing, ofClosedEpoch: closed, near: start) == nil { return ([], true) }
            if windows.count >= limit { due += evictOldest(at: now, width: width) }
            var opened = Window(start: start)
            // Opened by a restatement: the rest of its gap or fill may land here too, so it stays
            // revisable for the late horizon like a window a gap was published over (found by
            // the fault simulator, measurement worlds seed 2,800,308: forgotten two widths after a
            // forward clock step, it opened again at revision 0 for the next restated seq).
            if quality == .restated { opened.gapTouched = true }
            windows.append(opened)
            earliestOpenEnd = min(earliestOpenEnd, start + width)
            i = windows.count - 1
        }
        if windows[i].closedEarly == true {
            windows[i].closedEarly = nil
            if start + width > maxReleasedTs {
                windows[i].closedAt = nil
                windows[i].revision += 1
                earliestOpenEnd = min(earliestOpenEnd, start + width)
            }
        }
        if let replacing {
            // The estimate counts in the window of its own `ts`, which a fill interpolates: the
            // real reading's `ts` can lie in the window before or after (found by the fault
            // simulator's aggregate check). That window is revised too.
            let from = estimateWindow(seq: seq, quality: replacing, ofClosedEpoch: closed, near: start) ?? i
            windows[from].removeEstimate(seq: seq, earlier: replacing, ofClosedEpoch: closed)
            if from != i, windows[from].closedAt != nil {
                windows[from].revision += 1
                due.append(windows[from])
            }
        }
        switch quality {
        case .ok, .restated: windows[i].real.add(value)
        case .corrected, .synthetic: windows[i].addEstimate(Estimate(seq: seq, value: value, quality: quality))
        case .gap: break
        }
        if windows[i].closedAt != nil {
            windows[i].revision += 1
            due.append(windows[i])
        } else if quality == .restated, start + width <= maxReleasedTs {
            // Opened by a late reading restating a `gap` over a window no reading had reached,
            // after the sensor's readings passed its end: it closes now, as it would have, rather
            // than when the sensor next sends (found black-box: such a window went out minutes
            // later, or not while the sensor stayed silent). Like any restatement, each later one
            // in it revises it. Not for a fill whose estimates fall in a window behind the
            // readings (a new epoch's first seqs, stepped back from its first reading): closed
            // at once, each estimate would publish the window again (found by the fault
            // simulator, aimed finding-4 seed 34: a revision per estimate).
            due += close(at: now, width: width) { $0.start == start }
        }
        // A reading of the epoch before (its last readings delivered behind the new boot's
        // first, or a restatement of its estimates) is behind the sensor's clock by nature, not
        // a clock that went back: the windows ahead stay open (found black-box, 43rd review: the
        // closed boot's tail, 70 s behind, closed the new boot's open window, which then went
        // out again at every reading).
        let before = lastReleasedTs ?? maxReleasedTs
        noteReleased(ts, movesClock: movesClock, now: now, width: width, &due)
        let behind = maxReleasedTs &- Self.plainKeptWidths * width
        if movesClock, ts < behind, before < behind {
            // The sensor's clock went back by more than two windows, and stayed there for a second
            // reading: the windows it left ahead get no more readings until it returns, so they
            // close now rather than when its readings pass them again (found black-box: a clock
            // set back an hour held the window of its last readings before the step
            // unpublished). One reading stamped back, between readings where the clock is, is a
            // backdated reading, not a step: the windows ahead stay open (found black-box, 86th
            // review: one reading stamped a day back closed the open window, which then went out
            // again at every reading that followed).
            let ahead = ts &+ Self.plainKeptWidths * width
            due += close(at: now, width: width) { $0.start > ahead }
        }
        return (due, false)
    }

    /// A reading at `ts` was released: the sensor's clock is there, and open windows it passed
    /// close. Any such reading past an open window's end closes it, not only a new newest
    /// one: after a sensor's clock jumped ahead and back, the windows behind the jump closed only
    /// once readings passed the jump, or the window cap forced them out, late for good (found
    /// black-box: no aggregate for minutes while `cleaned/` went on).
    /// `movesClock`: the reading is where the sensor's clock is now (not a restatement, nor a
    /// reading of a closed epoch). Only such a reading closes windows: a late one's `ts` says
    /// nothing of where the sensor is (found black-box, 84th review: a late reading stamped 25 s
    /// past its seq's neighbours closed the open window with one reading in it, which then went
    /// out again at every reading, revision 1 to 10; a closed boot's tail stamped ahead of a new
    /// boot whose clock was reset would close all of that boot's open windows the same way).
    private mutating func noteReleased(_ ts: Int64, movesClock: Bool, now: Int64, width: Int64, _ due: inout [Window]) {
        guard movesClock else { return }
        maxReleasedTs = Swift.max(maxReleasedTs, ts)
        lastReleasedTs = ts
        if ts >= earliestOpenEnd {
            due += close(at: now, width: width) { $0.start + width <= ts }
        }
    }

    /// Notes that `w` is forgotten: behind the sensor's clock, its start joins the forgotten
    /// spans (one within `forgottenSpanJoinWidths` widths of it grows to take it in).
    private mutating func forgetting(_ w: Window, width: Int64) {
        guard w.start + width <= (lastReleasedTs ?? maxReleasedTs) else { return }
        let join = Self.forgottenSpanJoinWidths * width
        var spans = (forgottenSpans ?? []) + [w.start...w.start]
        spans.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = []
        for span in spans {
            if let last = merged.last, span.lowerBound <= last.upperBound &+ join {
                merged[merged.count - 1] = last.lowerBound...Swift.max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        forgottenSpans = Array(merged.suffix(Self.forgottenSpansKept))
    }

    /// The window counting the estimate published for `seq`. A fill interpolates its estimates'
    /// `ts`, so that is the real reading's own window (starting at `start`) or one near it: the
    /// one keeping it individually (earlier epochs' are sealed, `sealEstimates`), else
    /// the nearest holding folded estimates of `quality` (when a fill folded estimates in two
    /// windows, a restatement near their boundary may be taken out of the wrong one: counts
    /// then differ by one in each). nil when none does.
    private func estimateWindow(seq: UInt64, quality: Quality, ofClosedEpoch closed: Bool, near start: Int64) -> Int? {
        let distance = { (i: Int) in abs(self.windows[i].start - start) }
        let kept = windows.indices.filter { i in windows[i].estimates.contains { $0.names(seq: seq, quality: quality, ofClosedEpoch: closed) } }
        if let nearest = kept.min(by: { distance($0) < distance($1) }) { return nearest }
        return windows.indices.lazy.filter { i in (quality == .corrected ? self.windows[i].foldedCorrected : self.windows[i].foldedSynthetic).count > 0 }
            .min { distance($0) < distance($1) }
    }

    /// Seqs no restatement names: a new epoch's start seals the estimates of the epoch before
    /// the one it closes (they can no longer be restated), so the same seq of a later epoch is
    /// never taken for one.
    static let sealedSeq = UInt64.max

    /// A new epoch begins, its seqs starting again: the closing epoch's estimates are marked
    /// `ofClosedEpoch` (its late readings still restate them, `ClosedEpochHistory`), and those
    /// of the epoch before it are sealed. Their figures stay.
    mutating func sealEstimates() {
        for w in windows.indices where !windows[w].estimates.isEmpty {
            for e in windows[w].estimates.indices {
                if windows[w].estimates[e].ofClosedEpoch == true {
                    windows[w].estimates[e].seq = Self.sealedSeq
                    windows[w].estimates[e].ofClosedEpoch = nil
                } else if windows[w].estimates[e].seq != Self.sealedSeq {
                    windows[w].estimates[e].ofClosedEpoch = true
                }
            }
        }
    }

    /// Makes room for one more window: forgets the oldest closed one (it can no longer be
    /// restated), or when every window is open, closes the oldest and returns it for publishing.
    /// Readings scattered over many past windows so cost a bounded number of windows.
    private mutating func evictOldest(at now: Int64, width: Int64) -> [Window] {
        let byStart = { (a: Int, b: Int) in self.windows[a].start < self.windows[b].start }
        if let oldestClosed = windows.indices.filter({ windows[$0].closedAt != nil }).min(by: byStart) {
            let gone = windows.remove(at: oldestClosed)
            forgetting(gone, width: width)
            noteEvicted(gone, at: now)
            return []
        }
        guard let oldest = windows.indices.min(by: byStart) else { return [] }
        var closed = windows.remove(at: oldest)
        closed.closedAt = now
        noteEvicted(closed, at: now)
        earliestOpenEnd = windows.lazy.filter { $0.closedAt == nil }.map { $0.start + width }.min() ?? .max
        return [closed]
    }

    private mutating func noteEvicted(_ w: Window, at now: Int64) {
        if evicted == nil { evicted = EvictedWindows() }
        evicted?.note(w.start, at: now)
    }

    /// Closes every open window (the sensor is being forgotten); returns them, oldest first.
    mutating func closeAll(now: Int64, width: Int64) -> [Window] {
        let closed = close(at: now, width: width) { _ in true }
        for i in windows.indices where windows[i].closedAt == now && closed.contains(where: { $0.start == windows[i].start }) {
            windows[i].closedEarly = true
        }
        return closed
    }

    /// What a forgotten sensor keeps (`RememberedSensor`), after `closeAll`: the windows its
    /// forgetting closed early (the newest `rememberedWindows`), so a sensor back before their end
    /// continues them, and the newest `rememberedWindows` closed within the late horizon that
    /// hold estimates, with the closed windows beside those, so a restatement can revise them.
    /// nil when none qualifies.
    func remembered(now: Int64, horizon: Int64, width: Int64) -> AggregateWindows? {
        let early = windows.filter { $0.closedEarly == true }.sorted { $0.start < $1.start }.suffix(Self.rememberedWindows)
        let estimated = windows.filter { w in
            w.closedEarly != true && w.closedAt.map { now - $0 <= horizon } == true && w.holdsEstimates
        }.sorted { $0.start < $1.start }.suffix(Self.rememberedWindows)
        guard !early.isEmpty || !estimated.isEmpty else { return nil }
        // With the closed windows beside them, where a restatement of their estimates may land
        // (`prune`).
        let estimatedStarts = Set(estimated.map(\.start))
        let beside = windows.filter { w in
            w.closedEarly != true && !estimatedStarts.contains(w.start)
                && (estimatedStarts.contains(w.start - width) || estimatedStarts.contains(w.start + width))
        }
        var kept = self
        kept.windows = (estimated + beside + early).sorted { $0.start < $1.start }
        kept.earliestOpenEnd = .max
        let held = Set(kept.windows.map(\.start))
        for w in windows where !held.contains(w.start) { kept.forgetting(w, width: width) }
        return kept
    }

    static let rememberedWindows = 2

    /// Marks the open windows matching `isDue` closed at `now`, and returns them oldest first.
    private mutating func close(at now: Int64, width: Int64, _ isDue: (Window) -> Bool) -> [Window] {
        let closing = windows.indices.filter { windows[$0].closedAt == nil && isDue(windows[$0]) }
            .sorted { windows[$0].start < windows[$1].start }
        for c in closing {
            windows[c].closedAt = now
            windows[c].releaseSpareCapacity()
        }
        earliestOpenEnd = windows.lazy.filter { $0.closedAt == nil }.map { $0.start + width }.min() ?? .max
        return closing.map { windows[$0] }
    }

    /// Forgets closed windows older than the late horizon (they can no longer be restated), and
    /// closed windows no restatement can revise once closed for `plainKeptWidths` widths and
    /// that far behind the sensor's clock (only a reading released out of `ts` order could still
    /// land in one; it then opens the window anew). A window its sensor's forgetting closed early
    /// stays until readings pass its end: the sensor back, it continues (found black-box: a sensor
    /// back after more than the late horizon had its fill counted in a second revision 0).
    mutating func prune(now: Int64, horizon: Int64, width: Int64) {
        if evicted != nil {
            evicted?.prune(now: now, horizon: horizon)
            if evicted?.isEmpty == true { evicted = nil }
        }
        let plainAge = Swift.min(horizon, Self.plainKeptWidths * width)
        let sensorTime = lastReleasedTs ?? maxReleasedTs
        // A window beside one holding estimates is kept as long as that one: a fill interpolates
        // its estimates' `ts`, so the real reading restating one can lie in the window before or
        // after, which must still be held to be revised (found black-box, 65th review: the real
        // reading stamped 1 ms before the boundary, 25 s late, sent the window before at revision
        // 0 counting only itself, after its revision 0 counting ten).
        let estimatedStarts = Set(windows.lazy.filter(\.holdsEstimates).map(\.start))
        let forgotten = windows.filter { w in
            guard let closed = w.closedAt else { return false }
            if w.closedEarly == true, w.start + width > maxReleasedTs { return false }
            // Behind the sensor's clock by the same margin: a clock that stepped back lands its
            // readings in the windows just behind where it had been, which must still be held
            // (found black-box: a window at revision 7 went out again at revision 0).
            let behind = sensorTime &- (w.start + width) > plainAge
            return now - closed > horizon
                || (!w.revisable && w.closedEarly != true && now - closed > plainAge && behind
                    && !estimatedStarts.contains(w.start - width) && !estimatedStarts.contains(w.start + width))
        }
        guard !forgotten.isEmpty else { return }
        for w in forgotten { forgetting(w, width: width) }
        let gone = Set(forgotten.map(\.start))
        windows.removeAll { gone.contains($0.start) }
    }

    static let plainKeptWidths: Int64 = 2

    /// Marks the held windows a `gap` from `fromTs` to `toTs` was published over: a late reading
    /// of the gap restates it and is added to its window, so that window stays revisable.
    mutating func noteGap(fromTs: Int64, toTs: Int64, width: Int64) {
        for i in windows.indices where windows[i].start + width > fromTs && windows[i].start <= toTs {
            windows[i].gapTouched = true
        }
    }

    // MARK: - Coding

    /// Written packed: the windows' integers in one list and their values in another (a keyed
    /// window took several hundred bytes, most of a sensor's snapshot with the late horizon's
    /// windows held). `windows` (keyed) is still read, from snapshots of format 5.
    private enum CodingKeys: String, CodingKey {
        case windows, maxReleasedTs, lastReleasedTs, forgottenSpans, earliestOpenEnd, packedIntegers, packedValues, journalDamagedBefore
        case evicted
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxReleasedTs = try c.decode(Int64.self, forKey: .maxReleasedTs)
        lastReleasedTs = try c.decodeIfPresent(Int64.self, forKey: .lastReleasedTs)
        forgottenSpans = try c.decodeIfPresent([Int64].self, forKey: .forgottenSpans).map(Self.spans)
        earliestOpenEnd = try c.decode(Int64.self, forKey: .earliestOpenEnd)
        journalDamagedBefore = try c.decodeIfPresent(Int64.self, forKey: .journalDamagedBefore)
        evicted = try c.decodeIfPresent(EvictedWindows.self, forKey: .evicted)
        if let integers = try c.decodeIfPresent([Int64].self, forKey: .packedIntegers) {
            windows = try Self.unpack(integers, try c.decode([Double].self, forKey: .packedValues))
        } else {
            windows = try c.decode([Window].self, forKey: .windows)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maxReleasedTs, forKey: .maxReleasedTs)
        try c.encodeIfPresent(lastReleasedTs, forKey: .lastReleasedTs)
        try c.encodeIfPresent(forgottenSpans.map { $0.flatMap { [$0.lowerBound, $0.upperBound] } }, forKey: .forgottenSpans)
        try c.encode(earliestOpenEnd, forKey: .earliestOpenEnd)
        try c.encodeIfPresent(journalDamagedBefore, forKey: .journalDamagedBefore)
        try c.encodeIfPresent(evicted, forKey: .evicted)
        let (integers, values) = Self.pack(windows)
        try c.encode(integers, forKey: .packedIntegers)
        try c.encode(values, forKey: .packedValues)
    }

    /// Spans from their bounds written in pairs; a pair out of order or an odd one left is dropped.
    private static func spans(_ bounds: [Int64]) -> [ClosedRange<Int64>] {
        stride(from: 0, to: bounds.count - 1, by: 2).compactMap { i in bounds[i] <= bounds[i + 1] ? bounds[i]...bounds[i + 1] : nil }
    }

    static func floor(_ ts: Int64, _ width: Int64) -> Int64 {
        let q = ts / width
        return (ts % width < 0 ? q - 1 : q) * width
    }
}
