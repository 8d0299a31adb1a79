import Foundation
import Journal
import Logging
import Recovery
import Wire

/// Merges the config file, the environment (`SENSOR_GATEWAY_<FLAG>`) and flags, in rising
/// precedence, into a checked `GatewayConfiguration`.
///
/// The config file holds one `name: value` (or `name = value`) per line, names as the flags
/// without dashes (`reorder-window-ms: 2000`; underscores work too), `#` starts a comment outside
/// quotes (`ConfigFileParser`); a setting given twice is an error. A JSON object with the same
/// names is accepted as well, a key given twice refused the same way (`JSONConfigKeys`). Files over 1 MiB are refused unread (`ConfigFileReader`).
public enum ConfigurationLoader {
    /// Every setting name, as its flag is spelled (`Setting.all`'s order).
    public static let settings = Setting.all.map(\.name)

    /// `SENSOR_GATEWAY_*` variables in `environment` that name no setting (a misspelling is
    /// otherwise silently ignored); the caller warns about them.
    public static func unknownEnvironmentVariables(_ environment: [String: String]) -> [String] {
        let known = Set(
            settings.map(environmentName) + [
                "SENSOR_GATEWAY_CONFIG", "SENSOR_GATEWAY_KEEP_TEST_DATA", defaultDataDirectoryVariable,
                faultInjectionVariable,
            ])
        return environment.keys.filter { $0.hasPrefix("SENSOR_GATEWAY_") && !known.contains($0) }.sorted()
    }

    /// The data folder to use when no flag, variable or file line sets `data-dir`.
    public static let defaultDataDirectoryVariable = "SENSOR_GATEWAY_DEFAULT_DATA_DIR"

    /// Turns on a `GatewayConfiguration.FaultInjection` (reliability runs only; deliberately
    /// not a flag or a config file line, where it could be left on by mistake).
    public static let faultInjectionVariable = "SENSOR_GATEWAY_FAULT_INJECTION"

    public static func environmentName(_ setting: String) -> String {
        "SENSOR_GATEWAY_" + setting.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The variable a setting read from the environment came from: its own, or for `data-dir`
    /// set by no variable of its own the unit's default (found black-box, 47th review: `config
    /// show` named SENSOR_GATEWAY_DATA_DIR, which was not set).
    public static func environmentSource(_ setting: String, in environment: [String: String]) -> String {
        let own = environmentName(setting)
        return setting == "data-dir" && environment[own] == nil && environment[defaultDataDirectoryVariable] != nil ? defaultDataDirectoryVariable : own
    }

    /// Builds the configuration. `flags` maps setting names to the values given on the command line.
    public static func load(
        configFile: String?, environment: [String: String], flags: [String: String],
        defaultGatewayID: String
    ) throws(ConfigurationError) -> GatewayConfiguration {
        var c = try build(sources(configFile: configFile, environment: environment, flags: flags), defaultGatewayID: defaultGatewayID)
        if let raw = environment[faultInjectionVariable] {
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(setting: "fault-injection", value: raw, problem: problem, source: .environment)
            }
            guard let fault = GatewayConfiguration.FaultInjection(rawValue: raw) else { throw fail("expected power-loss") }
            guard c.fsync != .never else { throw fail("needs --fsync always or interval (unsynced writes are held in memory)") }
            c.faultInjection = fault
        }
        return c
    }

    /// The settings given explicitly, each with its raw value and where it came from (the
    /// highest-precedence source wins); settings not listed take their defaults.
    public static func sources(
        configFile: String?, environment: [String: String],
        flags: [String: String]
    ) throws(ConfigurationError) -> [String: (String, SettingSource)] {
        var values: [String: (String, SettingSource)] = [:]
        if let configFile {
            for (k, v) in try readFile(configFile) { values[k] = (v.value, .file(configFile, line: v.line)) }
        }
        for setting in settings {
            if let v = environment[environmentName(setting)] { values[setting] = (v, .environment) }
        }
        for (k, v) in flags { values[k] = (v, .flag) }
        // A default for data-dir from the environment (the systemd unit sets it): unlike
        // SENSOR_GATEWAY_DATA_DIR it never overrides the file or a flag.
        if values["data-dir"] == nil, let dir = environment[defaultDataDirectoryVariable] {
            values["data-dir"] = (dir, .environment)
        }
        return values
    }

