import Foundation
import Logging
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
        var settings = try ConfigurationLoader.load(
            configFile: nil, environment: [:],
            flags: ["broker": broker.url, "data-dir": dir.file("data"), "gateway-id": "spill", "http": "off", "reorder-window-ms": "300", "fsync": "never"],
            defaultGatewayID: "spill")
        settings.engine.maxHeldPerSensor = 10_000
        let shutdown = ShutdownSignal()
        let status = StatusBoard()
        let service = try GatewayService(configuration: settings, logger: Logger(label: "spill-test"), shutdown: shutdown,
                                         status: status, outboundCapacity: 40, ingestLimits: .init())
        let running = Task { try await service.run() }
        try await waitUntil("the gateway to subscribe") { status.snapshot.subscribed }
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<600 {
            try fleet.measure("burst", seq: seq, ts: 1_795_660_000_000 + Int64(seq), temperature: 52)
        }
        try await watcher.recorder.wait(for: "600 cleaned readings", timeout: .seconds(120)) {
            $0.messages.compactMap(CleanedMessageView.init).count >= 600
        }
        #expect(await watcher.cleaned().map(\.seq) == Array(0..<600))
        shutdown.request()
        try await running.value
        await fleet.close()
        await watcher.close()
    }
}
