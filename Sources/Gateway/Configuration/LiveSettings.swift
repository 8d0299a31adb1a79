import Logging
import Recovery
import Synchronization

/// The settings a running gateway can change without a restart, handed from the SIGHUP reload
/// to the service loop.
///
/// Engine settings (ranges, windows, fill, caps) reach the engine through the journal: the loop
/// journals them as a configuration record after the input it has taken, so the engine changes
/// at exactly that point of its input, live and when the journal is replayed after a restart.
/// Replay limits apply to the next request. Broker connection settings (and TLS file contents)
/// are handed to the service loop, which reconnects with them (`BrokerReconnection`); a new HTTP
/// address to the HTTP service, which binds it (`RebindingHTTPEndpoint`).
public final class LiveSettings: Sendable {
    private struct State {
        var current: GatewayConfiguration
        var pendingEngine: EngineConfiguration?
        var wake: (@Sendable () -> Void)?
        /// The broker connection the loop runs with, and a change it has not taken yet.
        var connection: BrokerConnectionSettings
        var pendingConnection: GatewayConfiguration?
        var httpObserver: (@Sendable (HTTPAddress?) -> Void)?
        /// The restart-only settings the last reload found changed (they wait for the restart).
        var waitingForRestart: [String] = []
        /// Why the last SIGHUP's configuration was refused; nil once one is applied (or none came).
        var reloadRefusal: String?
    }

    private let state: Mutex<State>

    public init(_ configuration: GatewayConfiguration) {
        state = Mutex(State(current: configuration, connection: BrokerConnectionSettings(configuration)))
    }

    /// The settings as they apply now (the start's, with what reloads changed).
    public var current: GatewayConfiguration { state.withLock { $0.current } }

    /// Why the last reload's configuration was refused (the gateway runs the settings it had),
    /// for `/healthz` and `/metrics`: an operator of many boxes sees a failed `systemctl reload`
    /// there, not only in one box's log (found black-box, 73rd review). nil once a reload applies.
    public var reloadRefusal: String? { state.withLock { $0.reloadRefusal } }

    /// A SIGHUP's configuration could not be loaded: `why` is shown until a reload applies.
    public func reloadRefused(_ why: String) { state.withLock { $0.reloadRefusal = why } }

    /// A SIGHUP's configuration was loaded and applied.
    public func reloadApplied() { state.withLock { $0.reloadRefusal = nil } }

    /// Takes `reloaded`'s live settings (engine and replay limits); the rest stays as running.
    func apply(engine: EngineConfiguration, replay: ReplayLimits, logLevel: Logger.Level) {
        let wake = state.withLock { s -> (@Sendable () -> Void)? in
            let changed = engine.keepingRestartOnly(from: s.current.engine)
            if changed != s.current.engine {
                s.current.engine = changed
                s.pendingEngine = changed
            }
            s.current.replay = replay
            s.current.logLevel = logLevel
            return s.pendingEngine == nil ? nil : s.wake
        }
        wake?()
    }

    /// The engine settings to journal and apply, once each.
    func takeEngineChange() -> EngineConfiguration? {
        state.withLock { s in
            defer { s.pendingEngine = nil }
            return s.pendingEngine
        }
    }

    var replayLimits: ReplayLimits { state.withLock { $0.current.replay } }

    /// Takes `reloaded`'s broker connection settings when they (or the TLS files' contents)
    /// differ from the running ones; returns the names of what changed (empty: nothing).
    func apply(connection reloaded: GatewayConfiguration) -> [String] {
        let (changes, wake) = state.withLock { s -> ([String], (@Sendable () -> Void)?) in
            let merged = Self.merging(connection: reloaded, into: s.current)
            // The default client id follows the running gateway id (restart-only).
            let next = BrokerConnectionSettings(merged)
            let changes = next.changes(from: s.connection)
            guard !changes.isEmpty else { return ([], nil) }
            s.connection = next
            s.current = merged
            s.pendingConnection = merged
            return (changes, s.wake)
        }
        wake?()
        return changes
    }

    /// What `apply(connection:)` would reconnect for, without applying it.
    func connectionChanges(_ reloaded: GatewayConfiguration) -> [String] {
        state.withLock { s in BrokerConnectionSettings(Self.merging(connection: reloaded, into: s.current)).changes(from: s.connection) }
    }

    /// `current` with `reloaded`'s broker connection settings.
    private static func merging(connection reloaded: GatewayConfiguration, into current: GatewayConfiguration) -> GatewayConfiguration {
        var merged = current
        merged.brokerScheme = reloaded.brokerScheme
        merged.brokerHost = reloaded.brokerHost
        merged.brokerPort = reloaded.brokerPort
        merged.clientID = reloaded.clientID
        merged.username = reloaded.username
        merged.password = reloaded.password
        merged.passwordFile = reloaded.passwordFile
        merged.caFile = reloaded.caFile
        merged.certFile = reloaded.certFile
        merged.keyFile = reloaded.keyFile
        merged.sparkplugEdgeNode = reloaded.sparkplugEdgeNode
        merged.sparkplugHostID = reloaded.sparkplugHostID
        merged.sparkplugPrimaryHost = reloaded.sparkplugPrimaryHost
        return merged
    }

    /// The configuration to reconnect with, once per change (nil: none waiting).
    func takeConnectionChange() -> GatewayConfiguration? {
        state.withLock { s in
            defer { s.pendingConnection = nil }
            return s.pendingConnection
        }
    }

    /// Takes `reloaded`'s HTTP address and hands it to the HTTP service at every reload (so an
    /// address it could not bind last time is tried again). Returns whether it changed;
    /// `whenMoving` runs first when it did, so what it logs comes before the HTTP service's own lines.
    func apply(http reloaded: HTTPAddress?, whenMoving: () -> Void = {}) -> Bool {
        let (changed, observer) = state.withLock { s -> (Bool, (@Sendable (HTTPAddress?) -> Void)?) in
            let changed = s.current.httpAddress != reloaded
            s.current.http = reloaded.map { ($0.host, $0.port) }
            return (changed, s.httpObserver)
        }
        if changed { whenMoving() }
        observer?(reloaded)
        return changed
    }

    /// A reload's new HTTP address could not be bound, and `served` goes on serving: the
    /// running settings name it, so the next reload is compared with what is served (found
    /// black-box, 57th review: after a refused move, a reload of the same file said "nothing
    /// changed" and then that the endpoint moved, and a later move named the refused address as
    /// the one it moved from).
    public func httpMoveRefused(serving served: HTTPAddress) {
        state.withLock { $0.current.http = (served.host, served.port) }
    }

    /// Records the restart-only settings a reload found changed; returns those an earlier
    /// reload had found changed and this one does not (the file was put back: they are withdrawn).
    func waitForRestart(_ settings: [String]) -> [String] {
        state.withLock { s in
            defer { s.waitingForRestart = settings }
            return s.waitingForRestart.filter { !settings.contains($0) }
        }
    }

    /// `observer` is told the HTTP address at each reload (the HTTP service rebinds when it differs).
    public func onHTTPChange(_ observer: @escaping @Sendable (HTTPAddress?) -> Void) {
        state.withLock { $0.httpObserver = observer }
    }

    /// `wake` runs when engine or connection settings are waiting (the service loop's inbox).
    func onEngineChange(_ wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wake = wake }
    }
}
