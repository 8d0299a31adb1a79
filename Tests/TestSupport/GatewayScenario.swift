import Foundation

/// The usual end-to-end setup: a private broker and folder, a subscriber watching some topics,
/// the real gateway connected, and a fleet of scripted sensors.
public final class GatewayScenario {
    public let broker: TestBroker
    public let directory: TemporaryDirectory
    public let watcher: Subscriber
    public let fleet: TestSensorFleet
    public var gateway: GatewayProcess
    private let gatewayFlags: [String]
    private let gatewayEnvironment: [String: String]

    public var dataDirectory: String { directory.file("data") }

    public static func start(
        watching filters: [String], persistentWatcher: Bool = false, gatewayFlags: [String] = [],
        gatewayEnvironment: [String: String] = [:], answersResends: Bool
    ) async throws -> GatewayScenario {
        let broker = try await TestBroker.start()
        let directory = try TemporaryDirectory()
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: filters, persistent: persistentWatcher)
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: directory.file("data"), extra: gatewayFlags, environment: gatewayEnvironment)
        do {
            try await gateway.waitUntilConnected()
        } catch {
            // No scenario to clean up after: stop what was started here, or it outlives the test.
            gateway.child.signal(SIGKILL)
            broker.shutdown()
            throw error
        }
        let fleet = try await TestSensorFleet.connect(broker, answersResends: answersResends)
        return GatewayScenario(
            broker: broker, directory: directory, watcher: watcher, fleet: fleet, gateway: gateway, gatewayFlags: gatewayFlags,
            gatewayEnvironment: gatewayEnvironment)
    }

    private init(
        broker: TestBroker, directory: TemporaryDirectory, watcher: Subscriber, fleet: TestSensorFleet,
        gateway: GatewayProcess, gatewayFlags: [String], gatewayEnvironment: [String: String]
    ) {
        self.broker = broker
        self.directory = directory
        self.watcher = watcher
        self.fleet = fleet
        self.gateway = gateway
        self.gatewayFlags = gatewayFlags
        self.gatewayEnvironment = gatewayEnvironment
    }

    /// Kills the gateway with SIGKILL and starts a new one on the same data (its log is kept apart).
    public func crashAndRestartGateway(round: Int) async throws {
        try await gateway.kill()
        gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dataDirectory, extra: gatewayFlags, environment: gatewayEnvironment,
            logName: "run-\(round).log")
    }

    /// Stops the gateway with SIGTERM (the clients stay); returns its exit code.
    public func stopGateway() async throws -> Int32? {
        try await gateway.terminate()
    }

    /// Starts a gateway again on the same data (its log kept apart) and waits for it to subscribe.
    public func startGateway(round: Int) async throws {
        gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dataDirectory, extra: gatewayFlags, environment: gatewayEnvironment,
            logName: "run-\(round).log")
        try await gateway.waitUntilConnected()
    }

    /// Stops the gateway with SIGTERM and disconnects the clients; returns the gateway's exit code.
    public func finish() async throws -> Int32? {
        let code = try await gateway.terminate()
        await fleet.close()
        await watcher.close()
        return code
    }

    /// Stops the broker and deletes the folder (call from `defer`). With
    /// `SENSOR_GATEWAY_KEEP_TEST_DATA` set, the folder (journal, logs) is kept and named instead.
    public func cleanUp() {
        gateway.child.signal(SIGKILL)
        broker.shutdown()
        if ProcessInfo.processInfo.environment["SENSOR_GATEWAY_KEEP_TEST_DATA"] != nil {
            FileHandle.standardError.write(Data("test data kept in \(directory.path)\n".utf8))
        } else {
            directory.remove()
        }
    }
}
