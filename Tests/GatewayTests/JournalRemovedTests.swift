import Foundation
import Testing
import TestSupport
@testable import Gateway

@Suite("A journal removed under the running gateway")
struct JournalRemovedTests {
    @Test("rm -rf of the data folder makes /healthz 503 saying so, and the metric journal_writable 0")
    func removedDataFolder() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "gone")
        let http = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        try await waitUntil("healthy") { http("/healthz").status == 200 }
        try removeUnderWriter(atPath: dir.file("data"))
        try await waitUntil("the removal reported") { http("/healthz").status == 503 }
        #expect(http("/healthz").body.contains("was removed while the gateway runs"))
        #expect(http("/metrics").body.contains("sensor_gateway_journal_writable 0"))
        // The body says what the metric says (it said `"journal_writable":true` here, found black-box).
        #expect(http("/healthz").body.contains(#""journal_writable":false"#))
        try await gateway.stop()
    }
}
