import Foundation
import Logging

/// What a re-read configuration changes on a running gateway (SIGHUP), setting by setting.
///
/// Live: `log-level`, the engine's ranges, windows, fill and caps, per-sensor settings and a
/// declared measurement's unit, range and fill (journaled, so the engine changes at one point of
/// its input, also when replayed), and the replay limits. By
/// reconnecting: the broker connection (`broker`, `client-id`, `username`, `password-file`,
/// `ca-file`, `cert`, `key`, and the contents of those files; `sparkplug-edge-node` and `sparkplug-host-id`). By rebinding: `http` (the old
/// address keeps serving when the new one cannot be bound). Restart-only: the journal (its folder
/// and size), what shapes topics and stored state (gateway id, topic filter, payload limit,
/// aggregate window, which measurements are declared), fsync and the log format. The log names each change with its old and new
/// value, and which kind it is.
public enum SettingsReload {
    public struct Outcome: Equatable, Sendable {
        /// `log-level` differed and now applies.
        public var levelChanged: Bool
        /// Other live settings that changed and now apply.
        public var applied: [String] = []
        /// Settings that differ and take effect only at the next start.
        public var restartOnly: [String] = []
        /// What of the broker connection changed (settings, or `tls file contents`): the
        /// connections reconnect with it.
        public var reconnected: [String] = []
        /// The HTTP address changed: the endpoint is moving to it.
        public var rebound = false
        /// Changes not applied because the running gateway cannot take them with its other settings.
        public var refused: [String] = []
        /// Whether any setting needs a restart.
        public var needsRestart: Bool { !restartOnly.isEmpty }

        public init(levelChanged: Bool, applied: [String] = [], restartOnly: [String] = []) {
            self.levelChanged = levelChanged
            self.applied = applied
            self.restartOnly = restartOnly
        }
    }

    /// The settings a running gateway takes on a reload (besides `log-level`).
    public static let liveSettings: Set<String> = [
        "valid-min", "valid-max", "reorder-window-ms", "late-horizon-s", "max-fill", "fill", "reset-threshold", "stale-factor",
        "future-tolerance-s", "max-sensors", "sensor-retention-s", "csv-columns", "json-fields", "latest", "replay-max-concurrent", "replay-max-window-s",
        "sparkplug-metrics", "sparkplug-rebirth",
    ]

    /// Settings applied by reconnecting both broker connections.
    public static let reconnectSettings: Set<String> = [
        "broker", "client-id", "username", "password-file", "ca-file", "cert", "key", "sparkplug-edge-node", "sparkplug-host-id",
        "sparkplug-primary-host",
    ]
    /// Settings applied by binding the HTTP endpoint anew.
    public static let rebindSettings: Set<String> = ["http"]

    /// The settings a reload does not apply: they take effect at the next start.
    public static var restartOnlySettings: [String] {
        ConfigurationLoader.settings.filter {
            !liveSettings.contains($0) && !reconnectSettings.contains($0) && !rebindSettings.contains($0) && $0 != "log-level"
        }
    }

    /// The config file lines (`sensor.*`, `measurement.*`) that differ between `old` and `new`,
    /// each named in `changes` and counted as applied or, when `isLive` says not, restart-only.
    private static func diff(
        _ old: [(name: String, value: String)], _ new: [(name: String, value: String)], _ changes: inout Logger.Metadata, _ outcome: inout Outcome,
        isLive: (String) -> Bool
    ) {
        let (before, after) = (Dictionary(old, uniquingKeysWith: { a, _ in a }), Dictionary(new, uniquingKeysWith: { a, _ in a }))
        for name in Set(before.keys).union(after.keys).sorted() where before[name] != after[name] {
            let live = isLive(name)
            changes[name] = "\(before[name] ?? "(unset)") -> \(after[name] ?? "(unset)")\(live ? "" : " (after a restart)")"
            if live {
                outcome.applied.append(name)
            } else {
                outcome.restartOnly.append(name)
            }
        }
    }

    /// The TLS files libmosquitto reads again at every connection: their settings stay on a
    /// refused reload, but not what the files at those paths hold.
    static let filesReadAtEachConnection: Set<String> = ["ca-file", "cert", "key"]

