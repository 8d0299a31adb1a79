/// The engine's state in parts, so a snapshot can be written and read one sensor at a time:
/// memory for a snapshot then follows the largest sensor, not the fleet.
extension RecoveryEngine {
    /// Everything but the sensors.
    public struct SnapshotHeader: Codable, Sendable {
        public var configuration: EngineConfiguration
        public var counters: EngineCounters
        public var sensorCount: Int
        /// When idle sensors were last looked for, so a restored engine sweeps when the original would.
        public var lastExpirySweep: Int64?
        /// Admission order at the cap (nil in snapshots from before it existed: rebuilt).
        var silence: SilenceQueue?
        /// Where recently forgotten sensors stopped (nil in older snapshots: none).
        var forgotten: ForgottenSensors?
        /// The Sparkplug edge nodes' births and sequences (nil in older snapshots: none).
        var sparkplug: SparkplugNodes?
        /// Since when the input connection was down (nil: listening, and in older snapshots).
        var deafSince: Int64?
    }

    /// One sensor's state, opaque outside the engine.
    public struct SensorSnapshot: Codable, Sendable {
        fileprivate var state: SensorState
    }

    public var snapshotHeader: SnapshotHeader {
        SnapshotHeader(
            configuration: configuration, counters: counters, sensorCount: sensorCount, lastExpirySweep: lastExpirySweep,
            silence: silence, forgotten: forgotten, sparkplug: sparkplug.isEmpty ? nil : sparkplug, deafSince: deafSince)
    }

    public var sensorCount: Int { sensorStates.count }

    /// Sensors ever admitted (tracked now, or forgotten since): grows by one for each sensor that
    /// starts being tracked, new or back.
    public var sensorsAdmitted: Int { sensorCount + counters.expired + counters.evicted }

    /// Sensor `i`'s state, in order of first appearance.
    public func sensorSnapshot(at i: Int) -> SensorSnapshot { SensorSnapshot(state: sensorStates[i]) }

    /// Rebuilds an engine from its header and its sensors in order (derived indexes are rebuilt).
    public init(header: SnapshotHeader, sensors: [SensorSnapshot]) {
        self.init(
            configuration: header.configuration, counters: header.counters, sensors: sensors.map(\.state),
            lastExpirySweep: header.lastExpirySweep, silence: header.silence, forgotten: header.forgotten, deafSince: header.deafSince)
        sparkplug = header.sparkplug ?? SparkplugNodes()
    }
}
