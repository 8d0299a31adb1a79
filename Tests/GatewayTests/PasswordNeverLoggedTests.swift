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

    /// Found black-box (67th review): `password: ...` in the config file, the first thing a
    /// newcomer tries, was echoed by the unknown-setting error into the journal.
    @Test(
        "a password written in the config file is never echoed by the error that refuses it, which names password-file",
        arguments: ["password: S3cret-in-file\n", "password: S3cret-in-file\npassword: S3cret-in-file\n", "mqtt-password: S3cret-in-file\n"])
    func notEchoedFromTheFile(text: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try ("data-dir: /tmp/x\n" + text).write(toFile: dir.file("gateway.conf"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(configFile: dir.file("gateway.conf"), environment: [:], flags: [:], defaultGatewayID: "gw")
        }
        let text = try #require(error).description
        #expect(!text.contains("S3cret-in-file"), "\(text)")
        #expect(text.contains("<redacted>"))
        #expect(text.contains("password-file") || text.contains("set twice"), "\(text)")
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
