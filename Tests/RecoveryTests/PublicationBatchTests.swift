import DeterministicRandom
import Testing
import Wire

@testable import Recovery

/// A turn's publications share one journal record (`PublicationBatch`): read back, they must be
/// the very messages the engine published, in order, and damage must give nil, never a crash or
/// a shorter list.
@Suite("Publication batch records")
struct PublicationBatchTests {
    /// Every publication of a random faulty fleet, in batches of at most `maxBytes`.
    static func batches(seed: UInt64, maxBytes: Int) -> (published: [Publication], records: [[UInt8]], flags: [UInt16]) {
        var engine = RecoveryEngine(configuration: PropertyTests.configuration())
        let published = PropertyTests.run(PropertyTests.stream(seed: seed)[...], on: &engine)
        var records: [[UInt8]] = []
        var flags: [UInt16] = []
        var n = 0
        while n < published.count {
            var record: [UInt8] = []
            let batch = JournalRecords.appendPublicationBatch(published[n...], maxBytes: maxBytes, to: &record)
            #expect(batch.taken >= 1)
            records.append(record)
            flags.append(batch.flags)
            n += batch.taken
        }
        return (published, records, flags)
    }

    @Test("a faulty fleet's messages read back from batches byte for byte, in order", arguments: [64, 1024, 16 * 1024])
    func sameMessages(maxBytes: Int) throws {
        let (published, records, flags) = Self.batches(seed: 31, maxBytes: maxBytes)
        var back: [Publication] = []
        for (record, flag) in zip(records, flags) {
            let ps = try #require(JournalRecords.decodePublications(record))
            // The flags name exactly the kinds the record holds.
            for kind in [Publication.Kind.cleaned, .deadLetter, .resendRequest, .sensorState, .aggregate, .latest] {
                #expect(JournalRecords.publicationRecord(flags: flag, mayHold: kind) == ps.contains { $0.kind == kind })
            }
            back += ps
        }
        #expect(back == published)
        #expect(Set(published.map(\.kind)).isSuperset(of: [.cleaned, .latest, .deadLetter, .resendRequest]))
        // Within the limit, except a record of one publication larger than it.
        for record in records where record.count > maxBytes {
            #expect(JournalRecords.decodePublications(record)?.count == 1)
        }
    }

    @Test(
        "a record never ends between a reading's latest/ copy and its cleaned/ message (the copy could be sent before a kill left the message unjournaled; found by the fault simulator, seed 1500003)",
        arguments: [64, 200, 1024, 16 * 1024])
    func latestKeptWithItsMessage(maxBytes: Int) throws {
        let (published, records, _) = Self.batches(seed: 33, maxBytes: maxBytes)
        var back: [Publication] = []
        var ends = 0
        for record in records {
            let ps = try #require(JournalRecords.decodePublications(record))
            back += ps
            guard back.count < published.count, let last = ps.last else { continue }
            ends += 1
            #expect(!(last.kind == .latest && published[back.count].kind == .cleaned), "a record ended after a latest/ copy, its message in the next")
        }
        #expect(back == published)
        #expect(ends > 3, "too few record ends to say anything")
    }

    @Test("a cleaned message's latest/ copy takes a few bytes; the whole output a fraction of one record each")
    func smaller() {
        let (published, records, _) = Self.batches(seed: 32, maxBytes: 16 * 1024)
        let batched = records.map(\.count).reduce(0, +)
        // One record each: the 32-byte header, padding to 8, and the single form.
        let single = published.map { ((32 + JournalRecords.encodePublication($0).count) + 7) & ~7 }.reduce(0, +)
        let singlePayloads = published.map { JournalRecords.encodePublication($0).count }.reduce(0, +)
        #expect(batched * 2 < single, "batched \(batched) bytes against \(single) in one record each")
        // The latest/ copies cost less than their own single forms would.
        let latest = published.filter { $0.kind == .latest }.map { JournalRecords.encodePublication($0).count }.reduce(0, +)
        #expect(latest > 0)
        #expect(batched < singlePayloads - latest / 2)
    }

    @Test("records written one publication each, before batches, still read")
    func singleForm() throws {
        let r = ReleasedReading(sensorID: "s1", seq: 4, ts: 1_795_660_000_000, temperature: 52.25, status: .normal, quality: .ok, boot: 3)
        let p = Publication(kind: .cleaned, topic: Topics.cleaned("s1"), released: r, payload: r.render(), retain: false)
        let dead = Publication(kind: .deadLetter, topic: "dlq/s1/temperature", payload: Array("{}".utf8))
        #expect(JournalRecords.decodePublications(JournalRecords.encodePublication(p)) == [p])
        #expect(JournalRecords.decodePublications(JournalRecords.encodePublication(dead)) == [dead])
        #expect(JournalRecords.publicationRecord(flags: UInt16(Publication.Kind.cleaned.rawValue), mayHold: .cleaned))
        #expect(!JournalRecords.publicationRecord(flags: UInt16(Publication.Kind.deadLetter.rawValue), mayHold: .cleaned))
    }

    @Test("a batch cut anywhere, or with bytes after it, is refused; a flipped byte gives nil or well-formed messages")
    func damage() {
        var rng = SplitMix64(seed: 9)
        let (_, records, _) = Self.batches(seed: 33, maxBytes: 600)
        var rejected = 0
        for record in records.prefix(40) {
            for cut in 0..<record.count {
                #expect(JournalRecords.decodePublications(Array(record.prefix(cut))) == nil, "a batch cut at \(cut) was accepted")
            }
            #expect(JournalRecords.decodePublications(record + [0]) == nil, "trailing bytes were accepted")
            var flipped = record
            let i = 1 + Int(rng.next() % UInt64(flipped.count - 1))
            flipped[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            if let ps = JournalRecords.decodePublications(flipped) {
                for p in ps { #expect(!p.topic.isEmpty) }
            } else {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}
