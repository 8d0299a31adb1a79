/// Where a setting's value came from; decides the exit status of a bad value.
public enum SettingSource: Sendable, Equatable {
    /// The config file, and the line (nil for a JSON file, or a problem with the whole file).
    case flag, environment, file(String, line: Int?)
}

extension SettingSource {
    /// The config file line it came from; 0 when it came from no line (a flag, the environment,
    /// a JSON file), so lines sort first to last and the rest before them.
    var fileLine: Int {
        if case .file(_, let line?) = self { return line }
        return 0
    }

    /// A keyed config file line's key (`<prefix><head>.<setting>`) split into its head, as
    /// written (a measurement's name, a sensor pattern), and its setting, normalised; nil for a
    /// key without `prefix`.
    static func splitKeyed(_ key: String, prefix: String) -> (head: String, setting: String)? {
        guard key.lowercased().hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        guard let dot = rest.lastIndex(of: ".") else { return (String(rest), "") }
        return (String(rest[..<dot]), ConfigurationLoader.normalise(String(rest[rest.index(after: dot)...])))
    }
}
