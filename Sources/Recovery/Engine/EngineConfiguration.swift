import Wire

/// The engine's settings (docs/INTERFACE.md sections 1-4). All durations are milliseconds.
public struct EngineConfiguration: Sendable, Codable, Equatable {
    public var gatewayID: String = "gateway"
    public var topicPattern: TopicPattern = TopicPattern(Topics.readingsFilter)!
    public var validMin: Double = 50
    public var validMax: Double = 55
    public var reorderWindowMs: Int64 = 2000
    public var lateHorizonMs: Int64 = 3_600_000
    public var maxFill: UInt64 = 600
    public var fill: FillMethod = .linear
    public var maxPayloadBytes: Int = 4096
    public var resetThreshold: UInt64 = 1000
    public var aggregateWindowMs: Int64 = 60_000
    public var staleFactor: Int64 = 5
    /// The column order of CSV payloads (`csv-columns`); nil is the contract's
    /// `seq,ts,value,status,boot`. Optional so that snapshots and journaled settings from before
    /// it existed still decode.
    public var csvColumns: CSVColumns?
    /// Other names firmware gives temperature readings' JSON fields (`json-fields`); nil: the
    /// contract's names only. A measurement's streams take the measurement's own.
    public var jsonFields: JSONFieldNames?
    /// `latest off`: no retained last value on `latest/` (one publication a reading less to
    /// journal and send). nil is on, the default, so that settings from before it still decode.
    public var withoutLatest: Bool?
    /// Per-sensor valid range and fill (`SensorOverride`), in the config file's order; nil when
    /// there are none (optional so that settings from before they existed still decode).
    public var sensorOverrides: [SensorOverride]?
    /// The measurements besides temperature (`MeasurementDefinition`), in the config file's order; nil
    /// when there are none (optional so that settings from before they existed still decode).
    public var measurements: [MeasurementDefinition]?
    /// The Sparkplug B input's settings (`sparkplugFilter`, `sparkplugMetrics`,
    /// `sparkplugRebirth`); nil when none is set. One reference: the settings are copied into
    /// every message's output, and three fields there cost the reading path 1% more instructions.
    var sparkplug: SparkplugSettings?
    /// Set only in the settings one measurement's streams are served with
    /// (`applying(_: MeasurementDefinition)`): the measurement, for their topics and payloads.
    var stream: MeasurementDefinition? {
        get { streamBox?.value }
        set { streamBox = newValue.map(MeasurementBox.init) }
    }
    /// `stream`, held by reference: the settings are copied into every call's output, and a
    /// measurement inline would make each copy a hundred bytes longer. nil in saved settings.
    private var streamBox: MeasurementBox?
    /// Readings held per sensor while waiting for a gap to close; past this the oldest gap is
    /// closed early, so a flood of far-ahead seqs cannot grow memory without bound.
    public var maxHeldPerSensor: Int = 10_000
    /// A reading whose `ts` is further ahead of its receive time than this is dead-lettered
    /// `bad_value:ts` before it touches any state (a clock set decades ahead would otherwise
    /// close aggregate windows early for good). nil accepts any future time; the daemon sets
    /// one day. Past timestamps are always valid (backfills, simulations).
    public var futureToleranceMs: Int64?
    /// The daemon's future tolerance, for readings and replay windows alike: one day.
    public static let defaultFutureToleranceMs: Int64 = 86_400_000
    /// Sensors tracked at most: a reading from a new id beyond this is dead-lettered
    /// `too_many_sensors`, so a flood of ids cannot grow memory without bound. nil: no limit;
    /// the daemon sets `defaultMaxSensors`.
    public var maxSensors: Int?
    /// The daemon's tracked-sensor limit, and how many forgotten sensors the engine remembers
    /// when there is none: the one place the 20,000 is written.
    public static let defaultMaxSensors = 20_000
    /// A sensor silent (by receive time) for this long is forgotten: what it still holds is
    /// published, its open aggregate windows close, and `expired` is announced on its retained
    /// state topic. Should be at least the late horizon (nothing restatable is forgotten). nil
    /// keeps sensors for ever; the daemon sets one day, so a flood of ids ages out again.
    public var sensorRetentionMs: Int64?
    /// The daemon's sensor retention: one day.
    public static let defaultSensorRetentionMs: Int64 = 86_400_000
    /// New epochs (reboots, seq resets) one sensor may start: a burst of this many, then this
    /// many per hour. Beyond it a reading that would start one is dead-lettered `rate_limited`,
    /// so a sender flipping between seqs or boots cannot open an epoch (and a fill) per message.
    public var epochBurst: Double = 10
    public var epochsPerHour: Double = 10
    /// Synthetic readings one sensor may cost: `max-fill` per minute, with a burst of twice that.
    /// A fill beyond the allowance is published as a `gap` instead (counted as rate limited).
    var fillBurst: Double { 2 * Double(maxFill) }
    var fillsPerMinute: Double { Double(maxFill) }

    public init() {}

