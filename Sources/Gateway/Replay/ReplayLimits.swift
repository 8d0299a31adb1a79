import Recovery
import Synchronization

/// What one replay request may cost: replays share the output connection with the live stream,
/// and anyone who can publish to `gateway/<id>/replay` can ask (the broker's ACL decides who).
public struct ReplayLimits: Sendable, Equatable {
    /// Replays answered at once; further requests get an error reply.
    public var maxConcurrent = 2
    /// The widest `to - from` one request may ask for.
    public var maxWindowMs: Int64 = 3_600_000
    /// A replay publishes only while fewer than this many of the output connection's
    /// publications (live ones included) await the broker's acknowledgement: the live stream
    /// goes first and libmosquitto's queue stays small.
    public var maxUnacknowledged = 800
    /// The engine's future tolerance: a reading's `ts` may be this far ahead of its receipt, so
    /// a replay starts reading that much (and an hour) before `from`.
    public var futureToleranceMs: Int64? = EngineConfiguration.defaultFutureToleranceMs

    public init() {}
}
