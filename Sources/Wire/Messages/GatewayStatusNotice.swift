/// The gateway's retained status on `gateway/<gateway_id>/status` (docs/INTERFACE.md section 6).
public struct GatewayStatusNotice: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case online, offline }

    public var state: State
    public var version: String?
    public var startedAt: Int64?
    /// The filters the gateway reads readings on (an `online` status's only): another gateway
    /// whose filters overlap these cleans some of the same sensors (`Topics.filtersOverlap`).
    /// Absent from earlier builds (CHANGELOG).
    public var topicFilters: [String]?

    enum CodingKeys: String, CodingKey {
        case state, version, startedAt = "started_at", topicFilters = "topic_filters"
    }

    public init(state: State, version: String? = nil, startedAt: Int64? = nil, topicFilters: [String]? = nil) {
        self.state = state
        self.version = version
        self.startedAt = startedAt
        self.topicFilters = topicFilters
    }

    /// The message as published, keys in the documented order (`state` first).
    public var json: [UInt8] {
        WireJSON.object([
            "state": .string(state.rawValue), "version": version.map(JSONValue.string), "started_at": startedAt.map(JSONValue.integer),
            "topic_filters": topicFilters.map { .array($0.map(JSONValue.string)) },
        ])
    }
}
