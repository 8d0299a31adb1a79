extension RecoveryEngine.PublishedLatest {
    /// Beyond the future tolerance, how far ahead a value's `ts` may still be this gateway's own:
    /// an estimate lies between readings, but a fill without a later one is stamped on from the
    /// newest `ts` published (`OpenFill.floor`).
    public static let ownOutputMarginMs: Int64 = 3_600_000

    /// Whether this retained `latest/` value can be output of this gateway at `now` (epoch ms):
    /// a reading whose `ts` is more than `futureToleranceMs` ahead of its receive time is
    /// dead-lettered `bad_value:ts`, so nothing the gateway published lies further ahead (plus
    /// `ownOutputMarginMs`). A value past that is someone else's (a forged or foreign `latest/`
    /// retained on the broker). Taken as this gateway's, it held the topic for ever, as
    /// `latest/` never goes back to an earlier `ts` (found black-box, 52nd review: a retained
    /// value stamped in the year 5138 and no `latest/` update after the restart). Every value is
    /// plausible without a tolerance (the check is off) or with a clock not yet set
    /// (`RecoveryEngine.clockFloorMs`), as for readings.
    public func isPlausibleOwnOutput(now: Int64, futureToleranceMs: Int64?) -> Bool {
        guard let tolerance = futureToleranceMs, now >= RecoveryEngine.clockFloorMs else { return true }
        return ts <= now &+ tolerance &+ Self.ownOutputMarginMs
    }
}
