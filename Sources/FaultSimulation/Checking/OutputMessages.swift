import Wire

/// The consumers' view of the gateway's output: cleaned readings and dead letters read back from
/// their payloads (docs/INTERFACE.md sections 2 and 3).
enum OutputMessages {
    /// A cleaned reading, or nil when the payload is not one. `stream` (`<id>/<measurement>`
    /// for a measurement other than temperature) names it instead of its `sensor_id`, and says
    /// which member holds the value.
    static func cleaned(_ payload: [UInt8], stream: String? = nil) -> CleanedReading? {
        guard let j = FlatJSON.parse(payload), let id = j["sensor_id"], let seq = j["seq"].flatMap({ UInt64($0) }),
            let quality = j["quality"].flatMap(CleanedReading.Quality.init(rawValue:))
        else { return nil }
        let field = stream.flatMap { $0.split(separator: "/").dropFirst().first.map(String.init) } ?? "temperature"
        var m = CleanedReading(
            sensorID: stream ?? id, seq: seq, ts: j["ts"].flatMap { Int64($0) } ?? 0, temperature: j[field].flatMap { Double($0) },
            status: j["status"], quality: quality, boot: j["boot"].flatMap { Int64($0) })
        m.raw = j["raw"].flatMap { Double($0) }
        m.reason = j["reason"]
        m.method = j["method"]
        m.supersedes = j["supersedes"]
        m.fromSeq = j["from_seq"].flatMap { UInt64($0) }
        m.toSeq = j["to_seq"].flatMap { UInt64($0) }
        m.fromTs = j["from_ts"].flatMap { Int64($0) }
        m.toTs = j["to_ts"].flatMap { Int64($0) }
        return m
    }

    /// A dead letter's reason, the seq and boot of the reading it carries (when readable), and
    /// when the gateway received it (its timeline's time).
    static func deadLetter(_ payload: [UInt8]) -> (reason: String, seq: UInt64?, boot: Int64?, receivedAt: Int64?)? {
        guard let j = FlatJSON.parse(payload), let reason = j["reason"] else { return nil }
        let inner = j["payload"].flatMap { FlatJSON.parse(Array($0.utf8)) }
        return (reason, inner?["seq"].flatMap { UInt64($0) }, inner?["boot"].flatMap { Int64($0) }, j["received_at"].flatMap { Int64($0) })
    }

    /// A resend request, or nil.
    static func resendRequest(_ payload: [UInt8]) -> ResendRequest? {
        guard let j = FlatJSON.parse(payload), let from = j["from_seq"].flatMap({ UInt64($0) }) else { return nil }
        var request = ResendRequest(fromSeq: from, toSeq: j["to_seq"].flatMap { UInt64($0) })
        request.measurement = j["measurement"]
        return request
    }
}
