import Testing
@testable import Recovery

/// A sensor that sends no `boot` and restarts (issue 28, found black-box): its seqs start again
/// at 0, below what its previous life published. When its restart's seq 0 is lost, its next
/// readings must not be taken for duplicates of the previous life's.
@Suite("A restart without a boot field")
struct BootlessRestartTests {
    static let base: Int64 = 1_795_660_000_000

    /// Sends `life` (0.5 s apart, from `start` ms after `base`) at `temp`: one life of the sensor.
    static func live(_ h: inout Harness, _ life: ClosedRange<Int>, temp: Double, from start: Int64 = 0) -> [Publication] {
        life.flatMap { seq in h.send(seq: seq, temp: temp, ts: base + start + Int64(seq) * 500) }
    }

    /// The dead letters' reasons among `publications`.
    static func reasons(_ publications: [Publication]) -> [String] {
        publications.of(.deadLetter).map { $0.reason ?? "?" }
    }
    @Test("a boot-less sensor that restarts and whose seq 0 is lost: its new readings start a new epoch and are published, none dropped as duplicates")
    func restartWithLostSeqZero() {
        var h = Harness()
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<100 { h.send(seq: seq, ts: base + Int64(seq) * 1000) }
        h.advance(3_000)
        #expect(h.log.summary.count == 100)
        // Restarted an hour later: seq 0 never arrives, 1...20 do, with times after everything before.
        var out: [Publication] = []
        for seq in 1...20 { out += h.send(seq: seq, ts: base + 3_600_000 + Int64(seq) * 1000) }
        out += h.advance(3_000) + h.advance(3_000)
        #expect(h.engine.counters.duplicates == 0)
        #expect(out.summary.filter { $0.hasSuffix(":ok") } == (1...20).map { "\($0):ok" }, "\(out.summary)")
        // Seq 0 of the new life is a gap like any other: filled from the nearest reading after it.
        #expect(out.summary.first == "0:synthetic", "\(out.summary)")
    }

    @Test("a real duplicate (same seq, same time) from a boot-less sensor is still dropped, and a late copy is not a restart")
    func duplicatesStayDuplicates() {
        var h = Harness()
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<100 { h.send(seq: seq, ts: base + Int64(seq) * 1000) }
        h.advance(3_000)
        let copy = h.send(seq: 42, ts: base + 42_000) + h.advance(3_000)
        #expect(copy.cleaned.isEmpty, "\(copy.summary)")
        #expect(h.engine.counters.duplicates == 1)
    }

    @Test(
        "a boot-less sensor's reading of before its restart, delayed past it (its own earlier time), is too_late: not taken into the new epoch (a gap filled towards it, its seq published twice) nor made into another epoch over readings published ok"
    )
    func lateReadingOfClosedEpoch() {
        var h = Harness()
        let base = Self.base
        var out = Self.live(&h, 0...16, temp: 52) + h.advance(3_000)
        // Restarted: seq 0...5 with later times; then a copy of the old seq 12 the network held.
        out += Self.live(&h, 0...5, temp: 53, from: 8_500)
        let late = h.send(seq: 12, temp: 52, ts: base + 6_000)
        #expect(Self.reasons(late) == ["too_late"], "\(late.map(\.text))")
        // An old seq below this epoch's too (it restated nothing, started nothing).
        let lower = h.send(seq: 3, temp: 52, ts: base + 1_500)
        #expect(Self.reasons(lower) == ["too_late"], "\(lower.map(\.text))")
        out += Self.live(&h, 6...20, temp: 53, from: 8_500) + h.advance(3_000) + h.advance(3_000)
        let after = out.summary.suffix(21)
        #expect(Array(after) == (0...20).map { "\($0):ok" }, "\(out.summary)")
        #expect(!out.summary.contains { $0.hasSuffix(":synthetic") || $0.hasSuffix(":restated") }, "\(out.summary)")
    }

    @Test(
        "a sensor that sends its last reading again with a fresh time (a retry) gets a duplicate, not a new epoch whose earlier seqs are filled; with another value and a time within the epoch it is dead-lettered"
    )
    func retriedLastReading() {
        for withBoot in [false, true] {
            var h = Harness()
            let base: Int64 = 1_795_660_000_000
            let boot = withBoot ? 1 : nil
            var out: [Publication] = []
            for seq in 0...10 { out += h.send(seq: seq, temp: 52, ts: base + Int64(seq) * 500, boot: boot) }
            out += h.advance(3_000)
            for delay: Int64 in [50, 2_500] {
                let retry = h.send(seq: 10, temp: 52, ts: base + 5_000 + delay, boot: boot)
                #expect(retry.isEmpty, "\(retry.map(\.text))")
            }
            #expect(h.engine.counters.duplicates == 2)
            // Another value under seq 10 with a time within the epoch: dead-lettered. (With a later
            // time, a sensor without `boot` has restarted and lost seqs 0-9: INTERFACE.md section 4.)
            let other = h.send(seq: 10, temp: 52.5, ts: base + 4_900, boot: boot)
            #expect(other.of(.deadLetter).map { $0.reason ?? "?" } == ["bad_value:seq"], "\(other.map(\.text))")
            for seq in 11...20 { out += h.send(seq: seq, temp: 52, ts: base + Int64(seq) * 500, boot: boot) }
            out += h.advance(3_000) + h.advance(3_000)
            #expect(out.summary == (0...20).map { "\($0):ok" }, "boot \(String(describing: boot)): \(out.summary)")
        }
    }

    @Test(
        "a boot-less sensor restarted with its first seqs lost: the old epoch's reading for one of them, delayed past the restart with its own time, is too_late; the new epoch's resend answer for it comes out"
    )
    func lateOldReadingInsideAskedRange() {
        var h = Harness()
        var out = Self.live(&h, 0...19, temp: 52) + h.advance(3_000)
        // Restarted; 0-5 lost, 6 and 7 arrive (later times); the old seq 3 comes, then the answer.
        out += Self.live(&h, 6...7, temp: 53, from: 20_000)
        let old = h.send(seq: 3, temp: 52, ts: Self.base + 1_500)
        #expect(Self.reasons(old) == ["too_late"], "\(old.map(\.text))")
        out += Self.live(&h, 0...5, temp: 53, from: 20_000) + h.advance(3_000) + h.advance(3_000)
        #expect(Array(out.summary.suffix(8)) == (0...7).map { "\($0):ok" }, "\(out.summary)")
        #expect(out.cleaned.suffix(8).allSatisfy { $0.temperature == 53 })
    }
}
