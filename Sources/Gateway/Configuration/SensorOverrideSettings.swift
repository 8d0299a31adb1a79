import Recovery
import Wire

/// The config file's per-sensor settings: `sensor.<pattern>.<setting>: value` for temperature,
/// `sensor.<pattern>/<measurement>.<setting>: value` for a declared measurement, where the
/// pattern is a sensor id or ids with `*` and `?` (`sensor.oven-*.valid-max: 400`,
/// `sensor.hum-9/humidity.valid-max: 80`) and the setting one of `overridable`. Values are read
/// and checked as the gateway-wide setting of the same name is; a range must still have its
/// minimum below its maximum (the unset bound is the measurement's), and no two patterns may name
/// the same id for one measurement (which override wins would otherwise depend on the order of
/// the lines).
/// Only in the config file (a flag or variable per pattern would not be readable); applied on
/// SIGHUP like the gateway-wide ones.
enum SensorOverrideSettings {
    static let prefix = "sensor."
    /// The settings a sensor pattern can override.
    static let overridable = ["valid-min", "valid-max", "fill", "max-fill"]

    /// `key` as the config file spells it, split into its pattern (kept as written: ids are
    /// case-sensitive) and setting (normalised); nil for a key that is not a per-sensor one.
    static func split(_ key: String) -> (pattern: String, setting: String)? {
        SettingSource.splitKeyed(key, prefix: prefix).map { ($0.head, $0.setting) }
    }

    /// The key with its setting normalised and its pattern as written (`/temperature` dropped:
    /// `sensor.oven-1/temperature.valid-max` is `sensor.oven-1.valid-max`, so giving both is a
    /// setting given twice).
    static func normalised(_ key: String) -> String? {
        split(key).map { parts in
            let suffix = "/" + Topics.defaultMeasurement
            let pattern = parts.pattern.hasSuffix(suffix) ? String(parts.pattern.dropLast(suffix.count)) : parts.pattern
            return prefix + pattern + "." + parts.setting
        }
    }

    /// Reads every per-sensor key of `values` into `c.engine.sensorOverrides`, after the
    /// gateway-wide settings (a pattern's range is checked against the gateway's other bound).
    static func apply(_ values: [String: (String, SettingSource)], to c: inout GatewayConfiguration) throws(ConfigurationError) {
        var overrides: [String: (override: SensorOverride, firstLine: Int, key: String)] = [:]
        let given = values.compactMap { key, value in split(key).map { (key: key, parts: $0, raw: value.0, source: value.1) } }
        for entry in given.sorted(by: { ($0.source.fileLine, $0.key) < ($1.source.fileLine, $1.key) }) {
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(setting: entry.key, value: entry.raw, problem: problem, source: entry.source)
            }
            let (patternText, measurement) = splitMeasurement(entry.parts.pattern)
            guard let pattern = SensorIDPattern(patternText) else {
                throw fail(
                    "`\(patternText)` is not a sensor id or pattern (1-64 characters of A-Z a-z 0-9 _ . -, with * for any run of them and ? for one); the form is sensor.<id or pattern>.<setting>, or sensor.<id or pattern>/<measurement>.<setting>"
                )
            }
            if let measurement, measurement != Topics.defaultMeasurement, c.engine.measurements?.contains(where: { $0.name == measurement }) != true {
                let declared = ([Topics.defaultMeasurement] + (c.engine.measurements ?? []).map(\.name)).joined(separator: ", ")
                throw fail(
                    "`\(measurement)` is not a declared measurement (these are: \(declared)); declare it with measurement.\(measurement).unit, valid-min and valid-max"
                )
            }
            let stream = measurement == Topics.defaultMeasurement ? nil : measurement
            guard overridable.contains(entry.parts.setting), let setting = Setting.all.first(where: { $0.name == entry.parts.setting }) else {
                throw fail("`\(entry.parts.setting)` cannot be set per sensor (these can: \(overridable.joined(separator: ", ")))")
            }
            var scratch = c
            do {
                try setting.apply(entry.raw, &scratch)
            } catch {
                throw fail((error as? Setting.Problem)?.message ?? "\(error)")
            }
            let name = pattern.text + (stream.map { "/" + $0 } ?? "")
            var o = overrides[name] ?? (SensorOverride(pattern: pattern, measurement: stream), entry.source.fileLine, entry.key)
            switch entry.parts.setting {
            case "valid-min": o.override.validMin = scratch.engine.validMin
            case "valid-max": o.override.validMax = scratch.engine.validMax
            case "fill": o.override.fill = scratch.engine.fill
            default: o.override.maxFill = scratch.engine.maxFill
            }
            overrides[name] = o
        }
        let ordered = overrides.values.sorted { ($0.firstLine, $0.key) < ($1.firstLine, $1.key) }
        for (i, o) in ordered.enumerated() {
            let base = o.override.measurement.flatMap { name in c.engine.measurements?.first { $0.name == name } }
            let (low, high) = (o.override.validMin ?? base?.validMin ?? c.engine.validMin, o.override.validMax ?? base?.validMax ?? c.engine.validMax)
            guard low < high else {
                let key = prefix + name(o.override) + (o.override.validMax != nil ? ".valid-max" : ".valid-min")
                let (raw, source) = values[key] ?? ("", .file("", line: nil))
                throw ConfigurationError(
                    setting: key, value: raw, problem: "the sensors' valid-min (\(low)) must be below their valid-max (\(high))", source: source,
                    conflict: true)
            }
            for earlier in ordered[..<i]
            where earlier.override.measurement == o.override.measurement && earlier.override.pattern.overlaps(o.override.pattern) {
                let (raw, source) = values[o.key] ?? ("", .file("", line: nil))
                throw ConfigurationError(
                    setting: o.key, value: raw,
                    problem:
                        "sensor pattern `\(o.override.pattern)` names some of the same sensors as `\(earlier.override.pattern)` (\(earlier.key)); which would apply is not clear: make the patterns name different sensors",
                    source: source, conflict: true)
            }
        }
        c.engine.sensorOverrides = ordered.isEmpty ? nil : ordered.map(\.override)
    }

    /// The measurement a per-sensor key names after its pattern's `/` (nil: temperature, or not
    /// a per-sensor key).
    static func measurement(ofKey key: String) -> String? { split(key).flatMap { splitMeasurement($0.pattern).measurement } }

    /// A key's pattern part split at its `/` into the sensor pattern and the measurement named
    /// after it (nil when none is: temperature).
    private static func splitMeasurement(_ text: String) -> (pattern: String, measurement: String?) {
        guard let slash = text.firstIndex(of: "/") else { return (text, nil) }
        return (String(text[..<slash]), String(text[text.index(after: slash)...]))
    }

    /// How a key names `override`'s streams: its pattern, and `/<measurement>` for another
    /// measurement than temperature.
    static func name(_ override: SensorOverride) -> String {
        override.pattern.text + (override.measurement.map { "/" + $0 } ?? "")
    }

    /// The overrides as config file lines (`config show`, the start-up summary, a reload's diff).
    static func lines(_ overrides: [SensorOverride]?) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for o in overrides ?? [] {
            let key = prefix + name(o) + "."
            if let v = o.validMin { out.append((key + "valid-min", "\(v)")) }
            if let v = o.validMax { out.append((key + "valid-max", "\(v)")) }
            if let v = o.fill { out.append((key + "fill", v.rawValue)) }
            if let v = o.maxFill { out.append((key + "max-fill", "\(v)")) }
        }
        return out
    }
}
