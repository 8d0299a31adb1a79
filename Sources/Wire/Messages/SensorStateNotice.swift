/// The retained state of a sensor on `gateway/<gateway_id>/sensors/<sensor_id>` (docs/INTERFACE.md
/// section 4).
public struct SensorStateNotice: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case live, stale, expired }

    public var state: State
    /// The highest seq received.
    public var lastSeq: UInt64?
    /// When the sensor was last heard (epoch ms).
    public var lastSeen: Int64?

    enum CodingKeys: String, CodingKey {
        case state, lastSeq = "last_seq", lastSeen = "last_seen"
    }
}
