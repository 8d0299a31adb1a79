import Recovery
import Wire

/// The config file's measurements besides temperature: `measurement.<name>.<setting>: value`,
/// with `unit`, `valid-min` and `valid-max` required and `fill`, `max-fill`, `reorder-window-ms`,
/// `late-horizon-s`, `aggregate-window-s` (the gateway-wide ones otherwise) and `json-fields` (other names its
/// firmware gives the JSON fields) optional. The name is the topic level and payload field (`a-z 0-9 _ -`,
/// up to 32; not `temperature`, `resend` or `value`). Values are read and checked as the
/// gateway-wide setting of the same name. Only in the config file. A reload applies a declared
/// measurement's changed settings but its aggregate window (a topic level); adding or removing
/// one takes a restart (it changes what the gateway subscribes to).
enum MeasurementSettings {
    static let prefix = "measurement."
    static let settings = ["unit", "valid-min", "valid-max", "fill", "max-fill", "json-fields", "reorder-window-ms", "late-horizon-s", "aggregate-window-s"]

    /// `key` split into the measurement's name (as written) and its setting (normalised); nil
    /// for a key that is not a measurement's.
    static func split(_ key: String) -> (name: String, setting: String)? {
        SettingSource.splitKeyed(key, prefix: prefix).map { ($0.head, $0.setting) }
    }

    static func normalised(_ key: String) -> String? { split(key).map { prefix + $0.name + "." + $0.setting } }

