/// A setting with an unusable value. Its first line names the setting and the value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var setting: String
    public var value: String
    public var problem: String
    public var source: SettingSource
    /// Two settings, each valid alone, that cannot work together, at least one of them from the
    /// environment or the config file: a configuration error (EX_CONFIG) even when the one
    /// named came from a flag.
    public var conflict = false

    public init(setting: String, value: String, problem: String, source: SettingSource, conflict: Bool = false) {
        self.setting = setting
        self.value = value
        self.problem = problem
        self.source = source
        self.conflict = conflict
    }

    public var description: String {
        let name: String
        switch source {
        case .flag: name = "--\(setting)"
        case .environment: name = ConfigurationLoader.environmentName(setting)
        case .file(let path, let line?): name = "\(setting) (in \(path), line \(line))"
        case .file(let path, nil): name = "\(setting) (in \(path))"
        }
        guard Self.namesASecret(setting), !value.isEmpty else { return "\(name)=\(value): \(problem)" }
        // A secret given where it does not belong (`password: ...` in the config file) is never
        // echoed: the message goes to the journal and on to log shipping (found black-box, 67th
        // review: the unknown-setting error printed the password).
        return "\(name)=<redacted>: \(problem.replacing(value, with: "<redacted>"))"
    }

    /// Whether a setting of this name would hold a secret (a password, token or secret itself,
    /// not the file holding one).
    public static func namesASecret(_ setting: String) -> Bool {
        let name = setting.lowercased()
        return ["password", "passwd", "secret", "token"].contains { name.contains($0) } && !name.hasSuffix("-file")
    }

    /// EX_USAGE for a bad flag (or flags that conflict with each other or with a default),
    /// EX_CONFIG for the environment, the config file, or a flag that conflicts with them.
    public var exitStatus: ExitStatus { source == .flag && !conflict ? .usage : .configuration }
}
