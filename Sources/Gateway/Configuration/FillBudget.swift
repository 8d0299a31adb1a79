import Journal
import Recovery

/// How much of the journal ring a fill takes (issue 29, finding 4).
///
/// A fill publishes up to `max-fill` synthetic readings, and every publication is journaled
/// before it is sent and stays in the ring until the broker acknowledged it. Fills stream
/// (`RecoveryEngine.fillChunk` readings a tick, the next part only once the journal took the
/// last), so a fill longer than the ring no longer wedges the gateway; but while one needs more
/// than `share` (half the ring less one segment: the other half is for input not yet covered by
/// a snapshot, other sensors' output, the fill's aggregates and the segment being reclaimed), the
/// ring stays full until it has gone out: input waits in the broker at times, and the sensor's
/// later readings wait behind the fill. `max-fill` times the journal bytes of the largest
/// synthetic reading (`LargestOutput.syntheticReading` and its `latest/` copy, as
/// `JournalRecords` stores them, record headers and alignment included) over `share` is that cost, which `config check` and `run` name
/// as a warning (`ConfigurationWarnings`).
enum FillBudget {
    /// The journal bytes one synthetic reading takes at most: its `cleaned/` and `latest/`
    /// messages as records of their own (136 each, 272 in all). A fill's are journaled a turn's
    /// worth to a record (`PublicationBatch`), which takes fewer: an upper bound, so the warning
    /// errs on the side of room.
    static let bytesPerReading = [LargestOutput.syntheticReading, LargestOutput.syntheticLatest]
        .map { JournalLayout.recordBytes(payload: JournalRecords.encodePublication($0).count) }.reduce(0, +)

    /// The bytes of the ring one fill may take: half of it, less one segment.
    static func share(of layout: JournalLayout) -> Int { max(0, layout.ringBytes / 2 - layout.segmentSize) }

    /// The longest fill the ring of `layout` can take.
    static func largestFill(_ layout: JournalLayout) -> UInt64 { UInt64(share(of: layout) / bytesPerReading) }

    /// The smallest `journal-max-bytes`, in whole MiB, whose ring can take a fill of `maxFill`.
    static func smallestJournal(forFill maxFill: UInt64, segmentCount: Int = 16) -> Int {
        let needed = Int(min(maxFill, UInt64(Int.max / 2 / bytesPerReading))) * bytesPerReading
        // share = count × size / 2 − size, so size ≥ needed / (count / 2 − 1); sizes are 4 KiB multiples.
        let parts = max(1, segmentCount / 2 - 1)
        let segment = ((needed + parts - 1) / parts + 4095) & ~4095
        return (segment * segmentCount + (1 << 20) - 1) / (1 << 20) * (1 << 20)
    }

    /// The warning for a `max-fill` that needs more than its share of the ring, naming the cost
    /// and the settings that avoid it; nil when a fill fits.
    static func warning(_ c: GatewayConfiguration) -> String? {
        guard let layout = try? JournalLayout(directory: c.journalDirectory, maxBytes: c.journalMaxBytes),
            c.engine.maxFill > largestFill(layout)
        else { return nil }
        let needed = c.engine.maxFill * UInt64(bytesPerReading)
        let share = share(of: layout)
        let times = share > 0 ? Double(needed) / Double(share) : .infinity
        return "max-fill \(c.engine.maxFill): a fill that long can take \(c.engine.maxFill) x \(bytesPerReading) = \(needed) bytes of journal, "
            + "\(times.formatted1) times the \(share) bytes journal-max-bytes (\(c.journalMaxBytes)) gives one fill (half the ring less one segment). "
            + "It streams out as the broker acknowledges it, \(RecoveryEngine.fillChunk) readings at a time; while it does, the journal stays full: "
            + "every sensor's readings wait in the broker at times (input paused, `output_waiting` or `journal_full`), and the sensor's later readings wait behind the fill. "
            + "To keep a fill within the ring, set max-fill to at most \(largestFill(layout)), or journal-max-bytes to at least "
            + "\(smallestJournal(forFill: c.engine.maxFill) >> 20)MiB"
    }
}

extension Double {
    /// One decimal place, for a ratio in a message.
    fileprivate var formatted1: String { isFinite ? "\((self * 10).rounded() / 10)" : "many" }
}
