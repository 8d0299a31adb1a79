/// Where a setting's value came from; decides the exit status of a bad value.
public enum SettingSource: Sendable, Equatable {
    case flag, environment, file(String)
}
