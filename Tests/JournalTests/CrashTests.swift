import FaultSimulation
import Foundation
import DeterministicRandom
import Testing
@testable import Journal

@Suite("Journal crash safety and damage detection")
struct CrashTests {
    @Test("after every simulated crash, each append reported durable is intact and nothing is invented", arguments: FaultyFileSystem.PowerCut.allCases)
    func crashes(mode: FaultyFileSystem.PowerCut) throws {
        var rng = SplitMix64(seed: 0xC0FFEE &+ UInt64(FaultyFileSystem.PowerCut.allCases.firstIndex(of: mode)!))
        let fs = FaultyFileSystem()
        var salt: [UInt64: UInt64] = [:]  // seq -> salt of the payload last appended with that seq
        var durable = Set<UInt64>()  // every append the journal reported durable
        var checked = 0
        for lap in UInt64(1)...40 {
            let j = try Journal(layout: .tiny(segments: 4, segmentSize: 8192), fsync: .interval, syncIntervalMs: 1_000_000, fileSystem: fs)
            var appended: [UInt64] = []
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let seq = j.nextSeq
                    salt[seq] = lap
                    try j.append(type: 1, time: Int64(seq), payload: payload(for: seq, salt: lap))
                    appended.append(seq)
                }
                if Bool.random(using: &rng) {
                    try j.sync()
                    durable.formUnion(appended.filter { $0 <= j.durableSeq })
                } else {
                    try j.commit(now: 0)
                }
            }
            let reclaimedBelow = j.oldestSeq ?? 0
            fs.powerCut(mode, rng: &rng)
            let after = try readAll("/j", fs)
            for r in after.records {
                #expect(r.payload == payload(for: r.seq, salt: salt[r.seq] ?? 0), "record \(r.seq) differs from what was appended")
            }
            let present = Dictionary(after.records.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
            // Durable records the ring reclaimed before the crash are gone by design.
            for seq in durable where seq >= reclaimedBelow {
                checked += 1
                #expect(
                    present[seq] != nil,
                    "durable record \(seq) lost after \(mode) lap \(lap): present \(present.keys.sorted().map(String.init).joined(separator: ",")) \(after.outcome.corruption) reclaimedBelow \(reclaimedBelow) report \(j.report)"
                )
            }
            durable = durable.filter { $0 >= reclaimedBelow }
        }
        #expect(checked > 100)
    }

    @Test("cutting the last record at every byte loses only that record")
    func truncationAtEveryByte() throws {
        let layout = JournalLayout.tiny(segments: 2, segmentSize: 8192)
        let lastSize = RecordFormat.headerSize + payload(for: 5).count  // padding after it carries nothing
        for cut in 0..<lastSize {
            let fs = FaultyFileSystem()
            var lastOffset = 0
            do {
                let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
                for seq in UInt64(1)...5 { try j.append(type: 1, time: 0, payload: payload(for: seq)) }
                try j.commit(now: 0)
                lastOffset = SegmentHeader.size + (1...4).reduce(0) { $0 + RecordFormat.paddedSize(payload: payload(for: UInt64($1)).count) }
            }
            let path = layout.segmentPath(0)
            fs.mutate(path) { bytes in
                for i in (lastOffset + cut)..<(lastOffset + lastSize) { bytes[i] = cut % 2 == 0 ? 0 : 0xA5 }
            }
            let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            let records = try readAll(layout.directory, fs).records
            #expect(records.map(\.seq) == [1, 2, 3, 4], "cut at \(cut)")
            #expect(j.report.corruption.isEmpty)
            #expect(j.nextSeq == 5)
            // Recovery is idempotent: opening again finds the same and no torn tail.
            let again = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            #expect(again.report.records == 4 && !again.report.tornTail)
        }
    }

    @Test("a bit flipped in any byte of a middle record is detected and reported; later records survive")
    func bitFlips() throws {
        let layout = JournalLayout.tiny(segments: 2, segmentSize: 8192)
        let body = [UInt8](repeating: 0x5A, count: 40)  // 32 + 40 = 72 bytes: no padding to hide a flip
        let size = RecordFormat.paddedSize(payload: body.count)
        for byte in 0..<size {
            let fs = FaultyFileSystem()
            do {
                let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
                for _ in 1...5 { try j.append(type: 1, time: 0, payload: body) }
                try j.commit(now: 0)
            }
            fs.mutate(layout.segmentPath(0)) { $0[SegmentHeader.size + 2 * size + byte] ^= 0x10 }
            let v = try JournalVerification.run(directory: layout.directory, fileSystem: fs)
            #expect(v.corrupt, "flip in byte \(byte) not detected")
            #expect(v.problems.count == 1, "flip in byte \(byte): one damage, one report: \(v.problems)")
            let records = try readAll(layout.directory, fs).records
            #expect(records.map(\.seq) == [1, 2, 4, 5], "flip in byte \(byte)")
        }
    }

    @Test("reading from a seq steps over the records before it by their headers, and still checks every record from it on")
    func readingFromASeq() throws {
        let layout = JournalLayout.tiny(segments: 2, segmentSize: 8192)
        let body = [UInt8](repeating: 0x5A, count: 40)
        let size = RecordFormat.paddedSize(payload: body.count)
        let fs = FaultyFileSystem()
        do {
            let j = try Journal(layout: layout, fsync: .always, fileSystem: fs)
            for _ in 1...8 { try j.append(type: 1, time: 0, payload: body) }
            try j.commit(now: 0)
        }
        // A payload byte of record 3 (before the start) and of record 6 (after it).
        let payloadByte = RecordFormat.headerSize + 5
        fs.mutate(layout.segmentPath(0)) { bytes in
            bytes[SegmentHeader.size + 2 * size + payloadByte] ^= 0x10
            bytes[SegmentHeader.size + 5 * size + payloadByte] ^= 0x10
        }
        let (records, outcome) = try readAll(layout.directory, fs, from: 5)
        #expect(records.map(\.seq) == [5, 7, 8])
        #expect(records.allSatisfy { $0.payload == body })
        #expect(outcome.lostSeqs == [6...6], "only the damage at or after the start is met: \(outcome.corruption)")
        #expect(outcome.oldestSeq == 1 && !outcome.truncated)
        // Read from the start, both are found.
        #expect(try readAll(layout.directory, fs).outcome.lostSeqs == [3...3, 6...6])
    }
}
