import Logging
import Synchronization

/// The least severe level logged, shared by every `GatewayLogHandler` of the process so that a
/// SIGHUP can change it on a running gateway (swift-log copies handlers into each `Logger`, so a
/// level stored in each copy could not be changed afterwards).
public final class LiveLogLevel: Sendable {
    private let raw: Atomic<Int>

    public init(_ level: Logger.Level) { raw = Atomic(Self.index(level)) }

    public var level: Logger.Level {
        get { Logger.Level.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    private static func index(_ level: Logger.Level) -> Int { Logger.Level.allCases.firstIndex(of: level) ?? 2 }
}
