/// The last message of a replay answer on its reply topic (docs/INTERFACE.md section 5): either
/// `done` with the count (and whether the journal's ring had already overwritten part of the
/// window), or an `error`.
public struct ReplayAnswer: Codable, Sendable, Equatable {
    public var requestID: String
    public var done: Bool?
    public var count: Int?
    public var truncated: Bool?
    /// The earliest event time still held, when the journal's ring no longer reaches the start.
    public var oldestAvailable: Int64?
    /// Set with `truncated` when damage in the journal took records the window may have held.
    public var damaged: Bool?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", done, count, truncated, oldestAvailable = "oldest_available", damaged, error
    }

    /// The message as published, keys in the documented order (request_id first).
    public var json: [UInt8] {
        WireJSON.object([
            "request_id": .string(requestID), "done": done.map(JSONValue.bool), "count": count.map { .integer(Int64($0)) },
            "truncated": truncated.map(JSONValue.bool), "oldest_available": oldestAvailable.map(JSONValue.integer),
            "damaged": damaged.map(JSONValue.bool), "error": error.map(JSONValue.string),
        ])
    }

    /// A replay that ran to the end; `truncated` when it may be incomplete (`damaged` when
    /// journal damage is why).
    public static func done(_ requestID: String, count: Int, truncated: Bool, oldestAvailable: Int64?, damaged: Bool = false) -> ReplayAnswer {
        ReplayAnswer(
            requestID: requestID, done: true, count: count, truncated: truncated || damaged ? true : nil,
            oldestAvailable: truncated ? oldestAvailable : nil, damaged: damaged ? true : nil, error: nil)
    }

    /// A request refused or a replay that failed.
    public static func failed(_ requestID: String, error: String) -> ReplayAnswer {
        ReplayAnswer(requestID: requestID, done: nil, count: nil, truncated: nil, oldestAvailable: nil, damaged: nil, error: error)
    }
}
