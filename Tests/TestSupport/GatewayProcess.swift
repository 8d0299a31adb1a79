import Foundation
import MQTT
import Synchronization

/// The real `sensor-gateway` executable run as a child process against a test broker.
public final class GatewayProcess: Sendable {
    public let child: ChildProcess
    public let dataDirectory: String
    public let gatewayID: String

    /// Where the gateway's HTTP endpoint listens (nil with `--http off`): readiness is read there.
    public let httpPort: Int32?

    /// Starts `sensor-gateway run` with quick test settings; `extra` flags override them;
    /// `environment` is added to the test's own. The HTTP endpoint listens on a free loopback
    /// port unless `extra` gives `--http`.
    public static func start(
        broker: TestBroker, dataDirectory: String, gatewayID: String = "gw", extra: [String] = [],
        environment: [String: String] = [:], logName: String = "gateway.log"
    ) throws -> GatewayProcess {
        var http: [String] = []
        let httpPort: Int32?
        if let i = extra.firstIndex(of: "--http"), i + 1 < extra.count {
            httpPort = extra[i + 1].split(separator: ":").last.flatMap { Int32($0) }
        } else {
            httpPort = LoopbackNetwork.freePort()
            http = ["--http", "127.0.0.1:\(httpPort!)"]
        }
        let args =
            [
                "run", "--broker", broker.url, "--data-dir", dataDirectory, "--gateway-id", gatewayID,
                "--reorder-window-ms", "300", "--fsync", "always",
            ] + http + extra
        let child = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"), args, logPath: "\(dataDirectory)-\(logName)",
            environment: environment)
        return GatewayProcess(child: child, dataDirectory: dataDirectory, gatewayID: gatewayID, httpPort: httpPort)
    }

    init(child: ChildProcess, dataDirectory: String, gatewayID: String, httpPort: Int32?) {
        self.child = child
        self.dataDirectory = dataDirectory
        self.gatewayID = gatewayID
        self.httpPort = httpPort
    }

    /// Waits until the broker has acknowledged one more readings subscription than when this was
    /// last called (so after a broker restart it waits for the re-subscription), as the gateway's
    /// own metric `sensor_gateway_readings_subscriptions_total` reports it.
    public func waitUntilConnected(timeout: Duration = .seconds(180)) async throws {
        guard let port = httpPort else { throw TimedOut("readiness needs the HTTP endpoint; this gateway runs with --http off") }
        let seen = connections
        let deadline = ContinuousClock.now + timeout
        while true {
            if !child.isRunning { throw TimedOut("gateway exited: \(child.output.suffix(2000))") }
            if let count = try? await readingsSubscriptions(port: port), count > seen { break }
            if ContinuousClock.now >= deadline { throw TimedOut("gateway to connect and subscribe") }
            try await Task.sleep(for: .milliseconds(100))  // the gateway updates its status every 0.5 s
        }
        connectionsSeen.withLock { $0 += 1 }
    }

    /// The gateway's count of acknowledged readings subscriptions, from `/metrics`.
    private func readingsSubscriptions(port: Int32) async throws -> Int {
        let metrics = try await HTTPGet.fetch(port: port, path: "/metrics")
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("sensor_gateway_readings_subscriptions_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    private let connectionsSeen = Mutex(0)
    private var connections: Int { connectionsSeen.withLock { $0 } }

    /// Sends SIGTERM and waits for the exit status (a timeout is an error, and the process is killed).
    public func terminate(timeout: Duration = .seconds(30)) async throws -> Int32? {
        child.signal(SIGTERM)
        try await child.wait(timeout: timeout)
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