    /// The config file's settings that an environment variable or a flag overrides with another
    /// value, each said as the file's line and what overrides it: an edit to one of them changes
    /// nothing, on a reload or at the next start, which the operator is told (found black-box,
    /// 67th review: a reload said "nothing changed" for an edit a unit's `Environment=` beat).
    /// Empty when the file cannot be read (its error is the load's).
    public static func overriddenInFile(configFile: String?, environment: [String: String], flags: [String: String]) -> [String] {
        guard let configFile, let file = try? readFile(configFile) else { return [] }
        return file.sorted { ($0.value.line ?? 0, $0.key) < ($1.value.line ?? 0, $1.key) }.compactMap { key, given in
            let by: String
            if let flag = flags[key] {
                guard flag != given.value else { return nil }
                by = "--\(key) \(flag)"
            } else if let variable = environment[environmentName(key)] {
                guard variable != given.value else { return nil }
                by = "\(environmentName(key))=\(variable)"
            } else {
                return nil
            }
            let shown = ConfigurationError.namesASecret(key) ? "<redacted>" : given.value
            return "\(key) in \(configFile)\(given.line.map { ", line \($0)," } ?? "") is \(shown) but \(by) overrides it"
        }
    }

    /// The settings a config file gives, by name, with the line of each (nil in a JSON file).
    static func readFile(_ path: String) throws(ConfigurationError) -> [String: (value: String, line: Int?)] {
        func fail(_ setting: String, _ value: String, line: Int? = nil, _ problem: String) -> ConfigurationError {
            ConfigurationError(setting: setting, value: value, problem: problem, source: .file(path, line: line))
        }
        let text: String
        do { text = try ConfigFileReader.text(of: path) } catch { throw fail("config", path, error.message) }
        var out: [String: (value: String, line: Int?)] = [:]
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard case .object(let object)? = try? WireJSON.decode(JSONValue.self, from: Array(trimmed.utf8)) else {
                throw fail("config", path, "not a valid JSON object")
            }
            // The decoder keeps the last of a key given twice: refused here, as the line form does.
            var lines: [String: JSONConfigKeys.Member] = [:]
            for member in JSONConfigKeys.members(text) {
                let key = fileKey(member.key)
                if let first = lines[key] {
                    // Both on one line (a file written on a single line): their columns tell them apart.
                    let places =
                        first.line == member.line
                        ? "both on line \(member.line), at column \(first.column) (\(first.value)) and column \(member.column) (\(member.value))"
                        : "on line \(first.line) (\(first.value)) and line \(member.line) (\(member.value))"
                    throw fail(key, member.value, line: member.line, "set twice, \(places); keep one")
                }
                lines[key] = member
            }
            for (k, v) in object.sorted(by: { $0.key < $1.key }) {
                if out[fileKey(k)] != nil { throw fail(fileKey(k), v.settingText, "given twice (spelt with - and with _); keep one") }
                out[fileKey(k)] = (v.settingText, nil)
            }
        } else {
            let entries: [ConfigFileParser.Entry]
            do { entries = try ConfigFileParser.entries(text) } catch {
                throw fail(error.key.map(normalise) ?? "config", error.text, line: error.line, error.message)
            }
            for entry in entries {
                let key = fileKey(entry.key)
                if let first = out[key] {
                    throw fail(
                        key, entry.value, line: entry.line,
                        "set twice, on line \(first.line ?? 0) (\(first.value)) and line \(entry.line) (\(entry.value)); keep one")
                }
                out[key] = (entry.value, entry.line)
            }
        }
        let known = Set(settings)
        for (key, given) in out.sorted(by: { ($0.value.line ?? 0, $0.key) < ($1.value.line ?? 0, $1.key) })
        where !known.contains(key) && SensorOverrideSettings.split(key) == nil && MeasurementSettings.split(key) == nil {
            if ConfigurationError.namesASecret(key) {
                throw fail(
                    key, given.value, line: given.line,
                    "unknown setting: put the password alone in a file only the gateway's user can read, and name that file with password-file")
            }
            throw fail(key, given.value, line: given.line, "unknown setting (known: \(settings.joined(separator: ", ")))")
        }
        return out
    }

    static func normalise(_ key: String) -> String { key.lowercased().replacingOccurrences(of: "_", with: "-") }

    /// A config file's key as settings are looked up: normalised, but a per-sensor key
    /// (`SensorOverrideSettings`) keeps its pattern, and a measurement's key
    /// (`MeasurementSettings`) its name, as written.
    static func fileKey(_ key: String) -> String {
        SensorOverrideSettings.normalised(key) ?? MeasurementSettings.normalised(key) ?? normalise(key)
    }

    private static func build(_ values: [String: (String, SettingSource)], defaultGatewayID: String) throws(ConfigurationError) -> GatewayConfiguration {
        var c = GatewayConfiguration(gatewayID: defaultGatewayID)
        for setting in Setting.all {
            guard let (raw, source) = values[setting.name] else { continue }
            do {
                try setting.apply(raw, &c)
            } catch {
                let problem = (error as? Setting.Problem)?.message ?? "\(error)"
                throw ConfigurationError(setting: setting.name, value: raw, problem: problem, source: source)
            }
        }
        try MeasurementSettings.apply(values, to: &c)
        try SensorOverrideSettings.apply(values, to: &c)
        try checkCombinations(c, values)
        return c
    }

    /// What no single setting can check: the ones given that conflict, blamed on the one the
    /// operator set (the first of the pair when both were). Flags that conflict only with each
    /// other or with defaults are a bad command line (EX_USAGE, as CONTRACT section 7 says of a
    /// bad flag); a conflict with the environment or the config file is EX_CONFIG.
    private static func checkCombinations(_ c: GatewayConfiguration, _ values: [String: (String, SettingSource)]) throws(ConfigurationError) {
        func fail(_ preferred: String, or other: String, _ problem: String) -> ConfigurationError {
            let setting = values[preferred] != nil ? preferred : other
            let notFlags = [preferred, other].compactMap { values[$0]?.1 }.contains { $0 != .flag }
            return ConfigurationError(
                setting: setting, value: values[setting]?.0 ?? "", problem: problem, source: values[setting]?.1 ?? .flag, conflict: notFlags)
        }
        let declared = [Topics.defaultMeasurement] + (c.engine.measurements ?? []).map(\.name)
        if let (metric, measurement) = c.engine.sparkplugMetrics?.sorted(by: { $0.key < $1.key }).first(where: { !declared.contains($0.value) }) {
            throw fail(
                "sparkplug-metrics", or: "sparkplug-metrics",
                "metric `\(metric)` is read as `\(measurement)`, which is not a declared measurement (these are: \(declared.joined(separator: ", ")))")
        }
        if let filter = c.engine.sparkplugFilter, let node = c.sparkplugEdgeNode,
            [node.topic(.nodeBirth), node.topic(.deviceData, device: "x")].contains(where: { TopicFilter.matches(filter, $0) })
        {
            throw fail(
                "sparkplug-edge-node", or: "sparkplug-topic-filter",
                "the gateway's own edge node \(node) publishes under sparkplug-topic-filter \(filter), so it would read its own output back: give the edge node a group the filter does not take, or the filter the groups of the edge nodes only (spBv1.0/<group>/#)"
            )
        }
        if !c.cleanedTopics && c.sparkplugEdgeNode == nil {
            throw fail(
                "cleaned-topics", or: "sparkplug-edge-node",
                "with cleaned-topics off and no sparkplug-edge-node nothing would publish the cleaned stream: set sparkplug-edge-node, or leave cleaned-topics on"
            )
        }
        guard c.engine.validMin < c.engine.validMax else {
            throw fail("valid-max", or: "valid-min", "valid-min (\(c.engine.validMin)) must be below valid-max (\(c.engine.validMax))")
        }
        if let retention = c.engine.sensorRetentionMs, retention < c.engine.lateHorizonMs {
            throw fail(
                "sensor-retention-s", or: "late-horizon-s",
                "sensor-retention-s (\(retention / 1000)) must be 0 (never) or at least late-horizon-s "
                    + "(\(c.engine.lateHorizonMs / 1000)): a sensor is not forgotten while its readings can still be restated")
        }
        if let retention = c.engine.sensorRetentionMs,
            let m = c.engine.measurements?.first(where: { ($0.lateHorizonMs ?? 0) > retention }), let horizon = m.lateHorizonMs
        {
            let key = MeasurementSettings.prefix + m.name + ".late-horizon-s"
            throw fail(
                "sensor-retention-s", or: key,
                "sensor-retention-s (\(retention / 1000)) must be 0 (never) or at least \(key) "
                    + "(\(horizon / 1000)): a sensor is not forgotten while its readings can still be restated")
        }
        if let layout = try? JournalLayout(directory: c.journalDirectory, maxBytes: c.journalMaxBytes),
            layout.maxRecordPayload < IngestJournal.largestPublication(maxPayloadBytes: c.engine.maxPayloadBytes)
        {
            throw fail(
                "max-payload-bytes", or: "journal-max-bytes",
                "a journal segment (1/16 of journal-max-bytes) must hold the largest dead letter of a "
                    + "max-payload-bytes payload: raise journal-max-bytes or lower max-payload-bytes")
        }
        if c.brokerScheme == .mqtts && c.caFile == nil {
            throw fail("broker", or: "ca-file", "mqtts:// needs ca-file, the CA certificate to check the broker with (mqtt:// for a plain listener)")
        }
        if (c.certFile == nil) != (c.keyFile == nil) {
            throw fail(
                c.certFile != nil ? "cert" : "key", or: "cert",
                "a client certificate needs both cert and key (cert: \(c.certFile ?? "not set"), key: \(c.keyFile ?? "not set"))")
        }
    }
}
