/// One sensor's readings within one boot: the unit the contract's ordering and exactly-once
/// guarantees apply to.
public struct StreamKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var sensorID: String
    public var boot: Int64?

    public init(sensorID: String, boot: Int64?) {
        self.sensorID = sensorID
        self.boot = boot
    }

    public var description: String { "\(sensorID)/\(boot.map(String.init) ?? "-")" }

    public static func < (a: StreamKey, b: StreamKey) -> Bool { (a.sensorID, a.boot ?? -1) < (b.sensorID, b.boot ?? -1) }
}
