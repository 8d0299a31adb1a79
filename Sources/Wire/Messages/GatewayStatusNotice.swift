/// The gateway's retained status on `gateway/<gateway_id>/status` (docs/INTERFACE.md section 6).
public struct GatewayStatusNotice: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case online, offline }

    public var state: State
    public var version: String?
    public var startedAt: Int64?

    enum CodingKeys: String, CodingKey {
        case state, version, startedAt = "started_at"
    }

    public init(state: State, version: String? = nil, startedAt: Int64? = nil) {
        self.state = state
        self.version = version
        self.startedAt = startedAt
    }

    /// The message as published, keys in the documented order (`state` first).
    public var json: [UInt8] {
        WireJSON.object(["state": .string(state.rawValue), "version": version.map(JSONValue.string), "started_at": startedAt.map(JSONValue.integer)])
    }
}
