import DeterministicRandom
import Testing
import Wire

@testable import Recovery

/// The journal keeps a released reading's message as the reading (`CompactPublication`): read
/// back, it must be the very message the engine published, and damage must never crash it.
@Suite("Compact publication records")
struct CompactPublicationTests {
    /// Every publication of a random faulty fleet, through the journal's form and back.
    static func roundTrip(seed: UInt64) -> (publications: [Publication], compact: Int, fullBytes: Int, compactBytes: Int) {
        var engine = RecoveryEngine(configuration: PropertyTests.configuration())
        let out = PropertyTests.run(PropertyTests.stream(seed: seed)[...], on: &engine)
        var compact = 0, fullBytes = 0, compactBytes = 0
        var decoded: [Publication] = []
        for p in out {
            let record = JournalRecords.encodePublication(p)
            if record.first.map({ $0 & CompactPublication.marker != 0 }) == true {
                compact += 1
                compactBytes += record.count
                fullBytes += 4 + p.topic.utf8.count + p.payload.count
            }
            if let back = JournalRecords.decodePublication(record) { decoded.append(back) }
        }
        return (decoded, compact, fullBytes, compactBytes)
    }

    @Test("every message of a faulty fleet reads back byte for byte: topic, payload, kind and retain", arguments: [UInt64(11), 12, 13])
    func sameMessages(seed: UInt64) {
        var engine = RecoveryEngine(configuration: PropertyTests.configuration())
        let published = PropertyTests.run(PropertyTests.stream(seed: seed)[...], on: &engine)
        let trip = Self.roundTrip(seed: seed)
        #expect(trip.publications == published)
        // Each quality, the boot and the extra fields were all in the compact form.
        let compactQualities = Set(published.filter { $0.released != nil }.compactMap(\.quality))
        #expect(compactQualities.isSuperset(of: ["ok", "corrected", "synthetic", "restated"]))
        #expect(trip.compact == published.filter { $0.kind == .cleaned || $0.kind == .latest }.count - published.filter { $0.quality == "gap" }.count)
    }

    @Test("a released reading's record is at most a third of the full form's bytes")
    func smaller() {
        let trip = Self.roundTrip(seed: 21)
        #expect(trip.compact > 1000)
        #expect(trip.compactBytes * 3 <= trip.fullBytes, "compact \(trip.compactBytes) bytes against full \(trip.fullBytes)")
    }

    @Test("a message on another topic than its reading's, and a gap notice, keep the full form")
    func fallback() throws {
        let r = ReleasedReading(sensorID: "s1", seq: 4, ts: 1_795_660_000_000, temperature: 52.25, status: .normal, quality: .ok, boot: 3)
        let elsewhere = Publication(kind: .cleaned, topic: "cleaned/other/temperature", released: r, payload: r.render(), retain: false)
        let record = JournalRecords.encodePublication(elsewhere)
        #expect(record.first == Publication.Kind.cleaned.rawValue)
        #expect(JournalRecords.decodePublication(record) == elsewhere)
        let gap = GapNotice(sensorID: "s1", fromSeq: 5, toSeq: 90, fromTs: 1, toTs: 2, boot: 3)
        let notice = Publication(kind: .cleaned, topic: Topics.cleaned("s1"), payload: gap.render())
        #expect(JournalRecords.encodePublication(notice).first == Publication.Kind.cleaned.rawValue)
    }

    @Test("extreme values survive: negative and huge ts, seq at the top of its range, NaN-free doubles at the edges, a long UTF-8 id")
    func extremes() throws {
        let id = String(repeating: "é-датчик-", count: 40)
        for (seq, ts, value, boot) in [
            (UInt64.max, Int64.min + 1, -Double.greatestFiniteMagnitude, Int64.min),
            (0, -1, Double.leastNonzeroMagnitude, Int64.max), (1 << 35, Int64.max, 0.1 + 0.2, 0),
        ] {
            var r = ReleasedReading(sensorID: id, seq: seq, ts: ts, temperature: value, status: .deviated, quality: .restated, boot: boot)
            r.raw = -0.0
            r.method = .distribution
            r.supersedes = .synthetic
            let p = Publication(kind: .latest, topic: Topics.latest(id), released: r, payload: r.render(), retain: true)
            let back = try #require(JournalRecords.decodePublication(JournalRecords.encodePublication(p)))
            #expect(back == p)
            #expect(back.released == r)
        }
    }

    @Test("damaged compact records give nil or a well-formed message, never a crash")
    func damage() {
        var rng = SplitMix64(seed: 5)
        var engine = RecoveryEngine(configuration: PropertyTests.configuration())
        let records = PropertyTests.run(PropertyTests.stream(seed: 5, sensors: 2, readings: 100)[...], on: &engine)
            .filter { $0.released != nil }.map(JournalRecords.encodePublication)
        var rejected = 0
        for record in records {
            for cut in 0..<record.count {
                #expect(JournalRecords.decodePublication(Array(record.prefix(cut))) == nil, "a record cut at \(cut) was accepted")
            }
            var flipped = record
            let i = 1 + Int(rng.next() % UInt64(flipped.count - 1))  // the first byte keeps it a compact record
            flipped[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            if let p = JournalRecords.decodePublication(flipped) {
                #expect(p.topic.hasSuffix("/temperature") && p.payload.first == UInt8(ascii: "{"))
            } else {
                rejected += 1
            }
            #expect(JournalRecords.decodePublication(record + [0]) == nil, "trailing bytes were accepted")
        }
        #expect(rejected > 0)
    }
}
