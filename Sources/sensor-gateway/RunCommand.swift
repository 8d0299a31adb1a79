import CEarlySignals
import CMallocTuning
import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle

/// `sensor-gateway run`: the daemon. Its settings are `Setting.all`: each is a flag here, a
/// config file line and an environment variable, so this command declares none of them itself.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway until SIGTERM or SIGINT.",
        usage: "sensor-gateway run [--config <file>] [--<setting> <value> ...]",
        discussion: settingsHelp
    )

    @Option(help: "Config file with `name: value` lines (or a JSON object); default SENSOR_GATEWAY_CONFIG.") var config: String?
    /// Everything else on the command line: `--name value` or `--name=value` for settings.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingArguments: [String] = []

    /// The settings' part of `--help`, from the table.
    static var settingsHelp: String {
        "SETTINGS (each also a config file line `name: value` and a variable SENSOR_GATEWAY_<NAME>; flags win over the environment, "
            + "which wins over the file; `sensor-gateway config show` lists what is in effect. Durations take ms, s, m, h or d "
            + "(500ms, 10s, 2h; a plain number is in the unit the name ends with); sizes take KiB, MiB, GiB, TiB, KB, MB, GB, TB "
            + "or K, M, G, T (256MiB; a plain number is bytes)):\n"
            + Setting.all.map { s in
                let value = s.defaultValue.isEmpty ? "" : "  (default \(s.defaultValue))"
                return "  --\(s.name) <\(s.valueName)>\(value)\n" + wrapped(s.help, indent: 6, width: 78)
            }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` columns, each indented (ArgumentParser wraps long
    /// lines of a discussion without indenting them).
    static func wrapped(_ text: String, indent: Int, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }

    /// The settings given as flags, by name; a usage error for anything else.
    func flags() throws(ValidationError) -> [String: String] {
        var out: [String: String] = [:]
        var rest = settingArguments[...]
        while let token = rest.popFirst() {
            guard token.hasPrefix("--"), token.count > 2 else { throw ValidationError("unexpected argument '\(token)'") }
            var name = String(token.dropFirst(2))
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard let next = rest.popFirst() else { throw ValidationError("--\(name) needs a value") }
                value = next
            }
            guard Setting.named(name) != nil else {
                if ConfigurationError.namesASecret(name) {
                    throw ValidationError(
                        "unknown option '--\(name)': a password never goes on the command line (other users can read it); put it alone in a file only the gateway's user can read, and name that file with --password-file"
                    )
                }
                throw ValidationError("unknown option '--\(name)' (settings: \(ConfigurationLoader.settings.joined(separator: ", ")))")
            }
            out[name] = value
        }
        return out
    }

    /// A bad flag is reported here, before `run`, so the usage printed with it is `run`'s.
    func validate() throws {
        let flags = try flags()
        do {
            let environment = ProcessInfo.processInfo.environment
            _ = try ConfigurationLoader.load(
                configFile: config ?? environment["SENSOR_GATEWAY_CONFIG"], environment: environment,
                flags: flags, defaultGatewayID: HostName.gatewayID())
        } catch let error where error.exitStatus == .usage {
            throw ValidationError(error.description)
        } catch {
            // A bad file or environment value (78) is reported by `run`, with its own status.
        }
    }

    func run() async throws {
        // Until the reload service listens (`HangupReload`), a SIGHUP's default action would end
        // the process: one sent in the first 20-30 ms of a start killed it (exit 129, nothing
        // logged; found black-box, 63rd review). Ignored until then (from before `main`, by
        // CEarlySignals' constructor, most of that time being the binary's loading; here again
        // where that could not run); the start reads the file.
        if !sg_hangup_ignored_at_start() { signal(SIGHUP, SIG_IGN) }
        // Before the daemon's threads: memory should follow the live state, not the peak.
        sg_malloc_bound_retention()
        let settings: GatewayConfiguration
        let (configFile, flags) = (config ?? ProcessInfo.processInfo.environment["SENSOR_GATEWAY_CONFIG"], try self.flags())
        let load: @Sendable () throws -> GatewayConfiguration = {
            try ConfigurationLoader.load(
                configFile: configFile, environment: ProcessInfo.processInfo.environment, flags: flags,
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
        for warning in ConfigurationWarnings.of(settings) { logger.warning("\(warning)") }
        let overridden: @Sendable () -> [String] = {
            ConfigurationLoader.overriddenInFile(configFile: configFile, environment: ProcessInfo.processInfo.environment, flags: flags)
        }
        for override in overridden() { logger.notice("\(override)") }
        let openFiles = FileDescriptorLimit.raiseSoftToHard()
        if openFiles < 2 * UInt64(HTTPEndpoint.Limits().maxConnections) {
            logger.warning(
                "the open-file limit is low: HTTP clients may be turned away while stalled ones hold connections (raise LimitNOFILE)",
                metadata: ["limit": "\(openFiles)"])
        }
        // Another gateway holding the data folder stops this one before its HTTP endpoint binds
        // (found black-box, 85th review: it logged listening on its port, then exited 73). The
        // journal's own lock still decides: this only says it sooner.
        if let inUse = JournalOpening.inUse(settings) {
            throw Diagnostics.failure(inUse, status: .dataDirectoryInUse, logger: logger)
        }
        let status = StatusBoard()
        let live = LiveSettings(settings)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // Taken (or not yet on this host) is no refusal: the endpoint retries with backoff.
        if let refusal = HTTPRefusal.of(settings, configFile: configFile, flags: flags) {
            throw Diagnostics.failure(refusal.description, status: .configuration, logger: logger)
        }
        // Always there, so a SIGHUP can move the endpoint, or start it after `http: off`.
        let (httpChanges, httpChange) = AsyncStream.makeStream(of: HTTPAddress?.self, bufferingPolicy: .bufferingNewest(8))
        live.onHTTPChange { httpChange.yield($0) }
        let handler = GatewayHTTP.handler(status: status, configuration: settings, live: live)
        let endpoint = RebindingHTTPEndpoint(
            initial: settings.httpAddress, binding: status.http, logger: logger, changes: httpChanges, refused: { live.httpMoveRefused(serving: $0) }
        ) { address, state in
            HTTPEndpoint(host: address.host, port: address.port, logger: logger, bindState: state, handler: handler)
        }
        services.append(.init(service: endpoint, successTerminationBehavior: .gracefullyShutdownGroup))
        services.append(
            .init(service: HangupReload(live: live, logLevel: level, logger: logger, load: load, overridden: overridden), successTerminationBehavior: .ignore))
        // Listed last, so the group's graceful shutdown reaches it first: the gateway drains while
        // the HTTP endpoint still answers.
        services.append(
            .init(
                service: GatewayDaemon(configuration: settings, logger: logger, status: status, live: live),
                successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch GatewayFailure.journalUnavailable(let reason) {
            throw Diagnostics.failure(reason, status: .journalFailed, logger: logger)
        } catch GatewayFailure.journalInUse(let reason) {
            throw Diagnostics.failure(reason, status: .dataDirectoryInUse, logger: logger)
        } catch GatewayFailure.journalMisconfigured(let reason) {
            // 78, which the unit does not restart on: the same start would fail the same way.
            throw Diagnostics.failure(reason, status: .configuration, logger: logger)
        } catch {
            // Only the journal (appending, or reading it back) can make the gateway stop.
            logger.critical(
                "stopping: nothing more is taken from the broker (its session keeps the rest). Fix the data folder's disk and restart",
                metadata: ["error": "\(error)"])
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
