/// One valid, parsed sensor reading (docs/INTERFACE.md section 1). Its temperature may still be out of range.
public struct Reading: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case normal, deviated
    }

    public var sensorID: String
    public var seq: UInt64
    /// Event time, epoch milliseconds.
    public var ts: Int64
    public var temperature: Double
    public var status: Status
    public var boot: Int64?

    public init(sensorID: String, seq: UInt64, ts: Int64, temperature: Double, status: Status, boot: Int64? = nil) {
        self.sensorID = sensorID
        self.seq = seq
        self.ts = ts
        self.temperature = temperature
        self.status = status
        self.boot = boot
    }
}
