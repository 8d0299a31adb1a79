import Foundation
import Journal
import Logging
import Recovery

/// One setting of `sensor-gateway run`, declared once in `Setting.all`: from that one
/// declaration it is a flag (`--name`), a config file line (`name: value`), an environment
/// variable (`SENSOR_GATEWAY_NAME`), a line of `run --help` with its default, a line of
/// `config show`, and part of the start-up summary.
public struct Setting: Sendable {
    /// The flag without its dashes; also the config file's key.
    public let name: String
    /// What it does, for `--help` (the default is added from the configuration's own).
    public let help: String
    /// The kind of value, for `--help` (`<ms>`, `<bytes>`, `<always|interval|never>`).
    public let valueName: String
    /// Reads a raw value into the configuration; throws `Setting.Problem` for an unusable one.
    let apply: @Sendable (String, inout GatewayConfiguration) throws -> Void
    /// The effective value, spelt as the config file would ("" when unset).
    let show: @Sendable (GatewayConfiguration) -> String

    /// Why a value is unusable (the caller adds the setting's name, value and source).
    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The effective value in `configuration`.
    public func value(in configuration: GatewayConfiguration) -> String { show(configuration) }

    /// The default, as `--help` shows it: the gateway id's is the host name, and a default made
    /// from the gateway id names it (`sensor-gateway-<gateway-id>`, found black-box, 89th review:
    /// `sensor-gateway-<host name>` read as the host name whatever `--gateway-id` said).
    public var defaultValue: String { show(GatewayConfiguration(gatewayID: name == "gateway-id" ? "<host name>" : "<gateway-id>")) }
}

// MARK: - Kinds of value

extension Setting {
    typealias Path<T> = WritableKeyPath<GatewayConfiguration, T> & Sendable

    /// A whole number within `range`, stored through `store`.
    static func integer(
        _ name: String, _ help: String, unit: String, _ range: ClosedRange<Int64>,
        store: @escaping @Sendable (Int64, inout GatewayConfiguration) -> Void,
        show: @escaping @Sendable (GatewayConfiguration) -> String
    ) -> Setting {
        Setting(
            name: name, help: help, valueName: unit,
            apply: { raw, c in
                guard let v = Int64(raw.trimmingCharacters(in: .whitespaces)) else { throw Problem("not a whole number") }
                guard range.contains(v) else { throw Problem("must be between \(range.lowerBound) and \(range.upperBound)") }
                store(v, &c)
            }, show: show)
    }

    /// A duration stored in milliseconds within `range` (milliseconds): a plain whole number in
    /// the setting's own unit (`plainUnit` ms), or with a unit (`500ms`, `10s`, `2m`, `1h`, `1d`;
    /// `SettingUnits`). `show` spells the stored value back.
    static func duration(
        _ name: String, _ help: String, plainUnit: Int64, _ range: ClosedRange<Int64>,
        store: @escaping @Sendable (Int64, inout GatewayConfiguration) -> Void,
        show: @escaping @Sendable (GatewayConfiguration) -> String
    ) -> Setting {
        let unitName = plainUnit == 1 ? "ms" : "s"
        func spell(_ ms: Int64) -> String { plainUnit == 1 || ms % 1000 != 0 ? "\(ms)ms" : "\(ms / 1000)s" }
        let bounds = "must be between \(spell(range.lowerBound)) and \(spell(range.upperBound))"
        return Setting(
            name: name, help: help, valueName: unitName,
            apply: { raw, c in
                let trimmed = raw.trimmingCharacters(in: .whitespaces)
                guard let v = SettingUnits.milliseconds(trimmed, plainUnit: plainUnit) else {
                    if SettingUnits.isFractionOfMillisecond(trimmed, plainUnit: plainUnit) {
                        // Found black-box (90th review): `1.5ms` was told to be "a number with ms".
                        throw Problem("comes to a fraction of a millisecond: durations are whole milliseconds (1500ms, 1.5s)")
                    }
                    throw Problem(
                        "not a duration: a whole number of \(plainUnit == 1 ? "milliseconds" : "seconds"), or a number with "
                            + "ms, s, m, h or d (500ms, 10s, 1.5m, 2h, 1d)")
                }
                guard range.contains(v) else { throw Problem(bounds) }
                store(v, &c)
            }, show: show)
    }

