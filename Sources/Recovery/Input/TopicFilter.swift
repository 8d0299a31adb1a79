/// MQTT topic filters (MQTT 3.1.1 section 4.7): which topics a subscription takes.
public enum TopicFilter {
    /// Whether `filter` takes `topic`: `+` one level, `#` (last) the level it stands at and all
    /// below, so `spBv1.0/#` takes `spBv1.0` too.
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        let f = filter.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in f.enumerated() {
            if level == "#" { return true }
            guard i < t.count, level == "+" || level == t[i] else { return false }
        }
        return f.count == t.count
    }
}
