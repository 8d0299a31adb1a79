import Foundation
import Testing

@testable import Recovery

/// A fill longer than `RecoveryEngine.fillChunk` is decided at once and streams out a chunk per
/// tick (issue 29, finding 4: a fill published whole could need more journal than the ring has),
/// with the values an unstreamed fill would have had, each seq once and in order.
@Suite struct StreamedFillTests {
    static let chunk = Int(RecoveryEngine.fillChunk)
    /// Missing seqs 1...1000 between seq 0 (50 °C) and seq 1001 (55 °C).
    static let missing = 1000

    /// A started sensor whose gap of `missing` seqs has just been found due by a tick.
    static func opened() -> (Harness, [Publication]) {
        var h = Harness { $0.maxFill = 5000 }
        h.send(seq: 0, temp: 50)
        h.advance(2000)
        h.send(seq: missing + 1, temp: 55)
        let first = h.advance(2000)
        return (h, first)
    }

    /// Ticks (at the same time, as the gateway does while a fill is open) until the engine has
    /// nothing due; every tick's output.
    static func drain(_ h: inout Harness) -> [[Publication]] {
        var ticks: [[Publication]] = []
        while let due = h.engine.nextDeadline(), due <= h.now, ticks.count < 100 { ticks.append(h.advance(0)) }
        return ticks
    }

    /// The linear estimate between (0, 50 °C) and (1001, 55 °C), as the contract rounds it.
    static func linear(_ seq: Int) -> Double { ((50 + 5 * Double(seq) / Double(missing + 1)) * 1000).rounded() / 1000 }

    @Test("a tick publishes one chunk of the fill; the sensor stays due, and the rest follows a chunk per tick, in order, with the unstreamed values")
    func streamsAChunkPerTick() {
        var (h, first) = Self.opened()
        #expect(first.summary == (1...Self.chunk).map { "\($0):synthetic" })
        #expect(h.engine.nextDeadline().map { $0 <= h.now } == true, "an open fill keeps the sensor due")
        let ticks = Self.drain(&h)
        #expect(ticks.count == (Self.missing + Self.chunk - 1) / Self.chunk - 1)
        for tick in ticks { #expect(tick.cleaned.filter { $0.quality == "synthetic" }.count <= Self.chunk) }
        let all = first.cleaned + Array(ticks.joined()).cleaned
        #expect(all.summary == (1...Self.missing).map { "\($0):synthetic" } + ["\(Self.missing + 1):ok"])
        #expect(all.dropLast().allSatisfy { $0.temperature == Self.linear($0.seq ?? -1) }, "\(all.prefix(3).map(\.text))")
        #expect(h.engine.nextDeadline().map { $0 > h.now } ?? true, "nothing due once the fill is out")
    }

    @Test("a real reading for a seq the fill has not reached comes out ok in its place, and ends the fill's wait there")
    func realReadingInsideTheOpenFill() {
        var (h, first) = Self.opened()
        #expect(first.cleaned.count == Self.chunk)
        // Arriving while the fill is open: held, not published ahead of the fill.
        #expect(h.send(seq: 700, temp: 53).cleaned.isEmpty)
        let rest = Array(Self.drain(&h).joined()).cleaned
        let expected = (Self.chunk + 1..<700).map { "\($0):synthetic" } + ["700:ok"] + (701...Self.missing).map { "\($0):synthetic" }
        #expect(rest.summary == expected + ["\(Self.missing + 1):ok"])
    }

    @Test(
        "a restart that finds the broker's latest/ past an open fill ends it: the rest is one journal_damaged gap up to the broker's seq, not estimates made again against another right-hand reading"
    )
    func openFillEndsWhenOutputWasLost() {
        var (h, first) = Self.opened()
        #expect(first.cleaned.count == Self.chunk)
        // The fill and more went out before a crash whose journal lost them: the broker's
        // retained value is at seq 1005, beyond the fill and its right-hand reading.
        let ahead = h.engine.publishedBeyondJournal([
            "latest/s1/temperature": .init(seq: UInt64(Self.missing + 5), ts: 1_795_660_000_000 + Int64(Self.missing + 5) * 1000, boot: nil)
        ])
        #expect(ahead.map(\.stream) == ["s1"])
        var out = h.send(seq: Self.missing + 6, temp: 53)
        out += Array(Self.drain(&h).joined())
        out += h.advance(3000)
        let cleaned = out.cleaned
        #expect(cleaned.summary == ["\(Self.chunk + 1):gap", "\(Self.missing + 6):ok"], "\(cleaned.prefix(3).map(\.text))")
        #expect(cleaned.first?.json["reason"] as? String == "journal_damaged")
        #expect((cleaned.first?.json["to_seq"] as? NSNumber)?.intValue == Self.missing + 5)
    }

    @Test("input does not move an open fill on: only ticks do")
    func ingestDoesNotContinueTheFill() {
        var (h, _) = Self.opened()
        #expect(h.send(seq: Self.missing + 2, temp: 52).cleaned.isEmpty)
        #expect(h.send("s2", seq: 0, temp: 52).cleaned.isEmpty)
        #expect(h.advance(0).cleaned.filter { $0.quality == "synthetic" }.count == Self.chunk)
    }

    @Test("an engine restored from its snapshot in the middle of a fill goes on exactly as the original")
    func restoredMidFill() throws {
        var (original, _) = Self.opened()
        original.advance(0)
        var restored = original
        restored.engine = try JSONDecoder().decode(RecoveryEngine.self, from: JSONEncoder().encode(original.engine))
        original.log = []
        restored.log = []
        _ = Self.drain(&original)
        _ = Self.drain(&restored)
        #expect(!original.log.isEmpty)
        #expect(restored.log == original.log)
    }

    @Test("a new boot mid-fill publishes the rest of the old epoch's fill at once, then the new epoch")
    func newEpochClosesTheFill() {
        var h = Harness { $0.maxFill = 5000 }
        h.send(seq: 0, temp: 50, boot: 1)
        h.advance(2000)
        h.send(seq: Self.missing + 1, temp: 55, boot: 1)
        #expect(h.advance(2000).cleaned.count == Self.chunk)
        let closing = h.send(seq: 0, temp: 52, boot: 2).cleaned
        #expect(closing.summary == (Self.chunk + 1...Self.missing).map { "\($0):synthetic" } + ["\(Self.missing + 1):ok", "0:ok"])
    }
}
