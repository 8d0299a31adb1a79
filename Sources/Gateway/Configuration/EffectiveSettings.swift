extension GatewayConfiguration {
    /// Every setting's effective value, spelt as in the config file, in `Setting.all`'s order,
    /// then the measurements' (`measurement.<name>.<setting>`) and the per-sensor ones
    /// (`sensor.<pattern>.<setting>`), in the file's order.
    /// The password is never shown (only whether a password file is set).
    public var effectiveSettings: [(name: String, value: String)] {
        Setting.all.map { ($0.name, $0.value(in: self)) } + MeasurementSettings.lines(engine.measurements)
            + SensorOverrideSettings.lines(engine.sensorOverrides)
    }

    /// One line for logs: every setting that has a value (no secrets).
    public var summary: String {
        effectiveSettings.filter { !$0.value.isEmpty }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}
