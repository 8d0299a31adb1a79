import Foundation
import Gateway
import Testing
import TestSupport

@Suite("Metrics, health and status page over HTTP")
struct HTTPTests {
    @Test("/healthz is 200 while connected and 503 (saying why) without the broker; /metrics and / show the readings")
    func endpoints() async throws {
        let port = LoopbackNetwork.freePort()
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--http", "127.0.0.1:\(port)"], answersResends: false)
        defer { scenario.cleanUp() }
        try await waitUntil("the HTTP endpoint") { (try? await HTTPGet.fetch(port: port, path: "/healthz"))?.status == 200 }
        let healthy = try await HTTPGet.fetch(port: port, path: "/healthz")
        #expect(healthy.body.contains("\"status\":\"ok\""))
        #expect(healthy.headers.contains("application/json"))

        for seq in UInt64(0)..<5 {
            try scenario.fleet.measure("hot-1", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: seq == 2 ? 90 : 52)
        }
        try await scenario.watcher.recorder.wait(for: "5 cleaned") { $0.messages.count >= 5 }
        // The status the endpoints serve is refreshed every 0.5 s: wait for it to catch up.
        try await waitUntil("metrics to show the readings") {
            let body = (try? await HTTPGet.fetch(port: port, path: "/metrics"))?.body ?? ""
            return body.contains("sensor_gateway_messages_received_total 5") && body.contains("sensor_gateway_cleaned_total{quality=\"ok\"} 4")
        }
        let metrics = try await HTTPGet.fetch(port: port, path: "/metrics").body
        #expect(metrics.contains("# TYPE sensor_gateway_cleaned_total counter"))
        #expect(metrics.contains("sensor_gateway_cleaned_total{quality=\"ok\"} 4"))
        #expect(metrics.contains("sensor_gateway_cleaned_total{quality=\"corrected\"} 1"))
        #expect(metrics.contains("sensor_gateway_dead_letters_total 1"))
        #expect(metrics.contains("sensor_gateway_dead_letters_by_reason_total{reason=\"out_of_range\"} 1"))
        #expect(metrics.contains("sensor_gateway_broker_connected 1.0"))
        // The process's own figures, read from /proc, and the release it is.
        #expect(metrics.contains("sensor_gateway_build_info{version=\"\(GatewayVersion.current)\"} 1.0"))
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((value("process_open_fds") ?? 0) >= 3)
        #expect((value("process_cpu_seconds_total") ?? -1) >= 0)
        let started = value("process_start_time_seconds") ?? 0
        #expect(abs(started - Date().timeIntervalSince1970) < 3600, "start time \(started)")
        // Every publication the broker acknowledged is in the latency histogram.
        try await waitUntil("acknowledgements in the latency histogram") {
            let body = (try? await HTTPGet.fetch(port: port, path: "/metrics"))?.body ?? ""
            return body.split(separator: "\n").contains { $0.hasPrefix("sensor_gateway_publish_latency_seconds_count ") && !$0.hasSuffix(" 0") }
        }
        #expect(metrics.contains("sensor_gateway_journal_oldest_record_age_seconds "))
        try Promtool.expectSuccess(["check", "metrics"], input: try await HTTPGet.fetch(port: port, path: "/metrics").body)

        let page = try await HTTPGet.fetch(port: port, path: "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<td>hot-1</td>"))
        #expect(page.body.contains("<svg"))
        #expect(try await HTTPGet.fetch(port: port, path: "/nope").status == 404)

        scenario.broker.stop()
        try await waitUntil("healthz to report the broker gone") { (try? await HTTPGet.fetch(port: port, path: "/healthz"))?.status == 503 }
        #expect(try await HTTPGet.fetch(port: port, path: "/healthz").body.contains("not connected to the broker"))
        #expect(try await scenario.gateway.terminate() == 0)
        await scenario.fleet.close()
        await scenario.watcher.close()
    }

}

@Suite("A subscription the broker refuses")
struct RefusedSubscriptionTests {
    #if arch(x86_64)
        static let multiarch = "x86_64-linux-gnu"
    #else
        static let multiarch = "aarch64-linux-gnu"
    #endif

    @Test("is logged as an error and makes /healthz unhealthy")
    func refusedSubscription() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // mosquitto's dynamic-security plugin refuses anonymous subscriptions (SUBACK 0x80) by
        // default; a plain acl_file would grant them and only filter deliveries.
        let ctrl = try ChildProcess(
            TestBroker.executable("mosquitto_ctrl"), ["dynsec", "init", dir.file("dynsec.json"), "admin", "admin-password"],
            logPath: dir.file("ctrl.log"))
        try await ctrl.wait()
        #expect(ctrl.exitCode == 0, "\(ctrl.output)")
        let broker = try await TestBroker.start(extraConfig: [
            "plugin /usr/lib/\(Self.multiarch)/mosquitto_dynamic_security.so", "plugin_opt_config_file \(dir.file("dynsec.json"))",
        ])
        defer { broker.shutdown() }
        let port = LoopbackNetwork.freePort()
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: dir.file("data"), extra: ["--http", "127.0.0.1:\(port)"])
        defer { gateway.child.signal(SIGKILL) }
        try await waitUntil("the refusal to be logged") {
            gateway.child.output.contains("the broker refused the readings subscription (check its ACL); no readings will arrive filter=sensors/+/temperature")
        }
        try await waitUntil("healthz to say so") {
            (try? await HTTPGet.fetch(port: port, path: "/healthz")).map { $0.status == 503 && $0.body.contains("refused the readings subscription") } ?? false
        }
        #expect(!gateway.child.output.contains("subscribed to the readings"))
        #expect(try await gateway.terminate() == 0)
    }
}
