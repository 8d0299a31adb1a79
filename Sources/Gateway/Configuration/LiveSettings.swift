import Logging
import Recovery
import Synchronization

/// The settings a running gateway can change without a restart, handed from the SIGHUP reload
/// to the service loop.
///
/// Engine settings (ranges, windows, fill, caps) reach the engine through the journal: the loop
/// journals them as a configuration record after the input it has taken, so the engine changes
/// at exactly that point of its input, live and when the journal is replayed after a restart.
/// Replay limits apply to the next request.
public final class LiveSettings: Sendable {
    private struct State {
        var current: GatewayConfiguration
        var pendingEngine: EngineConfiguration?
        var wake: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>

    public init(_ configuration: GatewayConfiguration) {
        state = Mutex(State(current: configuration))
    }

    /// The settings as they apply now (the start's, with what reloads changed).
    public var current: GatewayConfiguration { state.withLock { $0.current } }

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

    /// `wake` runs when engine settings are waiting (the service loop's inbox).
    func onEngineChange(_ wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wake = wake }
    }
}
