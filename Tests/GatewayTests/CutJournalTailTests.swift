import Foundation
import Journal
import Recovery
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A journal whose last records were cut off (a power cut before they reached the disk, or
/// damage at its end), with `latest off`, so no retained value shows what went out past the
/// cut: the restart cannot tell which of the lost seqs consumers hold, so the stream's next gap
/// is one `journal_damaged` gap, not estimates that could contradict readings out `ok` (found
/// black-box, 82nd review: seq 174 out `ok` 52.36, then `synthetic` 52.51).
@Suite("A journal's cut-off tail with latest off")
struct CutJournalTailTests {
    static let start: Int64 = 1_795_660_000_000

    /// Garbles every byte of the records from journal seq `from` to the end of the written data
    /// (what a write cut off by a power cut leaves: non-zero bytes that are no record), walking
    /// the newest segment by its record headers. Returns false when no record `from` was found.
    static func cutOff(_ directory: String, from target: UInt64) throws -> Bool {
        try SegmentRecords.change(in: directory) { bytes, records in
            guard let first = records.first(where: { $0.seq == target }), let last = records.last else { return false }
            for i in first.offset..<(last.offset + last.length) { bytes[i] = bytes[i] ^ 0xA5 | 0x01 }
            return true
        }
    }

    @Test(
        "latest off, the journal's records from reading 6 on cut off, the checkpoint before them: the restart publishes one journal_damaged gap from seq 6 up to the sensor's next reading, the sensor's resent readings restate it, nothing synthetic, and the log says why"
    )
    func cutTailNextGapIsDamaged() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let latestOff: (inout GatewayConfiguration) -> Void = { $0.engine.withoutLatest = true }
        let first = try await Subscriber.connect(broker, id: "first-watcher", filters: ["cleaned/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "cut", configure: latestOff)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<10 {
            try fleet.measure("cut", seq: seq, ts: Self.start + Int64(seq) * 1000, temperature: 52 + Double(seq) / 100)
            try await first.recorder.wait(for: "reading \(seq) cleaned", timeout: .seconds(60)) {
                $0.messages.compactMap(CleanedReading.init).count > seq
            }
        }
        try await gateway.stop()
        await first.close()

        // Cut off everything from reading 6's input on; the checkpoint says what is left was
        // acknowledged, and nothing after it. Without the snapshot, the restart knows only what
        // the journal still holds.
        let journal = gateway.configuration.journalDirectory
        let records = try DestroyedPublicationTests.publicationRecords(journal, sensor: "cut")
        let lastKept = try #require(records[5])
        #expect(try Self.cutOff(journal, from: lastKept + 1))
        let layout = try JournalLayout(directory: journal, maxBytes: gateway.configuration.journalMaxBytes)
        try CheckpointStore(path: layout.checkpointPath, fileSystem: POSIXFileSystem()).store(lastKept, durableThrough: lastKept)
        try FileManager.default.removeItem(atPath: gateway.configuration.snapshotPath)

        let log = CapturedLog()
        let second = try await Subscriber.connect(broker, id: "second-watcher", filters: ["cleaned/#"])
        let restarted = try await InProcessGateway.start(broker, in: dir, id: "cut", logger: log.logger(), configure: latestOff)
        #expect(log.lines.contains { $0.level == .warning && $0.message.hasPrefix("the journal's last write was cut off") }, "\(log.messages)")
        // Seqs 10 and 11 never sent; 12 is the sensor's next reading. Then it answers the resend
        // request with 7 and 8, which went out `ok` before (83rd review: within the reorder
        // window they went out `ok` again, and 9-11 were filled `synthetic`).
        try fleet.measure("cut", seq: 12, ts: Self.start + 12_000, temperature: 52.12)
        for seq in UInt64(7)...8 { try fleet.measure("cut", seq: seq, ts: Self.start + Int64(seq) * 1000, temperature: 52 + Double(seq) / 100) }
        try await second.recorder.wait(for: "readings 12, 7 and 8 cleaned", timeout: .seconds(120)) {
            Set($0.messages.compactMap(CleanedReading.init).map(\.seq)).isSuperset(of: [7, 8, 12])
        }
        // (A fill of 9-11 would go out before 12, in seq order.)
        let after = await second.cleaned()
        #expect(after.map { "\($0.seq):\($0.quality.rawValue)" } == ["6:gap", "12:ok", "7:restated", "8:restated"], "\(after)")
        let gap = try #require(after.first)
        #expect(gap.reason == CleanedReading.journalDamaged && gap.fromSeq == 6 && gap.toSeq == 11, "\(gap)")
        try await restarted.stop()
        await second.close()
        await fleet.close()
    }
}
