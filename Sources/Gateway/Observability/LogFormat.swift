/// How log lines are written: `text` for people and journald, `json` for log shippers.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}
