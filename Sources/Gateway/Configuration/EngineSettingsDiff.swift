import Recovery

/// Which engine settings differ between two sets, by their config file names: the logs of a
/// start that found settings changed since the last run name them.
enum EngineSettingsDiff {
    /// The names (`valid-max`, `measurement.humidity.unit`, `sensor.oven-*.fill`) whose values
    /// differ between `old` and `new`, in `Setting.all`'s order, then the keyed lines'.
    static func names(from old: EngineConfiguration, to new: EngineConfiguration) -> [String] {
        var a = GatewayConfiguration(gatewayID: old.gatewayID)
        var b = GatewayConfiguration(gatewayID: new.gatewayID)
        a.engine = old
        b.engine = new
        var names = Setting.all.filter { $0.value(in: a) != $0.value(in: b) }.map(\.name)
        for lines in [
            (MeasurementSettings.lines(old.measurements), MeasurementSettings.lines(new.measurements)),
            (SensorOverrideSettings.lines(old.sensorOverrides), SensorOverrideSettings.lines(new.sensorOverrides)),
        ] {
            let (before, after) = (Dictionary(lines.0, uniquingKeysWith: { x, _ in x }), Dictionary(lines.1, uniquingKeysWith: { x, _ in x }))
            names += Set(before.keys).union(after.keys).sorted().filter { before[$0] != after[$0] }
        }
        return names
    }
}
