/// MQTT topic filters (MQTT 3.1.1 section 4.7): which topics a subscription takes.
public enum TopicFilter {
    /// Whether `filter` takes `topic`: `+` one level, `#` (last) the level it stands at and all
    /// below, so `spBv1.0/#` takes `spBv1.0` too.
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        // The usual filter, `spBv1.0/#` or `spBv1.0/<group>/#`, without splitting: asked for
        // every Sparkplug message.
        if filter.hasSuffix("/#"), !filter.contains("+") {
            let prefix = filter.dropLast(2)
            return topic == prefix || topic.hasPrefix(prefix + "/")
        }
        let f = filter.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in f.enumerated() {
            if level == "#" { return true }
            guard i < t.count, level == "+" || level == t[i] else { return false }
        }
        return f.count == t.count
    }
}
