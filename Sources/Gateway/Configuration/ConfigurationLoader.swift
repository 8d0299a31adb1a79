import Foundation
import Journal
import Logging
import Recovery

/// Where a setting's value came from; decides the exit status of a bad value.
public enum SettingSource: Sendable, Equatable {
    case flag, environment, file(String)
}

/// A setting with an unusable value. Its first line names the setting and the value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var setting: String
    public var value: String
    public var problem: String
    public var source: SettingSource

    public var description: String {
        let name: String
        switch source {
        case .flag: name = "--\(setting)"
        case .environment: name = ConfigurationLoader.environmentName(setting)
        case .file(let path): name = "\(setting) (in \(path))"
        }
        return "\(name)=\(value): \(problem)"
    }

    /// EX_USAGE for a flag, EX_CONFIG for the environment or the config file.
    public var exitStatus: ExitStatus { source == .flag ? .usage : .configuration }
}

/// Merges the config file, the environment (`SENSOR_GATEWAY_<FLAG>`) and flags, in rising
/// precedence, into a checked `GatewayConfiguration`.
///
/// The config file holds one `name: value` (or `name = value`) per line, names as the flags
/// without dashes (`reorder-window-ms: 2000`; underscores work too), `#` starts a comment. A JSON
/// object with the same names is accepted as well.
public enum ConfigurationLoader {
    /// Every setting name, as its flag is spelled.
    public static let settings = [
        "broker", "gateway-id", "client-id", "data-dir", "reorder-window-ms", "late-horizon-s", "max-fill",
        "valid-min", "valid-max", "fill", "topic-filter", "max-payload-bytes", "reset-threshold",
        "aggregate-window-s", "stale-factor", "future-tolerance-s", "max-sensors", "sensor-retention-s", "journal-max-bytes", "fsync", "snapshot-interval-ms", "replay-max-concurrent", "replay-max-window-s", "http", "ca-file", "cert", "key",
        "username", "password-file", "log-level", "log-format",
    ]

    /// `SENSOR_GATEWAY_*` variables in `environment` that name no setting (a misspelling is
    /// otherwise silently ignored); the caller warns about them.
    public static func unknownEnvironmentVariables(_ environment: [String: String]) -> [String] {
        let known = Set(settings.map(environmentName) + ["SENSOR_GATEWAY_CONFIG", "SENSOR_GATEWAY_KEEP_TEST_DATA", defaultDataDirectoryVariable,
                         faultInjectionVariable])
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

    /// Builds the configuration. `flags` maps setting names to the values given on the command line.
    public static func load(configFile: String?, environment: [String: String], flags: [String: String],
                            defaultGatewayID: String) throws(ConfigurationError) -> GatewayConfiguration {
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
    public static func sources(configFile: String?, environment: [String: String],
                               flags: [String: String]) throws(ConfigurationError) -> [String: (String, SettingSource)] {
        var values: [String: (String, SettingSource)] = [:]
        if let configFile {
            for (k, v) in try readFile(configFile) { values[k] = (v, .file(configFile)) }
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

    static func readFile(_ path: String) throws(ConfigurationError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(setting: "config", value: path, problem: "cannot read the config file", source: .file(path))
        }
        var out: [String: String] = [:]
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw ConfigurationError(setting: "config", value: path, problem: "not a valid JSON object", source: .file(path))
            }
            for (k, v) in object { out[normalise(k)] = "\(v)" }
        } else {
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                    .trimmingCharacters(in: .whitespaces) ?? ""
                if line.isEmpty { continue }
                guard let sep = line.firstIndex(where: { $0 == ":" || $0 == "=" }) else {
                    throw ConfigurationError(setting: "line \(n + 1)", value: line, problem: "expected `name: value`", source: .file(path))
                }
                let key = normalise(String(line[..<sep]).trimmingCharacters(in: .whitespaces))
                var value = String(line[line.index(after: sep)...]).trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let f = value.first, (f == "\"" || f == "'"), value.last == f { value = String(value.dropFirst().dropLast()) }
                out[key] = value
            }
        }
        for key in out.keys where !settings.contains(key) {
            throw ConfigurationError(setting: key, value: out[key]!, problem: "unknown setting (known: \(settings.joined(separator: ", ")))", source: .file(path))
        }
        return out
    }

    static func normalise(_ key: String) -> String { key.lowercased().replacingOccurrences(of: "_", with: "-") }

