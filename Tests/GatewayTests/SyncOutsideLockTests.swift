import Foundation
import Journal
import Testing
import TestSupport
@testable import Gateway

@Suite("journal syncs outside the append lock")
struct SyncOutsideLockTests {
    /// A sync held on the disk must not hold up input: the network thread goes on journaling
    /// readings and acknowledging them to the broker. The broker here lets 20 messages at most
    /// await the gateway's acknowledgement, so 200 readings journaled while the sync is held
    /// mean at least 180 acknowledgements left meanwhile.
    @Test("while a journal sync is held on the disk, the input thread keeps journaling and acknowledging")
    func inputGoesOnDuringASync() async throws {
        let broker = try await TestBroker.start(extraConfig: ["max_inflight_messages 20"])
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let disk = GatedSyncFileSystem()
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "slow-sync", fileSystem: disk,
            configure: { c in
                c.fsync = .interval
                c.snapshotIntervalMs = 3_600_000
            })
        // Counted in the journal's files by a reader, as another process would: asking the
        // gateway would take the lock this test is about.
        let journalDirectory = gateway.configuration.journalDirectory
        let readings = { () throws -> Int in
            var n = 0
            try JournalReader(directory: journalDirectory).read(fromSeq: nil) { record in
                if record.type == 1 { n += 1 }
                return true
            }
            return n
        }
        let sensors = try await TestSensorFleet.connect(broker, answersResends: false)
        let start = Int64(Date().timeIntervalSince1970 * 1000)

        disk.holdNextSync()
        try sensors.measure("s1", seq: 0, ts: start, temperature: 52)
        var failure: (any Error)?
        do {
            try await waitUntil("a journal sync to be held", timeout: .seconds(120)) { disk.holding }
            let before = try readings()
            for seq in UInt64(1)...200 { try sensors.measure("s1", seq: seq, ts: start + Int64(seq), temperature: 52) }
            try await waitUntil("200 more readings journaled and acknowledged while the sync is held", timeout: .seconds(60)) {
                try readings() >= before + 200
            }
            #expect(disk.holding, "the sync was still held when the readings were journaled")
        } catch {
            failure = error
        }
        disk.release()
        await sensors.close()
        try await gateway.stop()
        if let failure { throw failure }
    }
}
