import Foundation
import Testing
import TestSupport

@testable import Gateway

/// ServiceLifecycle logs each service with its fields at debug level: the gateway's service held
/// its configuration, and the MQTT password appeared four times in the log at `log-level debug`
/// (found black-box, 63rd review), against OPERATIONS.md's "it is never logged".
@Suite("The MQTT password is never logged")
struct PasswordNeverLoggedTests {
    @Test("a configuration printed, interpolated, reflected or dumped shows <redacted> for the password")
    func redacted() throws {
        var configuration = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: ["data-dir": "/tmp/x"], defaultGatewayID: "gw")
        configuration.password = Secret("S3cret-in-memory")
        var dumped = ""
        dump(configuration, to: &dumped)
        let daemon = GatewayDaemon(configuration: configuration, logger: .init(label: "t"), status: StatusBoard())
        for text in ["\(configuration)", String(reflecting: configuration), dumped, "\(daemon)", String(reflecting: daemon)] {
            #expect(!text.contains("S3cret-in-memory"), "\(text)")
        }
        #expect(configuration.password?.value == "S3cret-in-memory")
    }

    @Test("a gateway run at log-level debug with a password file never writes the password to its log")
    func notInTheDebugLog() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let secret = "S3cret-\(UInt64.random(in: 1...UInt64.max))"
        try "\(secret)\n".write(toFile: dir.file("password"), atomically: true, encoding: .utf8)
        chmod(dir.file("password"), 0o600)
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"),
            extra: ["--username", "plant", "--password-file", dir.file("password"), "--log-level", "debug"])
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        _ = try await gateway.terminate()
        let log = gateway.child.output
        #expect(log.contains("Starting service"), "the debug lines that printed the service are there: \(log.suffix(2000))")
        #expect(!log.contains(secret))
    }
}