    private static func build(_ values: [String: (String, SettingSource)], defaultGatewayID: String) throws(ConfigurationError) -> GatewayConfiguration {
        func fail(_ setting: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(setting: setting, value: values[setting]?.0 ?? "", problem: problem, source: values[setting]?.1 ?? .flag)
        }
        func string(_ s: String) -> String? { values[s]?.0 }
        func integer(_ s: String, _ range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
            guard let raw = string(s) else { return nil }
            guard let v = Int64(raw) else { throw fail(s, "not a whole number") }
            guard range.contains(v) else { throw fail(s, "must be between \(range.lowerBound) and \(range.upperBound)") }
            return v
        }
        /// A byte count: a whole number, or one with a binary suffix (`256M`, `1G`, `512K`, `256MiB`).
        func size(_ s: String, _ range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
            guard let raw = string(s)?.trimmingCharacters(in: .whitespaces) else { return nil }
            let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
            var digits = Substring(raw), scale: Int64 = 1
            if let unit = units.first(where: { raw.hasSuffix($0.0) }) {
                digits = raw.dropLast(unit.0.count)
                scale = unit.1
            }
            guard let n = Int64(digits.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw fail(s, "not a size: a whole number of bytes, or with K, M or G (binary: 256M is 268435456)")
            }
            let (v, overflow) = n.multipliedReportingOverflow(by: scale)
            guard !overflow, range.contains(v) else { throw fail(s, "must be between \(range.lowerBound) and \(range.upperBound) bytes") }
            return v
        }
        func number(_ s: String) throws(ConfigurationError) -> Double? {
            guard let raw = string(s) else { return nil }
            guard let v = Double(raw), v.isFinite else { throw fail(s, "not a number") }
            return v
        }

        let gatewayID = string("gateway-id") ?? defaultGatewayID
        guard SensorID.isValid(gatewayID) else { throw fail("gateway-id", "use 1-64 characters of A-Z a-z 0-9 _ . -") }
        var c = GatewayConfiguration(gatewayID: gatewayID)
        if let broker = string("broker") {
            guard let url = BrokerURL(broker) else { throw fail("broker", "expected mqtt://HOST:PORT or mqtts://HOST:PORT") }
            c.brokerScheme = url.scheme
            c.brokerHost = url.host
            c.brokerPort = url.port
        }
        if let id = string("client-id") {
            guard !id.isEmpty, id.utf8.count <= 65535 else { throw fail("client-id", "must not be empty") }
            c.clientID = id
        }
        if let dir = string("data-dir") {
            guard !dir.isEmpty else { throw fail("data-dir", "must not be empty") }
            c.dataDirectory = dir
        }
        if let v = try integer("reorder-window-ms", 0...3_600_000) { c.engine.reorderWindowMs = v }
        if let v = try integer("late-horizon-s", 0...30 * 86_400) { c.engine.lateHorizonMs = v * 1000 }
        if let v = try integer("max-fill", 0...1_000_000) { c.engine.maxFill = UInt64(v) }
        if let v = try number("valid-min") { c.engine.validMin = v }
        if let v = try number("valid-max") { c.engine.validMax = v }
        guard c.engine.validMin < c.engine.validMax else {
            throw fail(values["valid-max"] != nil ? "valid-max" : "valid-min", "valid-min (\(c.engine.validMin)) must be below valid-max (\(c.engine.validMax))")
        }
        if let raw = string("fill") {
            guard let f = FillMethod(rawValue: raw) else { throw fail("fill", "expected linear, locf or distribution") }
            c.engine.fill = f
        }
        if let raw = string("topic-filter") {
            guard let p = TopicPattern(raw) else { throw fail("topic-filter", "needs exactly one `+` level for the sensor id and no `#`") }
            c.engine.topicPattern = p
        }
        if let v = try integer("max-payload-bytes", 64...1 << 20) { c.engine.maxPayloadBytes = Int(v) }
        if let v = try integer("reset-threshold", 1...Int64(ReadingParser.maxSeq)) { c.engine.resetThreshold = UInt64(v) }
        if let v = try integer("aggregate-window-s", 1...86_400) { c.engine.aggregateWindowMs = v * 1000 }
        if let v = try integer("stale-factor", 1...1000) { c.engine.staleFactor = v }
        if let v = try integer("future-tolerance-s", 1...3_650 * 86_400) { c.engine.futureToleranceMs = v * 1000 }
        if let v = try integer("max-sensors", 1...10_000_000) { c.engine.maxSensors = Int(v) }
        if let v = try integer("sensor-retention-s", 0...3_650 * 86_400) { c.engine.sensorRetentionMs = v == 0 ? nil : v * 1000 }
        if let retention = c.engine.sensorRetentionMs, retention < c.engine.lateHorizonMs {
            let setting = values["sensor-retention-s"] != nil ? "sensor-retention-s" : "late-horizon-s"
            throw fail(setting, "sensor-retention-s (\(retention / 1000)) must be 0 (never) or at least late-horizon-s "
                       + "(\(c.engine.lateHorizonMs / 1000)): a sensor is not forgotten while its readings can still be restated")
        }
        if let v = try size("journal-max-bytes", 1 << 20...1 << 40) { c.journalMaxBytes = Int(v) }
        if let layout = try? JournalLayout(directory: c.journalDirectory, maxBytes: c.journalMaxBytes),
           layout.maxRecordPayload < IngestJournal.largestPublication(maxPayloadBytes: c.engine.maxPayloadBytes) {
            let setting = values["max-payload-bytes"] != nil ? "max-payload-bytes" : "journal-max-bytes"
            throw fail(setting, "a journal segment (1/16 of journal-max-bytes) must hold the largest dead letter of a "
                       + "max-payload-bytes payload: raise journal-max-bytes or lower max-payload-bytes")
        }
        if let v = try integer("snapshot-interval-ms", 100...3_600_000) { c.snapshotIntervalMs = v }
        if let v = try integer("replay-max-concurrent", 0...64) { c.replay.maxConcurrent = Int(v) }
        if let v = try integer("replay-max-window-s", 1...31_622_400) { c.replay.maxWindowMs = v * 1000 }
        if let raw = string("fsync") {
            guard let m = FsyncMode(rawValue: raw) else { throw fail("fsync", "expected always, interval or never") }
            c.fsync = m
        }
        if let raw = string("log-level") {
            guard let level = Logger.Level(rawValue: raw) else {
                throw fail("log-level", "expected \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            c.logLevel = level
        }
        if let raw = string("log-format") {
            guard let format = LogFormat(rawValue: raw) else { throw fail("log-format", "expected text or json") }
            c.logFormat = format
        }
        if let raw = string("http") {
            if raw == "off" {
                c.http = nil
            } else {
                guard let colon = raw.lastIndex(of: ":"), let port = Int32(raw[raw.index(after: colon)...]), (0...65535).contains(port),
                      !raw[..<colon].isEmpty else { throw fail("http", "expected HOST:PORT or off") }
                c.http = (String(raw[..<colon]), port)
            }
        }
        for (setting, path) in [("ca-file", \GatewayConfiguration.caFile), ("cert", \.certFile), ("key", \.keyFile)] {
            if let f = string(setting) {
                guard FileManager.default.isReadableFile(atPath: f) else { throw fail(setting, "file not readable") }
                c[keyPath: path] = f
            }
        }
        if c.brokerScheme == .mqtts && c.caFile == nil { throw fail("broker", "mqtts needs --ca-file") }
        c.username = string("username")
        if let f = string("password-file") {
            guard let data = FileManager.default.contents(atPath: f), let text = String(data: data, encoding: .utf8) else {
                throw fail("password-file", "file not readable")
            }
            c.passwordFile = f
            c.password = text.trimmingCharacters(in: .newlines)
        }
        return c
    }
}

/// `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (port optional: 1883 / 8883).
struct BrokerURL {
    var scheme: GatewayConfiguration.BrokerScheme
    var host: String
    var port: Int32

    init?(_ text: String) {
        guard let range = text.range(of: "://"), let scheme = GatewayConfiguration.BrokerScheme(rawValue: String(text[..<range.lowerBound])) else { return nil }
        self.scheme = scheme
        let rest = text[range.upperBound...].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let tail = rest[rest.index(after: close)...]
            port = tail.isEmpty ? (scheme == .mqtt ? 1883 : 8883) : (tail.hasPrefix(":") ? Int32(tail.dropFirst()) ?? -1 : -1)
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int32(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = String(rest)
            port = scheme == .mqtt ? 1883 : 8883
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }
}
