import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle

/// `sensor-gateway run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway until SIGTERM or SIGINT.",
        discussion: "Every option can also be set in the config file (name: value) or as SENSOR_GATEWAY_<NAME>; flags win over the environment, which wins over the file."
    )

    @Option(help: "Config file with `name: value` lines (or a JSON object).") var config: String?
    @Option(help: "mqtt://HOST:PORT or mqtts://HOST:PORT (default mqtt://127.0.0.1:1883).") var broker: String?
    @Option(name: .customLong("gateway-id"), help: "Gateway id used in topics (default: the host name).") var gatewayID: String?
    @Option(name: .customLong("client-id"), help: "MQTT client id (default: sensor-gateway-<gateway id>).") var clientID: String?
    @Option(name: .customLong("data-dir"), help: "Journal and checkpoints (default ./data).") var dataDir: String?
    @Option(name: .customLong("reorder-window-ms"), help: "How long to wait for missing readings (default 2000).") var reorderWindowMs: String?
    @Option(name: .customLong("late-horizon-s"), help: "How long a synthetic value may still be restated (default 3600).") var lateHorizonS: String?
    @Option(name: .customLong("max-fill"), help: "Largest gap filled with synthetic readings (default 600).") var maxFill: String?
    @Option(name: .customLong("valid-min"), help: "Lowest valid temperature, °C (default 50).") var validMin: String?
    @Option(name: .customLong("valid-max"), help: "Highest valid temperature, °C (default 55).") var validMax: String?
    @Option(help: "linear, locf or distribution (default linear).") var fill: String?
    @Option(name: .customLong("topic-filter"), help: "Inbound topic filter; its + level is the sensor id (default sensors/+/temperature).") var topicFilter: String?
    @Option(name: .customLong("max-payload-bytes"), help: "Larger payloads are dead-lettered (default 4096).") var maxPayloadBytes: String?
    @Option(name: .customLong("reset-threshold"), help: "A seq falling back further starts a new epoch (default 1000).") var resetThreshold: String?
    @Option(name: .customLong("aggregate-window-s"), help: "Aggregate window width (default 60).") var aggregateWindowS: String?
    @Option(name: .customLong("stale-factor"), help: "Silent for this many periods = stale (default 5).") var staleFactor: String?
    @Option(name: .customLong("max-sensors"), help: "Sensors tracked at most; readings from further new ids are dead-lettered too_many_sensors (default 20000).") var maxSensors: String?
    @Option(name: .customLong("sensor-retention-s"), help: "Sensors silent this long are forgotten and announced expired; 0 keeps them (default 86400).") var sensorRetentionS: String?
    @Option(name: .customLong("future-tolerance-s"), help: "Readings whose ts is further ahead of the gateway's clock are dead-lettered bad_value:ts (default 86400).") var futureToleranceS: String?
    @Option(name: .customLong("journal-max-bytes"), help: "Journal size on disk, bytes or with K, M or G (default 256M).") var journalMaxBytes: String?
    @Option(help: "always, interval or never (default interval, 50 ms).") var fsync: String?
    @Option(name: .customLong("snapshot-interval-ms"), help: "How often the engine state is saved, letting the journal forget older input (default 10000).") var snapshotIntervalMs: String?
    @Option(name: .customLong("replay-max-concurrent"), help: "Replay requests answered at once; more get an error reply (default 2; 0 turns replay off).") var replayMaxConcurrent: String?
    @Option(name: .customLong("replay-max-window-s"), help: "The widest from-to window one replay request may ask for, in seconds (default 3600).") var replayMaxWindowS: String?
    @Option(help: "HOST:PORT for /metrics, /healthz and / (default 127.0.0.1:9464; off disables).") var http: String?
    @Option(name: .customLong("ca-file"), help: "CA certificate for mqtts.") var caFile: String?
    @Option(help: "Client certificate for mqtts.") var cert: String?
    @Option(help: "Client key for mqtts.") var key: String?
    @Option(help: "MQTT user name.") var username: String?
    @Option(name: .customLong("password-file"), help: "File holding the MQTT password (never put it on the command line).") var passwordFile: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text (with syslog priorities under systemd) or json (default text).") var logFormat: String?

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("broker", broker), ("gateway-id", gatewayID), ("client-id", clientID), ("data-dir", dataDir),
            ("reorder-window-ms", reorderWindowMs), ("late-horizon-s", lateHorizonS), ("max-fill", maxFill),
            ("valid-min", validMin), ("valid-max", validMax), ("fill", fill), ("topic-filter", topicFilter),
            ("max-payload-bytes", maxPayloadBytes), ("reset-threshold", resetThreshold), ("aggregate-window-s", aggregateWindowS),
            ("stale-factor", staleFactor), ("future-tolerance-s", futureToleranceS), ("max-sensors", maxSensors), ("sensor-retention-s", sensorRetentionS), ("journal-max-bytes", journalMaxBytes), ("fsync", fsync), ("snapshot-interval-ms", snapshotIntervalMs),
            ("replay-max-concurrent", replayMaxConcurrent), ("replay-max-window-s", replayMaxWindowS), ("http", http),
            ("ca-file", caFile), ("cert", cert), ("key", key), ("username", username), ("password-file", passwordFile),
            ("log-level", logLevel), ("log-format", logFormat),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { k, v in v.map { (k, $0) } })
    }

    /// A bad flag is reported here, before `run`, so the usage printed with it is `run`'s.
    func validate() throws {
        do {
            let environment = ProcessInfo.processInfo.environment
            _ = try ConfigurationLoader.load(configFile: config ?? environment["SENSOR_GATEWAY_CONFIG"], environment: environment,
                                             flags: flags, defaultGatewayID: HostName.gatewayID())
        } catch let error where error.exitStatus == .usage {
            throw ValidationError(error.description)
        } catch {
            // A bad file or environment value (78) is reported by `run`, with its own status.
        }
    }

    func run() async throws {
        let settings: GatewayConfiguration
        let (configFile, flags) = (config ?? ProcessInfo.processInfo.environment["SENSOR_GATEWAY_CONFIG"], self.flags)
        let load: @Sendable () throws -> GatewayConfiguration = {
            try ConfigurationLoader.load(configFile: configFile, environment: ProcessInfo.processInfo.environment, flags: flags,
                                         defaultGatewayID: HostName.gatewayID())
        }
        do {
            settings = try load()
        } catch let error as ConfigurationError {
            if error.exitStatus == .usage { throw ValidationError(error.description) }
            throw Diagnostics.failure(error.description, status: error.exitStatus)
        }
        let (level, format) = (LiveLogLevel(settings.logLevel), settings.logFormat)
        LoggingSystem.bootstrap { label in GatewayLogHandler(label: label, level: level, format: format) }
        let logger = Logger(label: "sensor-gateway")
        for name in ConfigurationLoader.unknownEnvironmentVariables(ProcessInfo.processInfo.environment) {
            logger.warning("ignoring an environment variable that names no setting (misspelt?)", metadata: ["variable": "\(name)"])
        }
        let status = StatusBoard()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let http = settings.http {
            do {
                try HTTPEndpoint.checkListenable(host: http.host, port: http.port)
            } catch {
                throw Diagnostics.failure("--http=\(http.host):\(http.port): \(error)", status: .configuration)
            }
            let endpoint = HTTPEndpoint(host: http.host, port: http.port, logger: logger,
                                        handler: GatewayHTTP.handler(status: status, configuration: settings))
            services.append(.init(service: endpoint, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        services.append(.init(service: HangupReload(running: settings, logLevel: level, logger: logger, load: load), successTerminationBehavior: .ignore))
        // Listed last, so the group's graceful shutdown reaches it first: the gateway drains while
        // the HTTP endpoint still answers.
        services.append(.init(service: GatewayDaemon(configuration: settings, logger: logger, status: status),
                              successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch GatewayFailure.journalUnavailable(let reason) {
            throw Diagnostics.failure(reason, status: .journalFailed)
        } catch {
            // Only the journal (appending, or reading it back) can make the gateway stop.
            logger.critical("stopping: \(error); nothing more is taken from the broker (its session keeps the rest). Fix the data folder's disk and restart")
            throw ExitCode(ExitStatus.journalFailed.rawValue)
        }
    }
}

enum HostName {
    /// The host name made into a valid gateway id.
    static func gatewayID() -> String {
        let raw = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        let cleaned = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" }.prefix(64))
        return cleaned.isEmpty ? "gateway" : cleaned
    }
}
