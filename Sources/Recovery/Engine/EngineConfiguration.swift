/// The engine's settings (CONTRACT sections 1-4). All durations are milliseconds.
public struct EngineConfiguration: Sendable, Codable, Equatable {
    public var gatewayID: String = "gateway"
    public var topicPattern: TopicPattern = TopicPattern("sensors/+/temperature")!
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
    /// Readings held per sensor while waiting for a gap to close; past this the oldest gap is
    /// closed early, so a flood of far-ahead seqs cannot grow memory without bound.
    public var maxHeldPerSensor: Int = 10_000

    public init() {}

    /// The contract's `<window>` topic level, e.g. `60s`.
    var aggregateWindowLabel: String {
        aggregateWindowMs % 1000 == 0 ? "\(aggregateWindowMs / 1000)s" : "\(aggregateWindowMs)ms"
    }
}
