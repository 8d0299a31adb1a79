import Foundation
import MQTT
import Synchronization

/// The real `sensor-gateway` executable run as a child process against a test broker.
public final class GatewayProcess: Sendable {
    public let child: ChildProcess
    public let dataDirectory: String
    public let gatewayID: String

    /// Starts `sensor-gateway run` with quick test settings; `extra` flags override them;
    /// `environment` is added to the test's own.
    public static func start(
        broker: TestBroker, dataDirectory: String, gatewayID: String = "gw", extra: [String] = [],
        environment: [String: String] = [:], logName: String = "gateway.log"
    ) throws -> GatewayProcess {
        let args =
            [
                "run", "--broker", broker.url, "--data-dir", dataDirectory, "--gateway-id", gatewayID,
                "--http", "off", "--reorder-window-ms", "300", "--fsync", "always",
            ] + extra
        let child = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"), args, logPath: "\(dataDirectory)-\(logName)",
            environment: environment)
        return GatewayProcess(child: child, dataDirectory: dataDirectory, gatewayID: gatewayID)
    }

    init(child: ChildProcess, dataDirectory: String, gatewayID: String) {
        self.child = child
        self.dataDirectory = dataDirectory
        self.gatewayID = gatewayID
    }

    /// Waits until the gateway logs that the broker acknowledged its readings subscription.
    public func waitUntilConnected(timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("gateway to connect and subscribe", timeout: timeout) {
            if !child.isRunning { throw TimedOut("gateway exited: \(child.output.suffix(2000))") }
            return child.output.components(separatedBy: "subscribed to ").count - 1 > connections
        }
        connectionsSeen.withLock { $0 += 1 }
    }

    private let connectionsSeen = Mutex(0)
    private var connections: Int { connectionsSeen.withLock { $0 } }

    /// Sends SIGTERM and waits for the exit status.
    public func terminate() async throws -> Int32? {
        child.signal(SIGTERM)
        try await child.wait(timeout: .seconds(30))
        return child.exitCode
    }

    public func kill() async throws {
        child.signal(SIGKILL)
        try await child.wait()
    }

    /// Runs another subcommand (`replay`, `journal verify`) to completion; returns exit code and output.
    public static func runTool(_ arguments: [String], logPath: String) async throws -> (Int32?, String) {
        let child = try ChildProcess(BuiltProducts.executable("sensor-gateway"), arguments, logPath: logPath)
        try await child.wait(timeout: .seconds(60))
        return (child.exitCode, child.output)
    }
}
