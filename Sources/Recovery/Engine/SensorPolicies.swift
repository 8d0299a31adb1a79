/// Which settings each stream is held to: its measurement's (`EngineConfiguration.measurements`),
/// an override's for a temperature stream whose sensor a pattern names
/// (`EngineConfiguration.sensorOverrides`), or the engine's own. Derived state, never saved:
/// rebuilt on first use after a restore or a reload.
struct SensorPolicies: Sendable {
    /// The settings each override gives, in the overrides' order; nil until first used.
    private var configurations: [EngineConfiguration]?
    /// The override each sensor id takes (-1: none), as ids are met.
    private var bySensor: [String: Int] = [:]
    /// Ids remembered at most, so a flood of ids cannot grow it without bound (it starts over).
    static let remembered = 100_000

    /// Forgets everything (the settings changed).
    mutating func reset() { self = SensorPolicies() }

    /// The settings of each measurement's streams, by name; nil until first used.
    private var measurements: [String: EngineConfiguration]?

    /// The settings `stream` is served with under `base`: its measurement's (another
    /// measurement than temperature), or the override naming its sensor (temperature); nil for
    /// the engine's own.
    mutating func configuration(for stream: StreamName, _ base: EngineConfiguration) -> EngineConfiguration? {
        guard let measurement = stream.measurement else { return configuration(for: stream.sensorID, base) }
        if measurements == nil {
            measurements = Dictionary((base.measurements ?? []).map { ($0.name, base.applying($0)) }, uniquingKeysWith: { a, _ in a })
        }
        return measurements?[measurement]
    }

    /// The settings of the override naming `id` under `base`; nil when none names it.
    private mutating func configuration(for id: String, _ base: EngineConfiguration) -> EngineConfiguration? {
        guard let overrides = base.sensorOverrides, !overrides.isEmpty else { return nil }
        if configurations == nil { configurations = overrides.map(base.applying) }
        let k: Int
        if let known = bySensor[id] {
            k = known
        } else {
            k = base.overrideIndex(for: id) ?? -1
            if bySensor.count >= Self.remembered { bySensor = [:] }
            bySensor[id] = k
        }
        return k >= 0 ? configurations?[k] : nil
    }
}
