import Foundation
import Testing
import TestSupport
@testable import Gateway

/// Which reloads reconnect: every broker connection setting, and new contents of a TLS file.
@Suite("Connection settings on reload")
struct ConnectionReloadTests {
    @Test("each broker connection setting, and a TLS file's new contents, is a reconnection; other settings are not")
    func reconnectionClasses() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (ca, password) = (dir.file("ca.pem"), dir.file("password"))
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: ca, atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: password, atomically: true, encoding: .utf8)
        func load(_ flags: [String: String]) throws -> GatewayConfiguration {
            var all = ["broker": "mqtts://127.0.0.1:8883", "ca-file": ca, "username": "gw", "password-file": password]
            all.merge(flags) { $1 }
            return try ConfigurationLoader.load(configFile: nil, environment: [:], flags: all, defaultGatewayID: "h")
        }
        let live = LiveSettings(try load([:]))
        #expect(live.apply(connection: try load([:])).isEmpty)
        #expect(live.apply(connection: try load(["max-fill": "7", "journal-max-bytes": "64M"])).isEmpty)
        #expect(live.apply(connection: try load(["broker": "mqtts://127.0.0.1:8884"])) == ["broker"])
        #expect(live.takeConnectionChange()?.brokerPort == 8884)
        #expect(live.takeConnectionChange() == nil)
        #expect(live.apply(connection: try load(["broker": "mqtts://127.0.0.1:8884", "client-id": "other"])) == ["client-id"])
        #expect(live.apply(connection: try load(["broker": "mqtts://127.0.0.1:8884", "client-id": "other", "username": "u2"])) == ["username"])
        try "changed\n".write(toFile: password, atomically: true, encoding: .utf8)
        #expect(live.apply(connection: try load(["broker": "mqtts://127.0.0.1:8884", "client-id": "other", "username": "u2"])) == ["password"])
        try "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n".write(toFile: ca, atomically: true, encoding: .utf8)
        #expect(
            live.apply(connection: try load(["broker": "mqtts://127.0.0.1:8884", "client-id": "other", "username": "u2"])) == ["tls file contents"])
        // The gateway id stays as it started (restart-only), and with it the default client id.
        let renamed = try load(["broker": "mqtts://127.0.0.1:8884", "client-id": "other", "username": "u2", "gateway-id": "elsewhere"])
        #expect(live.apply(connection: renamed).isEmpty)
        #expect(live.current.gatewayID == "h")
    }
}
