import Wire
import Foundation
import Testing
import TestSupport
@testable import Gateway

@Suite("Backpressure to the broker")
struct BackpressureTests {
    @Test("with the engine made slow, journaled input waiting for it stays within its bound while the broker holds the rest; all comes out")
    func slowEngine() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        var limits = IngestJournal.Limits()
        limits.pendingMessages = 50
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "slow", ingestLimits: limits,
            prepare: { service in
                service.beforeBatch = { usleep(50_000) }
            })
        let status = gateway.status
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let sensors = 10, readings = 300
        for seq in UInt64(0)..<UInt64(readings) {
            for s in 0..<sensors {
                try fleet.measure("b\(s)", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
            }
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(180)) {
            $0.messages.compactMap(CleanedReading.init).count >= sensors * readings
        }
        let accounting = StreamAccounting(await watcher.cleaned())
        let (problems, covered) = (accounting.allProblems, accounting.coveredSeqs)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(covered.count == sensors)
        #expect(covered.values.allSatisfy { $0.count == readings })
        // The network thread checks the bound after every message it reads.
        let highWater = status.snapshot.ingest.pendingHighWater
        #expect(highWater <= limits.pendingMessages + 1, "\(highWater) messages waited in memory")
        // Reaching the bound is what pauses input (`IngestJournal.pause`): the high-water mark shows
        // it happened, where a status sampled every 0.5 s could miss a short pause.
        #expect(highWater >= limits.pendingMessages, "the bound was never reached: the test did not exercise backpressure")
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
