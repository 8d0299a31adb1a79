/// What the engine has published since it started (or since the snapshot it was restored from):
/// the totals behind the `sensor_gateway_cleaned_total`, resend-request and rate-limited-fill
/// metrics. Kept as totals rather than summed over the tracked sensors' summaries, so they never
/// go down when sensors are forgotten (a Prometheus counter that falls reads as a restart).
public struct OutputTotals: Codable, Sendable, Equatable {
    public var ok = 0
    public var corrected = 0
    public var synthetic = 0
    public var restated = 0
    public var gaps = 0
    public var resendRequests = 0
    /// Fills published as a `gap` because the sensor used up its synthetic-reading allowance.
    public var fillsRateLimited = 0
    /// Seqs the `gap` messages covered (absent from states saved before it was counted).
    private var gapSeqsCounted: Int?
    /// `gap` messages flagged `journal_damaged` that a stream published where the broker's
    /// retained `latest/` showed seqs out that the engine never released, or where the journal
    /// lost acknowledged output at its end (absent from states saved before it was counted).
    private var journalDamagedGapsCounted: Int?
    /// Readings left out of the aggregates: their `ts` fell in a window published and forgotten
    /// (a sensor clock stepped back further than the windows held), which is not published again
    /// at a revision consumers hold (absent from states saved before it was counted).
    private var aggregateSkippedCounted: Int?

    /// Readings published on `cleaned/` but counted in no aggregate window (`AggregateWindows`).
    public var aggregateSkipped: Int { aggregateSkippedCounted ?? 0 }

    mutating func countAggregateSkipped() { aggregateSkippedCounted = aggregateSkipped + 1 }

    /// Gaps flagged `journal_damaged` because the broker's `latest/` was past the stream, or
    /// the journal lost acknowledged output at its end (`journalLostOutput`): the readings for
    /// those seqs, here or to come, are taken as published and dropped, so the
    /// gateway reports each (found black-box: a new data folder beside someone else's retained
    /// `latest/` values dropped real readings with nothing in the log or on `/healthz`).
    public var journalDamagedGaps: Int { journalDamagedGapsCounted ?? 0 }

    mutating func countJournalDamagedGap() { journalDamagedGapsCounted = journalDamagedGaps + 1 }

    /// Seqs covered by cleaned messages of one quality: one per message, but every seq of a
    /// `gap` (what a share of invented or missing readings must count; `restated` adds no seq).
    /// A gap counts every seq it declares missing, so a sensor that jumps its seq far ahead (up
    /// to 2^53-1 is valid input) adds the whole jump; the total saturates at `Int.max` rather
    /// than overflow.
    public func seqs(_ quality: Quality) -> Int {
        quality == .gap ? gapSeqsCounted ?? 0 : quality == .restated ? 0 : cleaned(quality)
    }

    mutating func countGapSeqs(_ n: Int) {
        let (sum, overflow) = (gapSeqsCounted ?? 0).addingReportingOverflow(n)
        gapSeqsCounted = overflow ? .max : sum
    }

    /// Readings the `gap` messages stand for, as their time spans show (absent from states saved
    /// before it was counted).
    private var gapReadingsCounted: Int?

    /// Readings the `gap` messages stand for: each gap's seqs, but no more than its span of time
    /// holds at its sensor's learned period (`SensorState.readingsMissed`). What the fill-share
    /// alert counts: a sensor whose seq jumps far ahead adds the readings its time allows, not
    /// the jump (found black-box, 87th review: one reading with seq 2^53-3 fired the alert for a
    /// fleet of 3,000 sensors whose fills were under 1%, for half an hour).
    public var gapReadings: Int { gapReadingsCounted ?? 0 }

    mutating func countGapReadings(_ n: Int) {
        let (sum, overflow) = gapReadings.addingReportingOverflow(n)
        gapReadingsCounted = overflow ? .max : sum
    }

    public init() {}

    /// Cleaned messages of one quality.
    public func cleaned(_ quality: Quality) -> Int {
        switch quality {
        case .ok: ok
        case .corrected: corrected
        case .synthetic: synthetic
        case .restated: restated
        case .gap: gaps
        }
    }

    mutating func countCleaned(_ quality: Quality) {
        switch quality {
        case .ok: ok += 1
        case .corrected: corrected += 1
        case .synthetic: synthetic += 1
        case .restated: restated += 1
        case .gap: gaps += 1
        }
    }

    mutating func add(_ other: OutputTotals) {
        ok += other.ok
        corrected += other.corrected
        synthetic += other.synthetic
        restated += other.restated
        gaps += other.gaps
        resendRequests += other.resendRequests
        fillsRateLimited += other.fillsRateLimited
        if let n = other.gapSeqsCounted { countGapSeqs(n) }
        if let n = other.gapReadingsCounted { countGapReadings(n) }
        if let n = other.journalDamagedGapsCounted { journalDamagedGapsCounted = journalDamagedGaps + n }
        if let n = other.aggregateSkippedCounted { aggregateSkippedCounted = aggregateSkipped + n }
    }
}