    /// Milliseconds: a plain number is milliseconds.
    static func milliseconds(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int64>) -> Setting {
        duration(name, help, plainUnit: 1, range, store: { v, c in c[keyPath: path] = v }, show: { "\($0[keyPath: path])" })
    }

    /// Seconds, stored as milliseconds: a plain number is seconds; `range` is in seconds.
    static func seconds(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int64>) -> Setting {
        duration(
            name, help, plainUnit: 1000, (range.lowerBound * 1000)...(range.upperBound * 1000), store: { v, c in c[keyPath: path] = v },
            show: { SettingUnits.showSeconds($0[keyPath: path]) })
    }

    /// A finite decimal number of at most `largestMagnitude` either way.
    static func number(_ name: String, _ help: String, _ path: Path<Double>) -> Setting {
        Setting(
            name: name, help: help, valueName: "number",
            apply: { raw, c in
                guard let v = Double(raw.trimmingCharacters(in: .whitespaces)), v.isFinite else { throw Problem("not a number") }
                guard abs(v) <= largestMagnitude else {
                    throw Problem("at most 1e15 either way (estimates are rounded to 0.001 and aggregates summed: beyond it they lose their digits)")
                }
                c[keyPath: path] = v
            }, show: { "\($0[keyPath: path])" })
    }

    /// The largest magnitude of a valid range's bounds: a plant measures nothing near it, and
    /// below it an estimate rounded to 0.001 and a window's sum of values stay finite and exact
    /// enough (found black-box: fills between readings of 1e306 came out as the range's edge).
    static let largestMagnitude = 1e15

    /// `on` or `off`, stored through `store` and shown from `isOn`.
    static func onOff(
        _ name: String, _ help: String, store: @escaping @Sendable (Bool, inout GatewayConfiguration) -> Void,
        isOn: @escaping @Sendable (GatewayConfiguration) -> Bool
    ) -> Setting {
        Setting(
            name: name, help: help, valueName: "on|off",
            apply: { raw, c in
                switch raw.trimmingCharacters(in: .whitespaces) {
                case "on": store(true, &c)
                case "off": store(false, &c)
                default: throw Problem("expected on or off")
                }
            }, show: { isOn($0) ? "on" : "off" })
    }

    /// One of an enumeration's raw values.
    static func choice<T: RawRepresentable & CaseIterable & Sendable>(_ name: String, _ help: String, _ path: Path<T>) -> Setting
    where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        let listed = names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + (names.last ?? "")
        return Setting(
            name: name, help: help, valueName: names.joined(separator: "|"),
            apply: { raw, c in
                guard let v = T(rawValue: raw.trimmingCharacters(in: .whitespaces)) else { throw Problem("expected \(listed)") }
                c[keyPath: path] = v
            }, show: { $0[keyPath: path].rawValue })
    }

    /// A byte count: a plain whole number of bytes, or with a unit (`64KiB`, `256MB`, `1.5GiB`,
    /// and the bare binary letters `256M`, `1G`; `SettingUnits`).
    static func size(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int>) -> Setting {
        Setting(
            name: name, help: help, valueName: "bytes",
            apply: { raw, c in
                guard let v = SettingUnits.bytes(raw.trimmingCharacters(in: .whitespaces)) else {
                    throw Problem(
                        "not a size: a whole number of bytes, or a number with KiB, MiB, GiB (binary), KB, MB, GB (decimal) "
                            + "or K, M, G (binary: 256M is 268435456)")
                }
                guard range.contains(v) else { throw Problem("must be between \(range.lowerBound) and \(range.upperBound) bytes") }
                c[keyPath: path] = Int(v)
            }, show: { "\($0[keyPath: path])" })
    }

    /// A file the gateway must be able to read; `check` says why its content cannot work (nil: fine).
    static func file(
        _ name: String, _ help: String, _ path: Path<String?>, check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> Setting {
        Setting(
            name: name, help: help, valueName: "file",
            apply: { raw, c in
                guard FileManager.default.fileExists(atPath: raw) else { throw Problem("no such file") }
                guard FileManager.default.isReadableFile(atPath: raw) else { throw Problem("file not readable by this user") }
                if let problem = check(raw) { throw Problem(problem) }
                c[keyPath: path] = raw
            }, show: { $0[keyPath: path] ?? "" })
    }
}
