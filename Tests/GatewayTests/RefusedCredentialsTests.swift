import Foundation
import Testing
import TestSupport

@testable import Gateway

/// A wrong password is the commonest day-two mistake. Each refused attempt logged three lines,
/// two of them "a network protocol error", and `/healthz` said only "not connected", so the
/// operator looked at the network instead of the password (found reading the log of a box with
/// a wrong password-file).
@Suite("A broker that refuses the gateway's credentials")
struct RefusedCredentialsTests {
    @Test("each refused attempt is one warning naming the refusal and what to check; /healthz says why it is not connected")
    func wrongPassword() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["plant"], in: dir)
        let broker = try await TestBroker.start(extraConfig: ["password_file \(passwords)"], anonymous: false)
        defer { broker.shutdown() }
        let wrong = dir.file("wrong-password")
        try "wrong-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "refused", logger: log.logger(), waitForSubscription: false,
            configure: {
                $0.username = "plant"
                $0.passwordFile = wrong
                $0.password = "wrong-password"
            })
        func refusals(_ side: String) -> Int {
            log.lines.count { $0.message.hasPrefix("the broker refused the connection; retrying") && $0.metadata["connection"] == "\(side)" }
        }
        // Two attempts of each connection: the second after the backoff, so the lines of the
        // first attempt's close have long been logged if they are.
        try await waitUntil("two refused attempts of each connection", timeout: .seconds(120)) { refusals("input") >= 2 && refusals("output") >= 2 }
        let refusal = try #require(log.lines.first { $0.message.hasPrefix("the broker refused the connection; retrying") })
        #expect("\(refusal.metadata["check"] ?? "")".contains("password-file"), "\(refusal)")
        #expect(!log.messages.contains { $0.hasPrefix("lost the broker connection") }, "\(log.messages)")
        #expect(!log.messages.contains { $0.hasPrefix("cannot reach broker") }, "\(log.messages)")
        // The start's read of the retained latest/ values is refused too, and says so.
        #expect(
            log.messages.contains { $0.hasPrefix("the broker refused the connection (") && $0.contains("the journal is not checked") },
            "\(log.messages)")
        let healthz = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        try await waitUntil("/healthz to say why", timeout: .seconds(120)) { healthz("/healthz").body.contains("last attempt") }
        let health = healthz("/healthz")
        #expect(health.status == 503)
        #expect(health.body.contains("not connected to the broker (last attempt: input: the broker refused the connection: "), "\(health.body)")
        #expect(health.body.contains("check username and password-file"), "\(health.body)")
        try await gateway.stop()
    }
}
