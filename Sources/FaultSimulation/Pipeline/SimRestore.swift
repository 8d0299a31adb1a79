import Journal
import Recovery

/// Start-up after a crash, the mirror of the gateway's `JournalRestore`: the engine from the
/// last snapshot plus the input journaled after it, through the same `RestoreScan`: regenerated
/// publications reconciled with the ones journaled after the snapshot (those may have been sent,
/// so they stand and are the ones resent); unacknowledged ones go to the outbound queue; only what
/// the journal never received is journaled anew.
struct SimRestore {
    let engineConfiguration: EngineConfiguration
    let directory: String
    let fileSystem: FaultyFileSystem

    /// `published`: the broker's retained `latest/` values (`BrokerLatest` in the gateway).
    func run(
        journal: Journal, snapshot: SimSnapshot?, published: [String: RecoveryEngine.PublishedLatest], outbound: inout SimOutbound
    ) throws -> (outcome: RestoreScan.Outcome, foundDamage: Bool) {
        let (oldest, next) = (journal.oldestSeq, journal.nextSeq)
        var scan = RestoreScan(
            engine: snapshot?.engine ?? RecoveryEngine(configuration: engineConfiguration), pending: snapshot?.pending ?? [],
            inputFrom: snapshot?.inputFrom ?? oldest ?? next, publicationsThrough: snapshot?.publicationsThrough ?? 0, time: snapshot?.time ?? 0,
            acknowledged: journal.checkpoint.value ?? 0, lost: journal.report.lostSeqs, oldest: oldest ?? next,
            // Small, so the worlds' short journals drop matched publications as a long replay does.
            keepMatchedUpTo: 8)
        if next > scan.scanFrom, oldest != nil {
            try JournalReader(directory: directory, fileSystem: fileSystem).read(fromSeq: scan.scanFrom) { record in
                scan.record(seq: record.seq, time: record.time, type: record.type, payload: record.payload) { outbound.enqueue(seq: $0, $1) }
                return true
            }
        }
        var outcome = scan.finish(retained: published)
        let ahead = outcome.takeBrokerLatest(published)
        outbound.dropSupersededLatest(then: outcome.toJournal, floor: outcome.engine.latestTimes)
        // (The gateway does the same after a cut-off last write when it has no retained
        // `latest/` to go by, `latest off`; the worlds always publish and read `latest/`.)
        if let end = journal.report.lostSeqs.map(\.upperBound).max(), end &+ 1 >= next { outcome.engine.journalLostOutput(latestRead: true) }
        // What `JournalRestore` counts as damage found at this start (the sim's snapshot is never
        // unreadable): the journal's own, or the broker's `latest/` past it.
        return (outcome, journal.report.needsAttention || !ahead.isEmpty)
    }
}
