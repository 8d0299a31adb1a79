import Testing

@testable import Recovery

/// Which retained `latest/` values a restart may take for this gateway's own output.
@Suite("A retained latest/ value's plausibility")
struct RetainedLatestPlausibilityTests {
    let now: Int64 = 1_795_660_000_000
    let day: Int64 = 86_400_000

    func value(ts: Int64) -> RecoveryEngine.PublishedLatest { .init(seq: 7, ts: ts, boot: nil) }

    @Test("up to the future tolerance plus the margin a value can be the gateway's; past it, it cannot")
    func boundary() {
        let limit = now + day + RecoveryEngine.PublishedLatest.ownOutputMarginMs
        #expect(value(ts: now - day).isPlausibleOwnOutput(now: now, futureToleranceMs: day))
        #expect(value(ts: limit).isPlausibleOwnOutput(now: now, futureToleranceMs: day))
        #expect(!value(ts: limit + 1).isPlausibleOwnOutput(now: now, futureToleranceMs: day))
        #expect(!value(ts: 99_999_999_999_999).isPlausibleOwnOutput(now: now, futureToleranceMs: day))
    }

    @Test("without a tolerance, or with the clock not yet set, every value is taken, as every reading is")
    func checkOff() {
        #expect(value(ts: 99_999_999_999_999).isPlausibleOwnOutput(now: now, futureToleranceMs: nil))
        #expect(value(ts: 99_999_999_999_999).isPlausibleOwnOutput(now: 1_000, futureToleranceMs: day))
    }
}
