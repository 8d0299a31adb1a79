import Foundation
import Synchronization
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A restart's restore learns things outside the journal (the broker's retained `latest/`
/// values, output the journal lost); the engine that results is snapshotted before anything
/// runs, so no later restore replays across that start without them. The first turn's snapshot
/// used to be the first, written in the background while input ran: a SIGKILL before it was
/// saved left the next restore replaying across the start (found black-box after plain SIGKILLs,
/// and reproduced by a SIGKILL loop: "the journal's input no longer regenerates the journaled
/// publications").
@Suite("A restart's restore is snapshotted")
struct RestartSnapshotTests {
    @Test("after a SIGKILL, the restored engine is on disk before the restarted gateway runs anything")
    func restoreSnapshottedBeforeTheLoop() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("data")
        let ts0 = Clocks.epochMilliseconds() - 120_000
        let watcher = try await Subscriber.connect(broker, id: "restart-watcher", filters: ["cleaned/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)

        // A run without periodic snapshots, killed after its readings went out.
        let first = try GatewayProcess.start(broker: broker, dataDirectory: data, extra: ["--snapshot-interval-ms", "3600000"], logName: "gw1.log")
        defer { first.child.signal(SIGKILL) }
        try await first.waitUntilConnected()
        for seq in UInt64(0)..<20 {
            try fleet.publishRaw("rs-1", TestSensorFleet.payload(seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52, boot: 1))
        }
        try await watcher.recorder.wait(for: "seq 19 cleaned", timeout: .seconds(90)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.seq == 19 }
        }
        try await first.kill()

        // Restarted: before its loop starts, the snapshot on disk is the restored engine's.
        let seen = Mutex<(snapshotFrom: UInt64?, inputPosition: UInt64, sensors: Int?)?>(nil)
        let second = try await InProcessGateway.start(
            broker, in: dir, id: "gw",
            configure: { $0.snapshotIntervalMs = 3_600_000 },
            prepare: { service in
                let bytes = FileManager.default.contents(atPath: service.configuration.snapshotPath).map { [UInt8]($0) }
                let snapshot = bytes.flatMap { try? EngineSnapshot.decode($0) }
                seen.withLock {
                    $0 = (snapshot?.inputFrom, service.pipeline.inputPosition, snapshot?.engine.sensorCount)
                }
            })
        try await second.stop()
        let found = try #require(seen.withLock { $0 })
        #expect(found.snapshotFrom == found.inputPosition, "snapshot from \(String(describing: found.snapshotFrom)), input at \(found.inputPosition)")
        #expect(found.sensors == 1)
        await fleet.close()
        await watcher.close()
    }
}
