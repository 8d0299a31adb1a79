import Foundation
import Testing

@testable import Recovery

/// Readings that vanished as duplicates though they were not copies of anything published
/// (found black-box, nineteenth review): a sensor reusing seqs under the same `boot`, and a
/// retired gateway's retained `latest/` taken for this journal's output.
@Suite("Reused seqs and someone else's latest/ are not duplicates")
struct ReusedSeqTests {
    static func ts(_ seconds: Int) -> Int64 { LatestValueTests.ts(seconds) }

    @Test(
        "a seq already published ok under the same boot, with a time later than anything the epoch has seen, is dead-lettered bad_value:seq, not dropped as a duplicate; a copy with its own time still is a duplicate, and an answer to a resend is not refused"
    )
    func reusedSeqSameBoot() {
        var h = Harness()
        for seq in 0..<20 { h.send("r", seq: seq, ts: Self.ts(seq), boot: 1) }
        h.advance(3000)
        var out: [Publication] = []
        out += h.send("r", seq: 5, ts: Self.ts(5), boot: 1)  // a copy the network delayed
        #expect(h.engine.counters.duplicates == 1)
        // The unit was replaced and counts from 3 again, still saying boot 1.
        for seq in 3..<6 { out += h.send("r", seq: seq, temp: 54.5, ts: Self.ts(600 + seq), boot: 1) }
        #expect(h.engine.counters.duplicates == 1)
        let letters = out.of(.deadLetter)
        #expect(letters.map { $0.reason ?? "?" } == ["bad_value:seq", "bad_value:seq", "bad_value:seq"], "\(letters.map(\.text))")
        #expect(out.cleaned.isEmpty)
    }

    @Test(
        "a retained latest/ of the same boot past what the journal released but older than a reading it released is someone else's (a retired gateway's): not taken as published, so the readings up to its seq come out"
    )
    func olderForeignLatest() {
        var h = Harness()
        for seq in 0..<10 { h.send("f", seq: seq, ts: Self.ts(300 + seq), boot: 1) }
        h.advance(3000)
        // A retired gateway left seq 59 of boot 1 from an earlier run of the same fleet, 5 minutes older.
        let ahead = h.engine.publishedBeyondJournal(["latest/f/temperature": .init(seq: 59, ts: Self.ts(59), boot: 1)])
        #expect(ahead.isEmpty, "\(ahead)")
        var out: [Publication] = []
        for seq in 10..<20 { out += h.send("f", seq: seq, ts: Self.ts(300 + seq), boot: 1) }
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(cleaned == (10..<20).map { "\($0):ok" }, "\(cleaned)")
        #expect(h.engine.counters.duplicates == 0)
    }

    @Test(
        "a new sensor's readings at or below someone else's retained latest/ of its boot, older than it: one journal_damaged gap through that seq comes out at once and is counted, not only once the sensor passes it"
    )
    func foreignLatestAheadOfNewSensor() throws {
        var h = Harness()
        let ahead = h.engine.publishedBeyondJournal(["latest/n/temperature": .init(seq: 1000, ts: Self.ts(1000), boot: 1)])
        #expect(ahead.isEmpty)
        var out: [Publication] = []
        for seq in 0..<10 { out += h.send("n", seq: seq, ts: Self.ts(seq), boot: 1) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        #expect(cleaned == ["0:gap:journal_damaged"], "\(cleaned)")
        #expect(try #require(out.cleaned.first).json["to_seq"] as? NSNumber == 1000)
        #expect(h.engine.counters.output.journalDamagedGaps == 1)
        // A reading past it comes out as usual.
        out = h.send("n", seq: 1001, ts: Self.ts(1001), boot: 1)
        out += h.advance(3000)
        #expect(out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } == ["1001:ok"])
    }

    @Test(
        "a second reading under the seq this epoch holds or released last, with another value or status, is dead-lettered bad_value:seq; an exact copy, or one stamped again, is a duplicate; an older seq's copy is not compared and stays a duplicate"
    )
    func contradictingCopy() {
        var h = Harness()
        var out: [Publication] = []
        // Held: seq 3 waits for the missing seq 2.
        for seq in [0, 1, 3] { out += h.send("c", seq: seq, temp: 52, ts: Self.ts(seq), boot: 1) }
        out += h.send("c", seq: 3, temp: 52, ts: Self.ts(3), boot: 1)  // a copy
        out += h.send("c", seq: 3, temp: 52, ts: Self.ts(3) + 400, boot: 1)  // stamped again
        out += h.send("c", seq: 3, temp: 53.5, ts: Self.ts(3), boot: 1)  // another value
        out += h.send("c", seq: 3, temp: 52, ts: Self.ts(3), boot: 1, status: "deviated")  // another status
        #expect(h.engine.counters.duplicates == 2)
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == ["bad_value:seq", "bad_value:seq"], "\(out.of(.deadLetter).map(\.text))")
        out = h.send("c", seq: 2, temp: 52, ts: Self.ts(2), boot: 1)
        out += h.advance(3000)
        #expect(out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } == ["0:ok", "1:ok", "2:ok", "3:ok"])
        // Released last: seq 3 again with a value of its own; an older seq's is not known.
        out = h.send("c", seq: 3, temp: 54, ts: Self.ts(3) + 900, boot: 1)
        out += h.send("c", seq: 3, temp: 52, ts: Self.ts(3), boot: 1)
        out += h.send("c", seq: 1, temp: 54, ts: Self.ts(1), boot: 1)
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == ["bad_value:seq"], "\(out.of(.deadLetter).map(\.text))")
        #expect(h.engine.counters.duplicates == 4)
        #expect(out.cleaned.isEmpty)
    }
}
