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

    /// Found black-box (67th review): an expired client certificate copied in and reloaded
    /// closed the working connections, offline until the file was fixed.
    @Test("a reload whose certificate is out of its dates keeps the running connection (an error says why); renewed, the next reload reconnects")
    func outOfDateCertificateKeepsTheConnection() async throws {
        let certs = try TemporaryDirectory()
        defer { certs.remove() }
        let ca = try await TLSTests.makeCertificates(in: certs, name: "good")  // valid for 2 days from now
        _ = try await TLSTests.makeCertificates(in: certs, name: "other")
        let cert = certs.file("client.pem")
        try FileManager.default.copyItem(atPath: certs.file("good-server.pem"), toPath: cert)
        let running = try ConfigurationLoader.load(
            configFile: nil, environment: [:], flags: ["broker": "mqtts://127.0.0.1:8883", "ca-file": ca, "cert": cert, "key": certs.file("good-server.key")],
            defaultGatewayID: "h")
        let live = LiveSettings(running)
        // The certificate replaced by one the box's clock (ten days on) finds expired.
        try FileManager.default.removeItem(atPath: cert)
        try FileManager.default.copyItem(atPath: certs.file("other-server.pem"), toPath: cert)
        let log = CapturedLog()
        let later = Date().addingTimeInterval(10 * 86_400)
        let kept = SettingsReload.apply(running, live: live, logLevel: LiveLogLevel(.info), logger: log.logger(), now: later)
        #expect(kept.reconnected.isEmpty && kept.refused == ["broker connection"], "\(kept)")
        #expect(live.takeConnectionChange() == nil)
        #expect(
            log.lines.contains {
                $0.level == .error && $0.message.hasPrefix("SIGHUP: not reconnecting, the running connection is kept: ")
                    && $0.message.contains("cert \(cert): the certificate expired on")
            },
            "\(log.messages)")
        #expect(!log.messages.contains("SIGHUP: configuration re-read; nothing changed"))
        // In date (today's clock): the new contents reconnect.
        let renewed = SettingsReload.apply(running, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(renewed.reconnected == ["tls file contents"], "\(renewed)")
        #expect(live.takeConnectionChange() != nil)
    }
}
