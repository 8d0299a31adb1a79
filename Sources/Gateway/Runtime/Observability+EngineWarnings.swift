import Foundation
import Logging
import Recovery

/// Engine counts the gateway watches after each turn, whose rise is news an operator must see:
/// logged, and shown on `/healthz` for 10 minutes (`GatewayHTTP`), as a metric alone went unseen.
extension Observability {
    /// The engine's count of `journal_damaged` gaps (`OutputTotals.journalDamagedGaps`) after a
    /// turn: a rise since the last look is logged as an error and shown on `/healthz` for 10
    /// minutes (the count itself is a metric), as readings for those seqs are dropped as
    /// published. The count restored at start is not news (the start's own report said it).
    func journalDamagedGaps(_ total: Int) {
        guard let new = counters.damagedGaps.rise(to: total) else { return }
        counters.lastDamagedGapAt = Clocks.monotonicMilliseconds()
        logger.error(
            "published gaps flagged journal_damaged: seqs of these sensors may have gone out in a form this gateway's journal does not hold, because its newest records were lost (the start's journal lines say so) or the broker's retained latest/ showed them out (a data folder older than the output, or emptied, or another writer of latest/: a second gateway, a replaced box with a new gateway-id, a test publisher); readings for seqs latest/ showed out are dropped as already published",
            metadata: ["new": "\(new)", "total": "\(total)"])
    }

    /// The engine's count of readings dead-lettered for a `ts` ahead of the gateway's clock
    /// (`EngineCounters.aheadOfClock`) after a turn: a rise is shown on `/healthz` for 10 minutes
    /// and logged as a warning (at most once a minute), as a box whose clock is behind by more
    /// than `future-tolerance-s` dead-letters every reading while `/healthz` said "ok" (found
    /// black-box). The count restored at start is not news.
    func readingsAheadOfClock(_ total: Int, last: AheadOfClock?, futureToleranceMs: Int64?) {
        guard let new = rise(\.aheadOfClock, to: total, shownFrom: \.lastAheadOfClockAt, loggedAt: \.aheadOfClockLoggedAt) else { return }
        var metadata: Logger.Metadata = ["new": "\(new)", "total": "\(total)", "future_tolerance_s": "\((futureToleranceMs ?? 0) / 1000)"]
        if let last {
            metadata["last_sensor"] = "\(last.stream)"
            metadata["last_ahead_s"] = "\(last.aheadMs / 1000)"
        }
        logger.warning(
            "readings stamped more than future-tolerance-s ahead of this box's clock were dead-lettered bad_value:ts: a sensor's clock is ahead, or this box's clock is behind (when it is every sensor: check timedatectl, chrony or timesyncd)",
            metadata: metadata)
    }

    /// The engine's count of Sparkplug sequence jumps (`SparkplugCounters.sequenceJumps`) after
    /// a turn: a rise is shown on `/healthz` for 10 minutes and logged as a warning (at most once
    /// a minute) naming the node, as more than 128 of its messages were lost and only the part
    /// under one round of 256 is filled: whole rounds may be missing with no reading to show
    /// them (found black-box, 56th review: 345 messages lost across a broker restart came out
    /// as 89 fills, and only a metric said more had gone). The count restored at start is not news.
    func sparkplugSequenceJumps(_ total: Int, lastNode: String?) {
        guard let new = rise(\.sequenceJumps, to: total, shownFrom: \.lastSequenceJumpAt, loggedAt: \.sequenceJumpLoggedAt) else { return }
        logger.warning(
            "a Sparkplug edge node's sequence jumped: more than 128 of its messages were lost in a row (often QoS 0 data across a broker or gateway restart); only the part under one round of 256 is filled, flagged, so whole rounds of 256 messages may be missing from its cleaned streams without a reading to show them; the node was asked for a rebirth (with sparkplug-rebirth on)",
            metadata: ["node": "\(lastNode ?? "unknown")", "new": "\(new)", "total": "\(total)"])
    }

    /// By how much the count at `count` rose to `total`, when it did and a warning is due: the
    /// rise is stamped at `shownFrom` (`/healthz` shows it for 10 minutes) either way, and the
    /// warning is due at most once a minute (`loggedAt`). nil: no rise, or logged too recently.
    private func rise(
        _ count: WritableKeyPath<RuntimeCounters, RisingCount>, to total: Int, shownFrom: WritableKeyPath<RuntimeCounters, Int64?>,
        loggedAt: WritableKeyPath<RuntimeCounters, Int64?>
    ) -> Int? {
        guard counters[keyPath: count].rise(to: total) != nil else { return nil }
        let now = Clocks.monotonicMilliseconds()
        counters[keyPath: shownFrom] = now
        if let logged = counters[keyPath: loggedAt], now - logged < 60_000 { return nil }
        counters[keyPath: loggedAt] = now
        return counters[keyPath: count].report(total)
    }
}