    /// Reads every measurement key of `values` into `c.engine.measurements`, in the file's order.
    static func apply(_ values: [String: (String, SettingSource)], to c: inout GatewayConfiguration) throws(ConfigurationError) {
        struct Partial {
            var unit: String?
            var validMin: Double?
            var validMax: Double?
            var fill: FillMethod?
            var maxFill: UInt64?
            var jsonFields: JSONFieldNames?
            var reorderWindowMs: Int64?
            var lateHorizonMs: Int64?
            var aggregateWindowMs: Int64?
            var firstLine: Int
            var key: String
        }
        var partial: [String: Partial] = [:]
        let given = values.compactMap { key, value in split(key).map { (key: key, parts: $0, raw: value.0, source: value.1) } }
        for entry in given.sorted(by: { ($0.source.fileLine, $0.key) < ($1.source.fileLine, $1.key) }) {
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(setting: entry.key, value: entry.raw, problem: problem, source: entry.source)
            }
            let name = entry.parts.name
            guard MeasurementDefinition.isValidName(name) else {
                throw fail(
                    "`\(name)` cannot name a measurement: 1-32 characters of a-z 0-9 _ -, not ending in _gap, and not a member or topic level of the gateway's own messages (\(MeasurementDefinition.reservedNames.sorted().joined(separator: ", "))); temperature is set by the gateway-wide settings; the form is measurement.<name>.<setting>"
                )
            }
            guard c.engine.topicPattern.withLastLevel(name)?.filter != c.engine.topicPattern.filter else {
                throw fail(
                    "`\(name)` is the last level of topic-filter (\(c.engine.topicPattern.filter)), whose readings are temperature's: name the measurement after its own topic level"
                )
            }
            guard settings.contains(entry.parts.setting) else {
                throw fail("`\(entry.parts.setting)` is not a measurement setting (these are: \(settings.joined(separator: ", ")))")
            }
            var p = partial[name] ?? Partial(firstLine: entry.source.fileLine, key: entry.key)
            if entry.parts.setting == "unit" {
                let unit = entry.raw.trimmingCharacters(in: .whitespaces)
                guard (1...16).contains(unit.count), !unit.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" }) else {
                    throw fail("a unit is 1-16 characters, without quotes, backslashes or control characters (%RH, bar, mm/s)")
                }
                p.unit = unit
            } else if entry.parts.setting == "json-fields" {
                do throws(JSONFieldNames.Invalid) { p.jsonFields = try JSONFieldNames(parsing: entry.raw, reserved: name) } catch { throw fail(error.message) }
            } else {
                guard let setting = Setting.all.first(where: { $0.name == entry.parts.setting }) else { continue }
                var scratch = c
                do {
                    try setting.apply(entry.raw, &scratch)
                } catch {
                    throw fail((error as? Setting.Problem)?.message ?? "\(error)")
                }
                switch entry.parts.setting {
                case "valid-min": p.validMin = scratch.engine.validMin
                case "valid-max": p.validMax = scratch.engine.validMax
                case "fill": p.fill = scratch.engine.fill
                case "reorder-window-ms": p.reorderWindowMs = scratch.engine.reorderWindowMs
                case "late-horizon-s": p.lateHorizonMs = scratch.engine.lateHorizonMs
                case "aggregate-window-s": p.aggregateWindowMs = scratch.engine.aggregateWindowMs
                default: p.maxFill = scratch.engine.maxFill
                }
            }
            partial[name] = p
        }
        var measurements: [MeasurementDefinition] = []
        for (name, p) in partial.sorted(by: { ($0.value.firstLine, $0.key) < ($1.value.firstLine, $1.key) }) {
            let (raw, source) = values[p.key] ?? ("", .file("", line: nil))
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(setting: p.key, value: raw, problem: problem, source: source, conflict: true)
            }
            let missing = [("unit", p.unit == nil), ("valid-min", p.validMin == nil), ("valid-max", p.validMax == nil)].filter(\.1).map(\.0)
            guard missing.isEmpty, let unit = p.unit, let low = p.validMin, let high = p.validMax else {
                throw fail(
                    "measurement \(name) needs \(missing.map { "\(prefix)\(name).\($0)" }.joined(separator: ", ")) (unit, valid-min and valid-max are required)"
                )
            }
            guard low < high else {
                // Named at the maximum's line, as an inverted per-sensor range is.
                let key = prefix + name + ".valid-max"
                let (raw, source) = values[key] ?? (raw, source)
                throw ConfigurationError(
                    setting: key, value: raw, problem: "measurement \(name): valid-min (\(low)) must be below valid-max (\(high))", source: source,
                    conflict: true)
            }
            var m = MeasurementDefinition(name: name, unit: unit, validMin: low, validMax: high, fill: p.fill, maxFill: p.maxFill, jsonFields: p.jsonFields)
            (m.reorderWindowMs, m.lateHorizonMs, m.aggregateWindowMs) = (p.reorderWindowMs, p.lateHorizonMs, p.aggregateWindowMs)
            measurements.append(m)
        }
        if let first = measurements.first {
            let key = partial[first.name]?.key ?? ""
            let (raw, source) = values[key] ?? ("", .file("", line: nil))
            guard c.engine.topicPattern.namesMeasurement else {
                throw ConfigurationError(
                    setting: key, value: raw,
                    problem:
                        "measurements need a topic-filter whose last level names the measurement (sensors/+/temperature: humidity comes on sensors/+/humidity); \(c.engine.topicPattern.filter) ends with the sensor id",
                    source: source, conflict: true)
            }
            for filter in c.engine.readingFilters.dropFirst() {
                if let overlap = Topics.gatewayOutputOverlapping(filter) {
                    throw ConfigurationError(
                        setting: key, value: raw, problem: "its topic filter \(filter) would also receive the gateway's own \(overlap)", source: source,
                        conflict: true)
                }
            }
        }
        c.engine.measurements = measurements.isEmpty ? nil : measurements
    }

    /// The measurements as config file lines (`config show`, the start-up summary, a reload's diff).
    static func lines(_ measurements: [MeasurementDefinition]?) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for m in measurements ?? [] {
            let key = prefix + m.name + "."
            out.append((key + "unit", m.unit))
            out.append((key + "valid-min", "\(m.validMin)"))
            out.append((key + "valid-max", "\(m.validMax)"))
            if let v = m.fill { out.append((key + "fill", v.rawValue)) }
            if let v = m.maxFill { out.append((key + "max-fill", "\(v)")) }
            if let v = m.jsonFields { out.append((key + "json-fields", v.description)) }
            if let v = m.reorderWindowMs { out.append((key + "reorder-window-ms", "\(v)")) }
            if let v = m.lateHorizonMs { out.append((key + "late-horizon-s", SettingUnits.showSeconds(v))) }
            if let v = m.aggregateWindowMs { out.append((key + "aggregate-window-s", SettingUnits.showSeconds(v))) }
        }
        return out
    }
}
