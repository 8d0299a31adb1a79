import Foundation
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Gateway

/// A fleet whose first readings all wait out the reorder window together is released over
/// several partial ticks (`RecoveryEngine.tickPublicationBudget`); a restart that replays that
/// journal must regenerate exactly the publications the live run journaled.
@Suite("A fleet starting together, released in parts and replayed")
struct FleetStartReplayTests {
    @Test("3,000 sensors released over partial ticks come out once each, and a replay of the whole journal regenerates every publication identically")
    func splitReleaseReplaysIdentically() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let sensors = 3_000, readings = 2
        // The loop's first batch of input waits 1 s: meanwhile the whole fleet arrives and every
        // sensor's reorder window (300 ms) runs out, so one tick has all 3,000 sensors due.
        let firstBatch = Atomic(true)
        let noSnapshots: (inout GatewayConfiguration) -> Void = { $0.snapshotIntervalMs = 3_600_000 }
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "fleet-start", configure: noSnapshots,
            prepare: { service in
                service.beforeBatch = {
                    if firstBatch.exchange(false, ordering: .relaxed) { Thread.sleep(forTimeInterval: 1) }
                }
            })
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<UInt64(readings) {
            for s in 0..<sensors {
                try fleet.measure("f\(s)", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
            }
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(180)) {
            $0.messages.compactMap(CleanedReading.init).count >= sensors * readings
        }
        let accounting = StreamAccounting(await watcher.cleaned())
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems.prefix(5))")
        #expect(accounting.coveredSeqs.count == sensors)
        #expect(accounting.coveredSeqs.values.allSatisfy { $0.count == readings })
        try await gateway.stop()

        // Without the snapshot written at the stop, a restart replays the journal from its
        // first record and compares every publication it regenerates with the journaled one.
        // (On a loaded machine the drain may already have skipped it: "it would not be done in time".)
        if FileManager.default.fileExists(atPath: gateway.configuration.snapshotPath) {
            try FileManager.default.removeItem(atPath: gateway.configuration.snapshotPath)
        }
        let restarted = try await InProcessGateway.start(broker, in: dir, id: "fleet-start", configure: noSnapshots)
        #expect(restarted.status.snapshot.runtime.restoreMismatches == 0)
        #expect(restarted.status.snapshot.runtime.restoreCompared >= sensors * readings)
        try await restarted.stop()
        await fleet.close()
        await watcher.close()
    }
}
