import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Gateway

@Suite("The service loop's watchdog")
struct WatchdogTests {
    @Test("/healthz answers 503 naming a stalled service loop while no turn completes within the bound, and 200 once it turns again")
    func stalledLoop() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let stall = Atomic<Bool>(false)
        // The loop stays stuck until the test has seen the report (2 minutes at most), so a
        // slow poll on busy cores cannot miss a stall of fixed length.
        let seen = Atomic<Bool>(false)
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "stall", configure: { $0.watchdogMs = 300 },
            prepare: { service in
                service.beforeBatch = {
                    guard stall.exchange(false, ordering: .relaxed) else { return }
                    for _ in 0..<1200 where !seen.load(ordering: .relaxed) { usleep(100_000) }
                }
            })
        let http = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        try await waitUntil("a healthy gateway") { http("/healthz").status == 200 }
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        stall.store(true, ordering: .relaxed)
        try fleet.measure("w", seq: 0, ts: 1_795_660_000_000, temperature: 52)
        try await waitUntil("the watchdog to report the stall") {
            let h = http("/healthz")
            return h.status == 503 && h.body.contains("service loop stalled")
        }
        seen.store(true, ordering: .relaxed)
        try await waitUntil("the loop to turn again", timeout: .seconds(60)) { http("/healthz").status == 200 }
        #expect(http("/").body.contains("last loop turn"))
        try await gateway.stop()
        await fleet.close()
    }
}
