import Testing

@testable import Recovery
import Wire

/// What a stream published as estimates, which decides whether a reading for a published seq is
/// a restatement, too late or a duplicate.
@Suite("The published history")
struct PublishedHistoryTests {
    @Test(
        "a seq recorded twice keeps what it was published as first, with its restatement: a restart's replay recording its own estimates over the journal's gap (restated since) leaves that seq settled (found by the fault simulator, aimed finding-8 seed 16844)"
    )
    func firstRecordStays() {
        var h = PublishedHistory()
        h.record(from: 2600, to: 2600, quality: .synthetic, at: 1)
        h.record(from: 2665, to: 2669, quality: .gap, at: 10)
        h.markRestated(2669)
        // The replay's own estimates for the same seqs, one by one, then later fills.
        h.record(from: 2665, to: 2665, quality: .corrected, at: 20)
        for seq in UInt64(2666)...2669 { h.record(from: seq, to: seq, quality: .synthetic, at: 20) }
        for seq in stride(from: UInt64(2673), through: 2700, by: 3) { h.record(from: seq, to: seq + 1, quality: .synthetic, at: 30) }
        #expect(h.lookup(2669, now: 40, horizon: 1_000) == .settled)
        #expect(h.lookup(2668, now: 40, horizon: 1_000) == .restatable(.gap))
        #expect(h.lookup(2600, now: 40, horizon: 1_000) == .restatable(.synthetic))
        let entries = h.entries
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.to < $1.from }, "entries overlap: \(entries)")
    }

    @Test("a range recorded over part of one entry takes only the seqs around it")
    func partlyCovered() {
        var h = PublishedHistory()
        h.record(from: 10, to: 12, quality: .gap, at: 1)
        h.record(from: 8, to: 15, quality: .synthetic, at: 2)
        #expect(h.entries.map { "\($0.from)-\($0.to):\($0.quality)" } == ["8-9:synthetic", "10-12:gap", "13-15:synthetic"])
    }

    @Test(
        "restated seqs are kept in one list for the sensor: they stay settled, go with the entries that held them (pruned, forgotten, dropped, left behind when the sensor is remembered), and a seq outside every entry is never marked"
    )
    func restatedSeqsFollowTheirEntries() {
        var h = PublishedHistory()
        for i in UInt64(0)..<200 { h.record(from: i * 10, to: i * 10 + 2, quality: i.isMultiple(of: 2) ? .synthetic : .gap, at: Int64(i)) }
        for seq in [UInt64(1), 1, 12, 1991, 500, 5] { h.markRestated(seq) }
        #expect(h.restated == [1, 12, 500, 1991], "seq 5 is in no entry; seq 1 once")
        #expect(h.lookup(1, now: 200, horizon: 1_000) == .settled)
        #expect(h.lookup(2, now: 200, horizon: 1_000) == .restatable(.synthetic))
        #expect(h.keyedEntries.first { $0.from == 10 }?.restated == [12])
        // Forgetting seqs takes their restatements with them.
        h.forget(495...505)
        #expect(h.restated == [1, 12, 1991])
        // Pruning the oldest expired entries beyond the cap drops theirs.
        h.prune(now: 10_000, horizon: 1_000)
        #expect(h.entries.count == PublishedHistory.expiredCap)
        #expect(h.restated == [1991])
        // A remembered sensor keeps the restatements of the entries it keeps.
        var recent = PublishedHistory()
        recent.record(from: 100, to: 109, quality: .gap, at: 5_000)
        recent.record(from: 200, to: 200, quality: .synthetic, at: 1)
        recent.markRestated(105)
        recent.markRestated(200)
        let remembered = recent.remembered(now: 5_500, horizon: 1_000)
        #expect(remembered?.entries.map(\.from) == [100])
        #expect(remembered?.restated == [105])
        // Entries past the horizon dropped, with theirs.
        recent.dropExpired(now: 5_500, horizon: 1_000)
        #expect(recent.restated == [105])
        #expect(recent.lookup(105, now: 5_500, horizon: 1_000) == .settled)
        #expect(recent.lookup(106, now: 5_500, horizon: 1_000) == .restatable(.gap))
    }

    @Test("a snapshot lists an entry's restated seqs in the order they came, perhaps twice: they read back in order, once each")
    func restatedFromSnapshotInOrder() throws {
        // One entry, seqs 10-15, synthetic, restated 14, 11, 14 again and 30 (outside it).
        let history = try PublishedHistory.unpack([10, 5, 2, 1, 4, 4, 1, 4, 20])
        #expect(history.restated == [11, 14])
        #expect(history.lookup(14, now: 2, horizon: 1_000) == .settled)
        #expect(history.lookup(12, now: 2, horizon: 1_000) == .restatable(.synthetic))
    }
}
