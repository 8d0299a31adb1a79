import Journal
import Recovery

/// How long a fill the journal ring can take (issue 29, finding 4).
///
/// A fill publishes up to `max-fill` synthetic readings at once, and every publication is
/// journaled before it is sent and stays in the ring until the broker acknowledged it. A fill
/// that needs more of the ring than the ring can free wedges the gateway for good (`journal full`,
/// input stopped). So `max-fill` times the journal bytes of the largest synthetic reading
/// (`LargestOutput.syntheticReading`, as `JournalRecords` stores it, record header and alignment
/// included) may take at most `share`: half the ring less one segment. The other half is for what
/// shares the ring meanwhile: input not yet covered by a snapshot, other sensors' output, the
/// fill's aggregates, and the segment being reclaimed.
///
/// The loader checks it (`ConfigurationLoader`), so `config check` refuses what `run` would.
enum FillBudget {
    /// The journal bytes one synthetic reading takes at most (376 with today's format).
    static let bytesPerReading = JournalLayout.recordBytes(payload: JournalRecords.encodePublication(LargestOutput.syntheticReading).count)

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
}
