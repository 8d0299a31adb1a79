/// Which settings each stream is held to: an override's when a pattern names its sensor for its
/// measurement (`EngineConfiguration.sensorOverrides`), else its measurement's
/// (`EngineConfiguration.measurements`), or the engine's own for temperature. Derived state, never saved:
/// rebuilt on first use after a restore or a reload.
struct SensorPolicies: Sendable {
    /// The settings each override gives, in the overrides' order; nil until first used.
    private var configurations: [EngineConfiguration]?
    /// The override each stream (by `StreamName.key`) takes (-1: none), as streams are met.
    private var bySensor: [String: Int] = [:]
    /// Ids remembered at most, so a flood of ids cannot grow it without bound (it starts over).
    static let remembered = 100_000

    /// Forgets everything (the settings changed).
    mutating func reset() { self = SensorPolicies() }

    /// The settings of each measurement's streams, by name; nil until first used.
    private var measurements: [String: EngineConfiguration]?

    /// The settings `stream` is served with under `base`: the override naming it, else its
    /// measurement's; nil for the engine's own (a temperature stream no override names).
    mutating func configuration(for stream: StreamName, _ base: EngineConfiguration) -> EngineConfiguration? {
        if let own = override(for: stream, base) { return own }
        guard let measurement = stream.measurement else { return nil }
        return byMeasurement(base)[measurement]
    }

    /// The settings of each measurement's streams under `base`, by name: what times their
    /// windows (an override changes only range and fill, never the windows).
    mutating func byMeasurement(_ base: EngineConfiguration) -> [String: EngineConfiguration] {
        if let measurements { return measurements }
        let made = Dictionary((base.measurements ?? []).map { ($0.name, base.applying($0)) }, uniquingKeysWith: { a, _ in a })
        measurements = made
        return made
    }

    /// The settings of the override naming `stream` under `base`; nil when none names it.
    private mutating func override(for stream: StreamName, _ base: EngineConfiguration) -> EngineConfiguration? {
        guard let overrides = base.sensorOverrides, !overrides.isEmpty else { return nil }
        if configurations == nil { configurations = overrides.map(base.applying) }
        let key = stream.key
        let k: Int
        if let known = bySensor[key] {
            k = known
        } else {
            k = base.overrideIndex(for: stream.sensorID, measurement: stream.measurement) ?? -1
            if bySensor.count >= Self.remembered { bySensor = [:] }
            bySensor[key] = k
        }
        return k >= 0 ? configurations?[k] : nil
    }
}
