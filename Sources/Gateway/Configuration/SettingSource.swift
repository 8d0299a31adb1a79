/// Where a setting's value came from; decides the exit status of a bad value.
public enum SettingSource: Sendable, Equatable {
    /// The config file, and the line (nil for a JSON file, or a problem with the whole file).
    case flag, environment, file(String, line: Int?)
}
