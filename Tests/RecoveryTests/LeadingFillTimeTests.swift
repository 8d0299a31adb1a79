import Foundation
import Testing

@testable import Recovery

/// A new epoch's first seqs, missing before its first reading, are estimated with no reading on
/// their left. Stepped back from the first reading by the sensor's interval, a long leading fill
/// reached behind the sensor's earlier epoch, into aggregate windows closed and forgotten minutes
/// before: they went out again at revision 0 with other counts (fault simulator, finding 13).
@Suite("A new epoch's leading fill in time")
struct LeadingFillTimeTests {
    static let base: Int64 = 1_795_660_000_000

    /// A sensor that sent boot 1's seqs 0-29 one a second, fell silent for minutes (its aggregate
    /// windows closed and were forgotten), and came back under boot 2 at `seq`, at `returnTs`.
    static func returned(seq: Int, at returnTs: Int64) -> (Harness, [Publication]) {
        var h = Harness { $0.aggregateWindowMs = 10_000 }
        for s in 0...29 { h.send(seq: s, temp: 52, ts: base + Int64(s) * 1000, boot: 1) }
        h.run(for: 600_000)
        h.send(seq: seq, temp: 53, ts: returnTs, boot: 2)
        return (h, h.run(for: 10_000))
    }

    static func timestamps(_ out: [Publication], _ quality: String) -> [Int64] {
        out.cleaned.filter { $0.quality == quality }.compactMap { ($0.json["ts"] as? NSNumber)?.int64Value }
    }

    @Test(
        "stepping back would reach behind the earlier epoch: the estimates are spread between its last reading and the new first one, in order, and no closed window is published again at a revision it had"
    )
    func spreadAfterTheEarlierEpoch() throws {
        let returnTs = Self.base + 300_000
        let (h, out) = Self.returned(seq: 400, at: returnTs)
        #expect(out.summary.count == 401 && out.summary.last == "400:ok")
        let stamps = Self.timestamps(out, "synthetic")
        #expect(stamps.count == 400)
        let lastOfBoot1 = Self.base + 29_000
        #expect(stamps.allSatisfy { $0 > lastOfBoot1 && $0 < returnTs })
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        var seen: [String: String] = [:]
        for a in h.log.of(.aggregate) {
            let key = "\(a.json["window_start"] ?? "")@\(a.json["revision"] ?? "")"
            #expect(seen[key] == nil || seen[key] == a.text, "window and revision \(key) published twice, differently")
            seen[key] = a.text
        }
        #expect(!seen.isEmpty)
    }

    @Test("stepping back stays after the earlier epoch: the estimates keep the sensor's interval before the new first reading")
    func steppedWhenThereIsRoom() {
        let returnTs = Self.base + 300_000
        let (_, out) = Self.returned(seq: 5, at: returnTs)
        #expect(Self.timestamps(out, "synthetic") == (0...4).map { returnTs - Int64(5 - $0) * 1000 })
    }

    @Test(
        "a new epoch whose first reading is stamped before the earlier epoch's last (a clock set back): its estimates take that reading's time, never earlier")
    func firstReadingBehindTheEarlierEpoch() {
        let returnTs = Self.base + 10_000
        let (_, out) = Self.returned(seq: 3, at: returnTs)
        #expect(Self.timestamps(out, "synthetic") == [returnTs, returnTs, returnTs])
    }

    @Test(
        "the floor counts from the fill's own first seq: seqs 500-509 before seq 510 keep the interval while that leaves them after it, and are spread after it when it does not"
    )
    func floorFromTheFillsFirstSeq() {
        let right = Anchor(seq: 510, ts: 20_000, value: 52, status: .normal)
        let stamp = { (seq: UInt64, floor: Int64) in
            Estimator.timestamp(seq: seq, left: nil, right: right, step: 1000, after: OpenFill.Floor(firstSeq: 500, ts: floor))
        }
        #expect((500...509).map { stamp($0, 5_000) } == Array(stride(from: Int64(10_000), through: 19_000, by: 1000)))
        let spread = (500...509).map { stamp($0, 15_000) }
        #expect(spread.first == 15_455 && spread.last == 19_545)
        #expect(zip(spread, spread.dropFirst()).allSatisfy { $1 - $0 >= 454 && $1 - $0 <= 455 })
    }
}
