import Testing
import Wire

@testable import Recovery

/// A restart whose journal lost its newest records, acknowledged output among them, with no
/// broker `latest/` to show what went out (`latest` off): each stream's next gap is one
/// `journal_damaged` gap, never filled, also where that gap opens the sensor's next epoch or
/// lies past readings the restored engine holds (found black-box, 82nd review).
@Suite("Restore after a lost journal tail: the next gap is journal_damaged")
struct LostTailNextGapTests {
    static let topic = "sensors/a/temperature"
    static let start = RestoreReplayTests.start

    /// Sensor `a`'s reading `seq` of boot `boot`, sent at `start` + `second` s.
    static func reading(_ seq: Int, boot: Int, value: Double = 52.0, second: Int) -> [UInt8] {
        Array("{\"seq\":\(seq),\"ts\":\(start + Int64(second) * 1000),\"temperature\":\(value),\"status\":\"normal\",\"boot\":\(boot)}".utf8)
    }

    /// Feeds `readings` (payload and second) to `engine`, then ticks every second through
    /// `until`; returns the cleaned messages as `seq:quality[:reason]`.
    static func run(_ engine: inout RecoveryEngine, _ readings: [([UInt8], Int)], until: Int) throws -> [String] {
        var out: [Publication] = []
        var pending = readings
        for second in (pending.first?.1 ?? until)...until {
            let now = start + Int64(second) * 1000
            while let next = pending.first, next.1 == second {
                engine.ingest(topic: topic, payload: next.0, receivedAt: now, into: &out)
                pending.removeFirst()
            }
            engine.tick(now: now, into: &out)
        }
        return try RestoreReplayTests.cleaned(out).map { m in
            "\(m.boot ?? -1)/\(m.seq):\(m.quality.rawValue)" + (m.isJournalDamageGap ? ":journal_damaged" : "")
        }
    }

    @Test(
        "a sensor that rebooted just before the restart, its new boot's first seqs out and lost with the journal's tail: the new epoch's first gap is journal_damaged, not synthetic readings"
    )
    func newBootAfterLostTail() throws {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        #expect(try Self.run(&engine, (0...4).map { (Self.reading($0, boot: 1, second: $0), $0) }, until: 8) == (0...4).map { "1/\($0):ok" })
        // The snapshot: boot 1 through seq 4. Boot 2's seqs 0 and 1 went out after it, and the
        // journal lost them with its tail.
        engine.journalLostOutput(latestRead: false)
        let after = try Self.run(&engine, (2...4).map { (Self.reading($0, boot: 2, second: 20 + $0), 20 + $0) }, until: 60)
        #expect(after.first == "2/0:gap:journal_damaged", "\(after)")
        #expect(!after.contains { $0.hasSuffix(":synthetic") }, "\(after)")
        #expect(after.suffix(3) == ["2/2:ok", "2/3:ok", "2/4:ok"], "\(after)")
    }

    @Test(
        "an out-of-range reading held for its right neighbour at the restart, the seqs after it out ok and lost with the journal's tail: the gap after it is journal_damaged, not synthetic readings"
    )
    func gapPastAHeldReading() throws {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        let before = try Self.run(&engine, (0...4).map { (Self.reading($0, boot: 1, second: $0), $0) }, until: 6)
        #expect(before == (0...4).map { "1/\($0):ok" })
        var out: [Publication] = []
        engine.ingest(topic: Self.topic, payload: Self.reading(5, boot: 1, value: 70.0, second: 7), receivedAt: Self.start + 7000, into: &out)
        #expect(try RestoreReplayTests.cleaned(out).isEmpty, "held for its right neighbour")
        // The snapshot holds seq 5. Seqs 5 (corrected) to 8 went out after it, and the journal
        // lost them with its tail; the sensor's next reading is 9.
        engine.journalLostOutput(latestRead: false)
        let after = try Self.run(&engine, [(Self.reading(9, boot: 1, second: 12), 12)], until: 60)
        #expect(after == ["1/5:corrected", "1/6:gap:journal_damaged", "1/9:ok"], "\(after)")
    }

    @Test(
        "the lost tail held two stretches of output with a fill between; the sensor resends what it still holds while the restart waits: the gap is journal_damaged at once, the resent readings restate it, and nothing is filled (83rd review)"
    )
    func resentStretchesRestateTheGap() throws {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        #expect(try Self.run(&engine, (0...4).map { (Self.reading($0, boot: 1, second: $0), $0) }, until: 8) == (0...4).map { "1/\($0):ok" })
        // Seqs 5-7 and 10-12 went out `ok` after the snapshot, 8 and 9 `synthetic` (the sensor
        // lost them), and the journal lost all of it with its tail. The sensor's next reading is
        // 13; asked to resend 5-12, it answers with what it holds, before the reorder window ends.
        engine.journalLostOutput(latestRead: false)
        let resent = [5, 6, 7, 10, 11, 12].map { (Self.reading($0, boot: 1, second: $0), 20) }
        let after = try Self.run(&engine, [(Self.reading(13, boot: 1, second: 13), 20)] + resent, until: 60)
        #expect(after.first == "1/5:gap:journal_damaged", "\(after)")
        #expect(!after.contains { $0.hasSuffix(":synthetic") || $0.hasSuffix(":corrected") }, "\(after)")
        #expect(Set(after.dropFirst()) == Set(["1/13:ok"] + [5, 6, 7, 10, 11, 12].map { "1/\($0):restated" }), "\(after)")
    }

    @Test("without a lost tail the same streams are filled as before: the change is confined to the restart that lost output")
    func withoutLostTailFills() throws {
        var engine = RecoveryEngine(configuration: RestoreReplayTests.configuration)
        _ = try Self.run(&engine, (0...4).map { (Self.reading($0, boot: 1, second: $0), $0) }, until: 8)
        let after = try Self.run(&engine, (2...4).map { (Self.reading($0, boot: 2, second: 20 + $0), 20 + $0) }, until: 60)
        #expect(after.prefix(2) == ["2/0:synthetic", "2/1:synthetic"], "\(after)")
    }
}
