/// One sensor's aggregate over one window on `aggregates/<sensor_id>/temperature/<window>`
/// (docs/INTERFACE.md section 4), re-published with `revision` + 1 when late data changes it.
public struct AggregateWindowMessage: Codable, Sendable, Equatable {
    public var sensorID: String
    public var windowStart: Int64
    public var windowEnd: Int64
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    /// Readings per quality (a restated reading counts as `ok`).
    public var ok: Int
    public var corrected: Int
    public var synthetic: Int
    public var revision: Int

    enum CodingKeys: String, CodingKey {
        case sensorID = "sensor_id", windowStart = "window_start", windowEnd = "window_end"
        case count, min, max, mean, ok, corrected, synthetic, revision
    }
}
