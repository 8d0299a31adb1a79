import Foundation
import Journal
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A data folder whose journal is gone while its engine snapshot stays (the journal deleted, on
/// a mount that failed, or an older backup restored over it): found black-box, the gateway
/// started a new journal and said nothing, while its output repeated and reordered seqs.
@Suite("A journal lost under its snapshot")
struct LostJournalTests {
    @Test("a restart whose engine snapshot continues a journal that is gone reports the loss as journal damage (/healthz degraded)")
    func lostJournalIsReported() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "lost-watcher", filters: ["cleaned/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "lost")
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<20 { try fleet.measure("lost", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52) }
        try await watcher.recorder.wait(for: "20 readings cleaned", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).count >= 20
        }
        try await gateway.stop()  // writes the engine snapshot
        await fleet.close()
        await watcher.close()
        #expect(FileManager.default.fileExists(atPath: gateway.configuration.snapshotPath))
        try FileManager.default.removeItem(atPath: gateway.configuration.journalDirectory)

        let restarted = try await InProcessGateway.start(broker, in: dir, id: "lost")
        let damage = restarted.status.snapshot.journalDamage
        #expect(damage.contains { $0.contains("where the engine snapshot continues") && $0.contains("were lost") }, "\(damage)")
        try await restarted.stop()
    }

    @Test("a restart without the engine snapshot after the ring has reclaimed records reports the missing snapshot (/healthz degraded)")
    func missingSnapshotIsReported() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "wrap-watcher", filters: ["cleaned/#"])
        let smallRing: (inout GatewayConfiguration) -> Void = { $0.journalMaxBytes = 1 << 20 }
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "wrap", configure: smallRing)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        // About 370 bytes of journal a reading (its message and its publication): 8,000 fill a
        // 1 MiB ring more than twice, so snapshots let it reclaim the oldest records.
        let readings = 8_000
        for seq in 0..<readings {
            try fleet.measure("w\(seq % 8)", seq: UInt64(seq / 8), ts: 1_795_660_000_000 + Int64(seq / 8) * 1000, temperature: 52)
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(180)) {
            $0.messages.compactMap(CleanedReading.init).count >= readings
        }
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
        let oldest = try JournalReader(directory: gateway.configuration.journalDirectory).start(receivedFrom: 0).oldestSeq
        #expect((oldest ?? 0) > 1, "the ring reclaimed nothing: the test's premise does not hold")
        try FileManager.default.removeItem(atPath: gateway.configuration.snapshotPath)

        let restarted = try await InProcessGateway.start(broker, in: dir, id: "wrap", configure: smallRing)
        let damage = restarted.status.snapshot.journalDamage
        #expect(damage.contains { $0.contains("the engine snapshot is missing") }, "\(damage)")
        try await restarted.stop()
    }
}