    /// What the log says of a configuration a reload refused (`error`): the running settings
    /// stay; when the fault is in a TLS file, also that the file is read again at the next
    /// connection, so a lost broker connection cannot be made again until it is mended (found
    /// black-box, 57th review: a CA file renewed in DER was refused, then the broker restarted
    /// and the gateway stayed off it, while the log had said the running settings stay).
    /// `running`: the settings in force; the clause about the next reconnection is said only when
    /// they read that very file (a reload that adds a broken `ca-file` to a plain connection
    /// warned of a failure that never came; found black-box, 63rd review).
    public static func refusal(_ error: any Error, running: GatewayConfiguration? = nil) -> String {
        let stay = "SIGHUP: configuration not valid; the running settings stay"
        guard let problem = error as? ConfigurationError, filesReadAtEachConnection.contains(problem.setting) else { return stay }
        if let running {
            let path: String? =
                switch problem.setting {
                case "ca-file": running.caFile
                case "cert": running.certFile
                default: running.keyFile
                }
            guard path == problem.value else { return stay }
        }
        return stay
            + ", but \(problem.setting) is a file read again at every connection to the broker: until it is mended, the next reconnection fails with the same fault"
    }

    /// Applies `reloaded` to the running gateway through `live`, logging each change.
    @discardableResult
    public static func apply(
        _ reloaded: GatewayConfiguration, live: LiveSettings, logLevel: LiveLogLevel, logger: Logger, now: Date = Date()
    ) -> Outcome {
        let running = live.current
        var outcome = Outcome(levelChanged: reloaded.logLevel != logLevel.level)
        var changes: Logger.Metadata = [:]
        for setting in Setting.all {
            let (old, new) = (setting.value(in: running), setting.value(in: reloaded))
            guard old != new, setting.name != "log-level" else { continue }
            let live = liveSettings.contains(setting.name)
            let reconnect = reconnectSettings.contains(setting.name)
            let rebind = rebindSettings.contains(setting.name)
            let how = live ? "" : reconnect ? " (by reconnecting)" : rebind ? " (by rebinding)" : " (after a restart)"
            changes[setting.name] = "\(old.isEmpty ? "(unset)" : old) -> \(new.isEmpty ? "(unset)" : new)\(how)"
            if live {
                outcome.applied.append(setting.name)
            } else if !reconnect && !rebind {
                outcome.restartOnly.append(setting.name)
            }
        }
        // The client id follows an unset gateway-id's change at the restart, and with it the
        // broker session (found black-box, 47th review: the reload named only gateway-id).
        if let change = changes["gateway-id"], reloaded.clientID == nil, running.clientID == nil {
            changes["gateway-id"] = "\(change); the client id becomes \(reloaded.effectiveClientID) with it, a new broker session"
        }
        // Per-sensor settings (`sensor.<pattern>.<setting>`) apply on a reload, as the engine's do,
        // except those of a measurement being added or removed: they follow it at the restart.
        let (oldNames, newNames) = (Set((running.engine.measurements ?? []).map(\.name)), Set((reloaded.engine.measurements ?? []).map(\.name)))
        let bothDeclare = oldNames.intersection(newNames)
        diff(
            SensorOverrideSettings.lines(running.engine.sensorOverrides), SensorOverrideSettings.lines(reloaded.engine.sensorOverrides),
            &changes, &outcome
        ) { key in SensorOverrideSettings.measurement(ofKey: key).map { bothDeclare.contains($0) } ?? true }
        // A declared measurement's settings apply live but its aggregate window (a topic level);
        // adding or removing one changes what is subscribed: that takes a restart.
        diff(MeasurementSettings.lines(running.engine.measurements), MeasurementSettings.lines(reloaded.engine.measurements), &changes, &outcome) {
            key in MeasurementSettings.split(key).map { bothDeclare.contains($0.name) && $0.setting != "aggregate-window-s" } ?? false
        }
        if outcome.levelChanged {
            let change: Logger.Metadata = ["from": "\(logLevel.level)", "to": "\(reloaded.logLevel)"]
            // Said at the more verbose of the two levels, so it shows whichever way it goes.
            if reloaded.logLevel > logLevel.level {
                logger.notice("SIGHUP: log-level changes", metadata: change)
                logLevel.level = reloaded.logLevel
            } else {
                logLevel.level = reloaded.logLevel
                logger.notice("SIGHUP: log-level changes", metadata: change)
            }
        }
        live.apply(engine: reloaded.engine, replay: reloaded.replay, logLevel: reloaded.logLevel)
        if !outcome.applied.isEmpty {
            logger.notice("SIGHUP: settings applied", metadata: changes.filter { outcome.applied.contains($0.key) })
        }
        // A max-fill now longer than the running journal's ring takes at once: the cost, as at start.
        var effective = running
        effective.engine.maxFill = reloaded.engine.maxFill
        if reloaded.engine.maxFill != running.engine.maxFill, let warning = FillBudget.warning(effective) {
            logger.warning("SIGHUP: \(warning)")
        }
        // cleaned-topics changes only at a restart: while it is off, the edge node is the cleaned
        // stream's only way out and stays (config check refuses the pair; a reload must not make it).
        var connection = reloaded
        if !running.cleanedTopics, reloaded.sparkplugEdgeNode == nil, let node = running.sparkplugEdgeNode {
            connection.sparkplugEdgeNode = node
            outcome.refused.append("sparkplug-edge-node")
            logger.error(
                "SIGHUP: sparkplug-edge-node stays \(node): the running gateway has cleaned-topics off (it changes only at a restart), and nothing else would publish the cleaned stream"
            )
        }
        // A reconnection with a certificate out of its dates would fail: the working connection
        // is kept rather than dropped for it (found black-box, 67th review: an expired client
        // certificate copied in and reloaded closed the good connections, offline until fixed).
        let outOfDate = ConfigurationWarnings.certificateDates(connection, now: now)
        if !outOfDate.isEmpty, !live.connectionChanges(connection).isEmpty {
            outcome.refused.append("broker connection")
            logger.error(
                "SIGHUP: not reconnecting, the running connection is kept: \(outOfDate.joined(separator: "; ")); renew the certificate (or set the clock right) and reload again. A reconnection for another cause (the broker restarting) reads the files as they are"
            )
        } else {
            outcome.reconnected = live.apply(connection: connection)
        }
        if !outcome.reconnected.isEmpty {
            var said = changes.filter { reconnectSettings.contains($0.key) }
            if outcome.reconnected.contains("tls file contents") { said["tls file contents"] = "changed (by reconnecting)" }
            if outcome.reconnected.contains("password") && said["password-file"] == nil { said["password"] = "changed (by reconnecting)" }
            logger.notice("SIGHUP: reconnecting to the broker with the new settings", metadata: said)
            if outcome.reconnected.contains("client-id") {
                // Found black-box, 85th review: the old session went on queueing every reading,
                // and a move back replayed the whole backlog.
                logger.warning(
                    "SIGHUP: the broker keeps the previous client id's persistent session, subscribed and queueing readings, until it expires (mosquitto's persistent_client_expiration) or that id connects with a clean session",
                    metadata: ["client-id": changes["client-id"] ?? "changed"])
            }
        }
        outcome.rebound = live.apply(http: reloaded.httpAddress) {
            logger.notice("SIGHUP: moving the HTTP endpoint", metadata: changes.filter { rebindSettings.contains($0.key) })
        }
        if outcome.needsRestart {
            logger.warning(
                "SIGHUP: these changes take effect at the next start", metadata: changes.filter { outcome.restartOnly.contains($0.key) })
        }
        // Said, as their coming was (found black-box, 57th review: a file put back said nothing).
        let withdrawn = live.waitForRestart(outcome.restartOnly)
        if !withdrawn.isEmpty {
            logger.notice(
                "SIGHUP: changes an earlier reload said wait for the next start are withdrawn: these settings are back to their running values",
                metadata: ["settings": "\(withdrawn.sorted().joined(separator: ", "))"])
        }
        for warning in ConfigurationWarnings.files(reloaded, now: now) { logger.warning("SIGHUP: \(warning)") }
        if !outcome.levelChanged && changes.isEmpty && outcome.reconnected.isEmpty && outcome.refused.isEmpty && withdrawn.isEmpty {
            logger.notice("SIGHUP: configuration re-read; nothing changed")
        }
        return outcome
    }
}
