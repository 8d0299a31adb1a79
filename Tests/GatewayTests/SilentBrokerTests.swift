import Foundation
import Synchronization
import Testing
import TestSupport

/// A broker that accepts TCP and never answers the MQTT CONNECT (found black-box).
@Suite("A broker that accepts TCP and never answers")
struct SilentBrokerTests {
    /// `sensor-gateway run` against `listener`, with the HTTP endpoint off.
    static func start(_ listener: SilentListener, in dir: TemporaryDirectory) throws -> ChildProcess {
        try ChildProcess(
            BuiltProducts.executable("sensor-gateway"),
            ["run", "--broker", listener.url, "--data-dir", dir.file("data"), "--gateway-id", "gw", "--http", "off"],
            logPath: dir.file("gateway.log"))
    }

    @Test("SIGTERM while start-up waits for the broker's retained latest/ values ends that wait: the gateway stops, status 0")
    func sigtermDuringLatestWait() async throws {
        // The signal goes from the listener's own thread the moment the gateway's first connection
        // (the one reading latest/) arrives, not from this test's polling. Should even that thread
        // come too late, after the wait (5 s) ended on its own, the case was not tried, and a new
        // gateway tries it again.
        for _ in 0..<5 {
            let listener = try SilentListener()
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let child = try Self.start(listener, in: dir)
            defer { if child.isRunning { child.signal(SIGKILL) } }
            let signalled = Mutex<Bool?>(nil)
            listener.onNextConnection {
                // No wait between the look and the signal.
                let waiting = !child.output.contains("the broker is not reachable yet")
                child.signal(SIGTERM)
                signalled.withLock { $0 = waiting }
            }
            try await waitUntil("the gateway's first connection, and SIGTERM", timeout: .seconds(120)) {
                if signalled.withLock({ $0 }) != nil { return true }
                if !child.isRunning { throw TimedOut("the gateway exited before it connected: \(child.output.suffix(2000))") }
                return false
            }
            try await child.wait(timeout: .seconds(60))
            guard signalled.withLock({ $0 }) == true else { continue }
            let output = child.output
            #expect(output.contains("reading the broker's retained latest/ values"), "\(output.suffix(2000))")
            #expect(child.exitCode == 0, "\(output.suffix(2000))")
            // The wait ended on the shutdown, not on its own limit.
            #expect(
                output.contains("stopping during start-up: the journal is not checked against the broker's retained latest/ values"), "\(output.suffix(2000))")
            #expect(!output.contains("the broker is not reachable yet"), "\(output.suffix(2000))")
            return
        }
        Issue.record("the listener never signalled while the gateway was still waiting")
    }

    @Test("a broker that accepts TCP and never answers the CONNECT is logged as such, with its reason, not as an unknown error")
    func unansweredConnectIsLogged() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let listener = try SilentListener()
        let child = try Self.start(listener, in: dir)
        defer { if child.isRunning { child.signal(SIGKILL) } }
        try await waitUntil("the unanswered CONNECT logged", timeout: .seconds(120)) {
            if !child.isRunning { throw TimedOut("the gateway exited: \(child.output.suffix(2000))") }
            return child.output.contains("did not answer the MQTT CONNECT")
        }
        let line = try #require(child.output.split(separator: "\n").first { $0.contains("did not answer the MQTT CONNECT") })
        #expect(line.contains("cannot reach broker") && line.contains("the broker accepted the TCP connection"), "\(line)")
        #expect(!child.output.contains("Unknown error"), "\(child.output.suffix(2000))")
        child.signal(SIGTERM)
        try await child.wait(timeout: .seconds(60))
        #expect(child.exitCode == 0, "\(child.output.suffix(2000))")
    }
}
