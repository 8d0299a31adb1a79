import Foundation
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A restart replays the journal written after the last engine snapshot. Snapshots waited for
/// the journal to grow by 16 times their size, so at 10,000 sensors a restart replayed up to
/// 300,000 inputs (2.9 s); past `restart-replay-max-records` a snapshot is now due at once,
/// whatever the journal's growth or `snapshot-interval-ms`.
@Suite("A restart's replay is bounded")
struct RestartReplayBoundTests {
    @Test("past restart-replay-max-records, a snapshot comes without waiting for snapshot-interval-ms or the journal's growth")
    func snapshotOnceTheReplayWouldBeLong() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "bound-watcher", filters: ["cleaned/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let bound: UInt64 = 100
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "gw",
            configure: {
                // An hour between snapshots, and the default journal: only the bound can bring one.
                $0.snapshotIntervalMs = 3_600_000
                $0.restartReplayMaxRecords = bound
            })
        let atStart = try #require(gateway.status.snapshot.snapshots.inputFrom, "the start's own snapshot")
        #expect(gateway.status.snapshot.snapshots.written == 1)

        let ts0 = Clocks.epochMilliseconds() - 600_000
        func send(_ seqs: Range<UInt64>) async throws {
            for seq in seqs {
                try fleet.publishRaw("rb-1", TestSensorFleet.payload(seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52, boot: 1))
            }
            try await watcher.recorder.wait(for: "seq \(seqs.upperBound - 1) cleaned", timeout: .seconds(120)) {
                $0.messages.compactMap(CleanedReading.init).contains { $0.seq == seqs.upperBound - 1 }
            }
        }
        // The first periodic snapshot comes as soon as the journal has grown by 16 times the
        // start's (an empty engine's, a kilobyte).
        try await send(0..<150)
        try await waitUntil("the first periodic snapshot", timeout: .seconds(120)) { gateway.status.snapshot.snapshots.written >= 2 }
        // After it, within the hour, only the bound brings another: 200 readings journal 200
        // input records and their publications, past the bound of 100.
        try await send(150..<350)
        try await waitUntil("a snapshot brought by the bound", timeout: .seconds(120)) {
            gateway.status.snapshot.snapshots.written >= 3
        }
        let later = try #require(gateway.status.snapshot.snapshots.inputFrom)
        #expect(later > atStart + bound, "snapshot from \(later), the start's from \(atStart)")
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
