/// What the gateway asks of a sensor on `sensors/<sensor_id>/resend` (docs/INTERFACE.md
/// section 4): the seqs `fromSeq...toSeq`, or everything from `fromSeq` on when `toSeq` is absent.
public struct ResendRequest: Codable, Sendable, Equatable {
    public var fromSeq: UInt64
    public var toSeq: UInt64?
    /// Which of the sensor's measurements to resend (nil: temperature, as before it was sent).
    public var measurement: String?

    enum CodingKeys: String, CodingKey {
        case fromSeq = "from_seq", toSeq = "to_seq", measurement
    }

    public init(fromSeq: UInt64, toSeq: UInt64?, measurement: String? = nil) {
        self.fromSeq = fromSeq
        self.toSeq = toSeq
        self.measurement = measurement
    }

    /// Whether it asks for `measurement`'s readings.
    public func isFor(_ measurement: String) -> Bool { (self.measurement ?? Topics.defaultMeasurement) == measurement }

    /// Whether `seq` is asked for.
    public func asks(for seq: UInt64) -> Bool { seq >= fromSeq && toSeq.map { seq <= $0 } ?? true }
}
