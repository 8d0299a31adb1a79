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

    @Test(
        "a data folder moved away and back: the log says when it went and when it came back, and /healthz is 200 again (found black-box, 41st review: only the start was logged)"
    )
    func movedAwayAndBack() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "moved", logger: log.logger())
        let http = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        try await waitUntil("healthy") { http("/healthz").status == 200 }
        try FileManager.default.moveItem(atPath: dir.file("data"), toPath: dir.file("data.moved"))
        try await waitUntil("the move reported") { http("/healthz").status == 503 }
        try FileManager.default.moveItem(atPath: dir.file("data.moved"), toPath: dir.file("data"))
        try await waitUntil("the return logged") { log.lines.contains { $0.message.hasPrefix("the journal's files are back where they were opened") } }
        try await waitUntil("healthy again") { http("/healthz").status == 200 }
        #expect(log.lines.contains { $0.level == .critical && $0.message.contains("was removed while the gateway runs") }, "\(log.messages)")
        try await gateway.stop()
    }
}
