/// A reading the engine releases to `cleaned/<sensor_id>/temperature`, with its quality and the fields
/// that quality carries. `render()` gives the exact payload.
struct ReleasedReading: Equatable, Sendable {
    var sensorID: String
    var seq: UInt64
    var ts: Int64
    var temperature: Double
    var status: Reading.Status
    var quality: Quality
    var boot: Int64?
    /// `corrected`: the value received.
    var raw: Double?
    /// `synthetic`: how it was generated.
    var method: FillMethod?
    /// `restated`: the quality it supersedes.
    var supersedes: Quality?

    /// `measurement`: when not temperature, the value goes under its name, with its `unit`.
    func render(as measurement: MeasurementDefinition? = nil) -> [UInt8] {
        var w = JSONWriter()
        w.plainString("sensor_id", sensorID)
        w.uint("seq", seq)
        w.int("ts", ts)
        if let measurement {
            w.double(named: measurement.name, temperature)
            w.string("unit", measurement.unit)
        } else {
            w.double("temperature", temperature)
        }
        w.plainString("status", status.rawValue)
        w.plainString("quality", quality.rawValue)
        if let raw {
            w.double("raw", raw)
            w.plainString("reason", "out_of_range")
        }
        if let method { w.plainString("method", method.rawValue) }
        if let supersedes { w.plainString("supersedes", supersedes.rawValue) }
        if let boot { w.int("boot", boot) }
        return w.finish()
    }
}
