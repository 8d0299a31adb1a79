import Recovery

/// One cleaned message read back for an export: its stream, its seq and quality, and its members
/// in the order the gateway wrote them.
public struct ExportRow: Sendable {
    public var sensorID: String
    /// The topic's last level (`cleaned/<sensor>/<measurement>`): `temperature` today.
    public var measurement: String
    /// The message's `boot`, as written (nil when the sensor sends none).
    public var boot: String?
    public var seq: UInt64
    public var ts: Int64
    public var quality: String
    /// Every member of the payload, in order.
    public var members: [(key: String, value: CleanedMemberValue)]
    /// The payload exactly as published on `cleaned/`.
    public var payload: [UInt8]

    /// Reads a journaled cleaned publication; nil when it is not one (a topic of another shape, a
    /// payload without `sensor_id`, `seq` or `quality`).
    public init?(topic: String, payload: [UInt8], ts: Int64) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 3, levels[0] == "cleaned", let members = CleanedMessage.members(payload) else { return nil }
        self.measurement = String(levels[2])
        self.members = members
        self.payload = payload
        self.ts = ts
        var sensor: String?, seq: UInt64?, quality: String?, boot: String?
        for (key, value) in members {
            switch (key, value) {
            case ("sensor_id", .text(let s)): sensor = s
            case ("seq", .number(let n, true)): seq = UInt64(n)
            case ("quality", .text(let q)): quality = q
            case ("boot", .number(let b, true)): boot = b
            default: break
            }
        }
        guard let sensor, let seq, let quality else { return nil }
        self.sensorID = sensor
        self.seq = seq
        self.quality = quality
        self.boot = boot
    }

    /// The value of member `key`, if the message has it.
    public func value(_ key: String) -> CleanedMemberValue? { members.first { $0.key == key }?.value }

    /// The reading's value: under the measurement's name, or under `value` (absent on a `gap`).
    public var reading: CleanedMemberValue? { value(measurement) ?? value("value") }

    /// Whether the export drops this message when a later `restated` message has its key: only
    /// the estimates a restatement replaces. A `gap` stays (it names a span; restated readings
    /// inside it come as rows of their own).
    public var isRestatable: Bool { quality == "synthetic" || quality == "corrected" }
}
