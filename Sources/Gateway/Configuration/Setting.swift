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

    /// The default, as `--help` shows it (for the host name as gateway id).
    public var defaultValue: String { show(GatewayConfiguration(gatewayID: "<host name>")) }
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

    /// Milliseconds stored as given.
    static func milliseconds(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int64>) -> Setting {
        integer(name, help, unit: "ms", range, store: { v, c in c[keyPath: path] = v }, show: { "\($0[keyPath: path])" })
    }

    /// Whole seconds, stored as milliseconds.
    static func seconds(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int64>) -> Setting {
        integer(name, help, unit: "s", range, store: { v, c in c[keyPath: path] = v * 1000 }, show: { "\($0[keyPath: path] / 1000)" })
    }

    /// A finite decimal number.
    static func number(_ name: String, _ help: String, _ path: Path<Double>) -> Setting {
        Setting(
            name: name, help: help, valueName: "number",
            apply: { raw, c in
                guard let v = Double(raw.trimmingCharacters(in: .whitespaces)), v.isFinite else { throw Problem("not a number") }
                c[keyPath: path] = v
            }, show: { "\($0[keyPath: path])" })
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

    /// A byte count: a whole number, or with a binary suffix (`256M`, `1G`, `512K`, `256MiB`).
    static func size(_ name: String, _ help: String, _ range: ClosedRange<Int64>, _ path: Path<Int>) -> Setting {
        Setting(
            name: name, help: help, valueName: "bytes",
            apply: { raw, c in
                let text = raw.trimmingCharacters(in: .whitespaces)
                let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
                var digits = Substring(text), scale: Int64 = 1
                if let unit = units.first(where: { text.hasSuffix($0.0) }) {
                    digits = text.dropLast(unit.0.count)
                    scale = unit.1
                }
                guard let n = Int64(digits.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                    throw Problem("not a size: a whole number of bytes, or with K, M or G (binary: 256M is 268435456)")
                }
                let (v, overflow) = n.multipliedReportingOverflow(by: scale)
                guard !overflow, range.contains(v) else { throw Problem("must be between \(range.lowerBound) and \(range.upperBound) bytes") }
                c[keyPath: path] = Int(v)
            }, show: { "\($0[keyPath: path])" })
    }

    /// A file the gateway must be able to read.
    static func file(_ name: String, _ help: String, _ path: Path<String?>) -> Setting {
        Setting(
            name: name, help: help, valueName: "file",
            apply: { raw, c in
                guard FileManager.default.isReadableFile(atPath: raw) else { throw Problem("file not readable") }
                c[keyPath: path] = raw
            }, show: { $0[keyPath: path] ?? "" })
    }
}
