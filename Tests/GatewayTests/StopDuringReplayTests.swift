import Foundation
import Logging
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A SIGTERM during a start's replay of the journal waited for the whole replay and then a
/// drain: 6-12 s at 10,000 sensors (found black-box, 61st review), against systemd's stop
/// timeout. Nothing is sent or written before the replay ends, so the replay stops there.
@Suite("A shutdown during the start's replay")
struct StopDuringReplayTests {
    @Test("a shutdown requested while the journal is replayed ends the start there; the next start replays it all")
    func stopEndsTheReplay() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "replay-stop-watcher", filters: ["cleaned/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "gw", configure: { $0.snapshotIntervalMs = 3_600_000 })
        let ts0 = Clocks.epochMilliseconds() - 3_000_000
        let readings: UInt64 = 2_000
        for seq in 0..<readings {
            try fleet.publishRaw("rs-\(seq % 4)", TestSensorFleet.payload(seq: seq / 4, ts: ts0 + Int64(seq) * 1000, temperature: 52, boot: 1))
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(300)) { $0.messages.count >= Int(readings) }
        try await gateway.stop()
        // Without its snapshot the next start replays the whole journal: thousands of records.
        try FileManager.default.removeItem(atPath: gateway.configuration.snapshotPath)

        let shutdown = ShutdownSignal()
        shutdown.request()
        #expect(throws: JournalRestore.Stopped.self) {
            _ = try GatewayService(configuration: gateway.configuration, logger: Logger(label: "stopped-start"), shutdown: shutdown)
        }
        // The journal is as it was: a start replays all of it, and sends nothing again.
        let before = await watcher.recorder.messages.count
        let again = try await InProcessGateway.start(broker, in: dir, id: "gw", configure: { $0.snapshotIntervalMs = 3_600_000 })
        #expect(again.status.snapshot.counters.received >= Int(readings))
        try await again.stop()
        #expect(await watcher.recorder.messages.count == before)
        await fleet.close()
        await watcher.close()
    }
}
