extension GatewayConfiguration {
    /// Every setting's effective value, spelt as in the config file, in `ConfigurationLoader.settings`
    /// order. The password is never shown (only whether a password file is set).
    public var effectiveSettings: [(name: String, value: String)] {
        func seconds(_ ms: Int64?) -> String { ms.map { "\($0 / 1000)" } ?? "0" }
        let e = engine
        let values: [String: String] = [
            "broker": "\(brokerScheme.rawValue)://\(brokerHost):\(brokerPort)",
            "gateway-id": gatewayID,
            "client-id": effectiveClientID,
            "data-dir": dataDirectory,
            "reorder-window-ms": "\(e.reorderWindowMs)",
            "late-horizon-s": seconds(e.lateHorizonMs),
            "max-fill": "\(e.maxFill)",
            "valid-min": "\(e.validMin)",
            "valid-max": "\(e.validMax)",
            "fill": e.fill.rawValue,
            "topic-filter": e.topicPattern.filter,
            "max-payload-bytes": "\(e.maxPayloadBytes)",
            "reset-threshold": "\(e.resetThreshold)",
            "aggregate-window-s": seconds(e.aggregateWindowMs),
            "stale-factor": "\(e.staleFactor)",
            "future-tolerance-s": seconds(e.futureToleranceMs),
            "max-sensors": e.maxSensors.map(String.init) ?? "unlimited",
            "sensor-retention-s": seconds(e.sensorRetentionMs),
            "journal-max-bytes": "\(journalMaxBytes)",
            "fsync": fsync.rawValue,
            "snapshot-interval-ms": "\(snapshotIntervalMs)",
            "replay-max-concurrent": "\(replay.maxConcurrent)",
            "replay-max-window-s": seconds(replay.maxWindowMs),
            "http": http.map { "\($0.host):\($0.port)" } ?? "off",
            "ca-file": caFile ?? "",
            "cert": certFile ?? "",
            "key": keyFile ?? "",
            "username": username ?? "",
            "password-file": passwordFile ?? "",
            "log-level": logLevel.rawValue,
            "log-format": logFormat.rawValue,
        ]
        return ConfigurationLoader.settings.map { ($0, values[$0] ?? "?") }
    }

    /// One line for logs: every setting that has a value (no secrets).
    public var summary: String {
        effectiveSettings.filter { !$0.value.isEmpty }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}
