/// Settings that differ for the sensors a pattern names (`sensor.<pattern>.<setting>` in the
/// config file, `sensor.<pattern>/<measurement>.<setting>` for another measurement): a
/// 0-400 °C oven probe beside 50-55 °C bearing probes, or a sensor whose gaps are better held at
/// the last value. Each is optional: unset ones are the measurement's (temperature's: the
/// gateway's).
public struct SensorOverride: Sendable, Codable, Equatable {
    public var pattern: SensorIDPattern
    /// The measurement whose streams it serves (a `MeasurementDefinition`'s name); nil for
    /// temperature. Absent from configurations saved before measurements could be overridden.
    public var measurement: String?
    public var validMin: Double?
    public var validMax: Double?
    public var fill: FillMethod?
    public var maxFill: UInt64?

    public init(
        pattern: SensorIDPattern, measurement: String? = nil, validMin: Double? = nil, validMax: Double? = nil, fill: FillMethod? = nil,
        maxFill: UInt64? = nil
    ) {
        self.pattern = pattern
        self.measurement = measurement
        self.validMin = validMin
        self.validMax = validMax
        self.fill = fill
        self.maxFill = maxFill
    }
}

extension EngineConfiguration {
    /// The settings a stream `override` names is held to: its measurement's (`self`'s for
    /// temperature) with the override's on top.
    public func applying(_ override: SensorOverride) -> EngineConfiguration {
        var c = self
        if let name = override.measurement, let m = measurements?.first(where: { $0.name == name }) { c = applying(m) }
        c.sensorOverrides = nil
        if let v = override.validMin { c.validMin = v }
        if let v = override.validMax { c.validMax = v }
        if let v = override.fill { c.fill = v }
        if let v = override.maxFill { c.maxFill = v }
        return c
    }

    /// The settings the streams of `measurement` are served with: its range, fill, field names
    /// and windows.
    func applying(_ measurement: MeasurementDefinition) -> EngineConfiguration {
        var c = self
        c.sensorOverrides = nil
        c.measurements = nil
        c.stream = measurement
        c.validMin = measurement.validMin
        c.validMax = measurement.validMax
        if let v = measurement.fill { c.fill = v }
        if let v = measurement.maxFill { c.maxFill = v }
        c.jsonFields = measurement.jsonFields
        if let v = measurement.reorderWindowMs { c.reorderWindowMs = v }
        if let v = measurement.lateHorizonMs { c.lateHorizonMs = v }
        if let v = measurement.aggregateWindowMs { c.aggregateWindowMs = v }
        return c
    }

    /// The position in `sensorOverrides` of the override naming `sensorID`'s stream of
    /// `measurement` (nil: temperature); the first, though the configuration refuses patterns
    /// that overlap; nil when none does.
    func overrideIndex(for sensorID: String, measurement: String?) -> Int? {
        sensorOverrides?.firstIndex { $0.measurement == measurement && $0.pattern.matches(sensorID) }
    }
}
