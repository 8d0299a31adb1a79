import Foundation
import Testing
import TestSupport
import Wire
@testable import Gateway

@Suite("A message too large to hold")
struct PoisonMessageTests {
    @Test(
        "a 4 MB reading never reaches the gateway: the input connection stays up, the readings around it come out, and its seq is a flagged fill, not silence")
    func hugeReadingIsRefusedByTheBroker() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "poison")
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let ts0: Int64 = 1_795_660_000_000
        for seq in UInt64(0)..<3 { try fleet.measure("p1", seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52) }
        let huge = "{\"seq\":3,\"ts\":\(ts0 + 3000),\"temperature\":52,\"status\":\"normal\",\"pad\":\"" + String(repeating: "x", count: 4_000_000) + "\"}"
        try fleet.publishRaw("p1", huge)
        for seq in UInt64(4)..<8 { try fleet.measure("p1", seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52) }
        try await watcher.recorder.wait(for: "seqs 0-7 cleaned", timeout: .seconds(60)) {
            Set($0.messages.compactMap(CleanedReading.init).map(\.seq)) == Set(0..<8)
        }
        let cleaned = await watcher.cleaned()
        #expect(cleaned.first { $0.seq == 3 }?.quality == .synthetic)
        #expect(StreamAccounting(cleaned).allProblems.isEmpty)
        try await gateway.stop()
        // The status as the drain left it: final.
        let snapshot = gateway.status.snapshot
        #expect(snapshot.ingest.accepted == 7, "the huge message reached the journal")
        #expect(snapshot.runtime.inputReconnects == 0)
        await fleet.close()
        await watcher.close()
    }
}
