import Foundation
import Gateway
import Testing
import TestSupport

/// A setting in the config file that an environment variable or a flag overrides: editing it
/// changes nothing, and the operator is told so (found black-box, 67th review: a reload said
/// "nothing changed" for an edit a unit's `Environment=` beat, and `config check` said nothing).
@Suite("Config file settings overridden by the environment or a flag")
struct ConfigOverrideTests {
    @Test("each file setting an environment variable or flag gives another value is named, with its line and what overrides it")
    func named() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("gw.conf")
        try "data-dir: /tmp/x\nmax-fill: 400\nvalid-max: 56\nfill: locf\n".write(toFile: file, atomically: true, encoding: .utf8)
        let notes = ConfigurationLoader.overriddenInFile(
            configFile: file, environment: ["SENSOR_GATEWAY_MAX_FILL": "50", "SENSOR_GATEWAY_FILL": "locf"], flags: ["valid-max": "55"])
        #expect(
            notes == [
                "max-fill in \(file), line 2, is 400 but SENSOR_GATEWAY_MAX_FILL=50 overrides it",
                "valid-max in \(file), line 3, is 56 but --valid-max 55 overrides it",
            ])
        #expect(ConfigurationLoader.overriddenInFile(configFile: nil, environment: ["SENSOR_GATEWAY_MAX_FILL": "50"], flags: [:]).isEmpty)
    }

    @Test("config check notes the override, and a reload after editing the overridden setting warns that the edit has no effect")
    func checkAndReload() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("gw.conf")
        let base = "gateway-id: over\ndata-dir: \(dir.file("data"))\nhttp: off\nbroker: \(broker.url)\n"
        try (base + "max-fill: 300\n").write(toFile: file, atomically: true, encoding: .utf8)
        let environment = ["SENSOR_GATEWAY_MAX_FILL": "50"]
        let check = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"), ["config", "check", "--config", file], logPath: dir.file("check.log"), environment: environment)
        try await check.wait(timeout: .seconds(60))
        #expect(
            check.exitCode == 0 && check.output.contains("note: max-fill in \(file), line 5, is 300 but SENSOR_GATEWAY_MAX_FILL=50 overrides it"),
            "\(check.output)")

        let gateway = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"), ["run", "--config", file], logPath: dir.file("gw.log"), environment: environment)
        defer { gateway.signal(SIGKILL) }
        try await waitUntil("subscribed", timeout: .seconds(180)) { gateway.output.contains("subscribed to the readings") }
        try (base + "max-fill: 400\n").write(toFile: file, atomically: true, encoding: .utf8)
        gateway.signal(SIGHUP)
        try await waitUntil("the reload's warning") {
            gateway.output.contains(
                "SIGHUP: max-fill in \(file), line 5, is 400 but SENSOR_GATEWAY_MAX_FILL=50 overrides it: an edit to it in the file has no effect")
        }
        gateway.signal(SIGTERM)
        try await gateway.wait()
        #expect(gateway.exitCode == 0)
    }
}
