import Wire
import Foundation
import Testing
import TestSupport
@testable import Gateway

@Suite("Outbound work beyond memory is read back from the journal")
struct OutboundSpillTests {
    @Test("with room for 40 publications in memory, a burst of 600 readings still comes out complete and in order")
    func spillAndRefill() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "spill", outboundCapacity: 40)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<600 {
            try fleet.measure("burst", seq: seq, ts: 1_795_660_000_000 + Int64(seq), temperature: 52)
        }
        try await watcher.recorder.wait(for: "600 cleaned readings", timeout: .seconds(120)) {
            $0.messages.compactMap(CleanedReading.init).count >= 600
        }
        #expect(await watcher.cleaned().map(\.seq) == Array(0..<600))
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