    /// Aggregate windows one sensor keeps at most: enough for the late horizon twice over, so
    /// readings scattered over many past windows cannot grow a sensor without bound.
    var aggregateWindowsPerSensor: Int {
        Int(Swift.min(1024, Swift.max(16, 2 * lateHorizonMs / Swift.max(1, aggregateWindowMs) + 4)))
    }

    /// `self` with the settings a running engine cannot change (they shape topics and stored
    /// state) taken from `running`. Which measurements there are is one of them (it decides what
    /// is subscribed); a measurement both declare takes `self`'s unit, range, fill and windows,
    /// but not its aggregate window.
    public func keepingRestartOnly(from running: EngineConfiguration) -> EngineConfiguration {
        var c = self
        c.gatewayID = running.gatewayID
        c.topicPattern = running.topicPattern
        c.maxPayloadBytes = running.maxPayloadBytes
        c.aggregateWindowMs = running.aggregateWindowMs
        c.maxHeldPerSensor = running.maxHeldPerSensor
        c.sparkplugFilter = running.sparkplugFilter
        // A measurement both declare takes `self`'s settings but the running aggregate window (a
        // topic level).
        c.measurements = running.measurements.map { kept in
            kept.map { m in
                guard var taken = measurements?.first(where: { $0.name == m.name }) else { return m }
                taken.aggregateWindowMs = m.aggregateWindowMs
                return taken
            }
        }
        // A measurement `self` drops keeps running until the restart, and so do its overrides
        // (`self` cannot have any for it: an override must name a declared measurement).
        let declared = Set((measurements ?? []).map(\.name))
        let kept = (running.sensorOverrides ?? []).filter { o in o.measurement.map { !declared.contains($0) } ?? false }
        if !kept.isEmpty { c.sensorOverrides = (sensorOverrides ?? []) + kept }
        return c
    }

    /// The filters the readings arrive on: `topicPattern`'s (temperature), then each
    /// measurement's (the filter with its last level set to the measurement's name).
    public var readingFilters: [String] {
        [topicPattern.filter] + (measurements ?? []).compactMap { topicPattern.withLastLevel($0.name)?.filter } + (sparkplugFilter.map { [$0] } ?? [])
    }

    /// The contract's `<window>` topic level, e.g. `60s`.
    var aggregateWindowLabel: String {
        aggregateWindowMs % 1000 == 0 ? "\(aggregateWindowMs / 1000)s" : "\(aggregateWindowMs)ms"
    }
}

/// A measurement held by reference (`EngineConfiguration.stream`). Immutable, so sharing it is
/// safe; compared and coded by its value.
final class MeasurementBox: Sendable, Codable, Equatable {
    let value: MeasurementDefinition

    init(_ value: MeasurementDefinition) { self.value = value }

    init(from decoder: any Decoder) throws { value = try MeasurementDefinition(from: decoder) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    static func == (a: MeasurementBox, b: MeasurementBox) -> Bool { a.value == b.value }
}

extension EngineConfiguration {
    /// Sparkplug B input (docs/SPARKPLUG.md): the topic filter edge nodes publish under
    /// (`spBv1.0/#`); nil: off. Restart-only: it is subscribed.
    public var sparkplugFilter: String? {
        get { sparkplug?.filter }
        set { sparkplug = SparkplugSettings(filter: newValue, metrics: sparkplugMetrics, rebirth: sparkplugRebirth) }
    }

    /// Sparkplug metric names and the measurement each is read as (`Temperature` ->
    /// `temperature`), besides a metric named exactly as a measurement; nil: none.
    public var sparkplugMetrics: [String: String]? {
        get { sparkplug?.metrics }
        set { sparkplug = SparkplugSettings(filter: sparkplugFilter, metrics: newValue, rebirth: sparkplugRebirth) }
    }

    /// Whether the gateway may ask an edge node for a rebirth (`NCMD`, `Node Control/Rebirth`)
    /// when it cannot read its data; nil: it may not.
    public var sparkplugRebirth: Bool? {
        get { sparkplug?.rebirth }
        set { sparkplug = SparkplugSettings(filter: sparkplugFilter, metrics: sparkplugMetrics, rebirth: newValue) }
    }
}

/// The Sparkplug settings held by reference (`EngineConfiguration.sparkplug`). Immutable, so
/// sharing it is safe; compared and coded by value.
final class SparkplugSettings: Sendable, Codable, Equatable {
    let filter: String?
    let metrics: [String: String]?
    let rebirth: Bool?

    /// nil when nothing is set, so a configuration without Sparkplug is as it was.
    init?(filter: String?, metrics: [String: String]?, rebirth: Bool?) {
        guard filter != nil || metrics != nil || rebirth != nil else { return nil }
        self.filter = filter
        self.metrics = metrics
        self.rebirth = rebirth
    }

    static func == (a: SparkplugSettings, b: SparkplugSettings) -> Bool {
        a.filter == b.filter && a.metrics == b.metrics && a.rebirth == b.rebirth
    }
}
