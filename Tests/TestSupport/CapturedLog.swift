import Logging
import Synchronization

/// Log lines collected in memory, for tests that check what is logged: a handler for one
/// logger, so no test bootstraps the global logging system.
public final class CapturedLog: Sendable {
    public struct Line: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    private let store = Mutex<[Line]>([])

    public init() {}

    /// A logger whose every line (at any level) lands here.
    public func logger(label: String = "test") -> Logger { Logger(label: label) { _ in Handler(log: self) } }

    /// A logger whose level is whatever `level` says at each line (a level a reload changes).
    public func logger(label: String = "test", level: @escaping @Sendable () -> Logger.Level) -> Logger {
        Logger(label: label) { _ in Handler(log: self, levelNow: level) }
    }

    public var lines: [Line] { store.withLock { $0 } }
    public var messages: [String] { lines.map(\.message) }

    fileprivate func append(_ line: Line) { store.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var levelNow: (@Sendable () -> Logger.Level)?
        private var setLevel: Logger.Level?
        var logLevel: Logger.Level {
            get { setLevel ?? levelNow?() ?? .trace }
            set { setLevel = newValue }
        }
        var metadata: Logger.Metadata = [:]

        init(log: CapturedLog, levelNow: (@Sendable () -> Logger.Level)? = nil) {
            self.log = log
            self.levelNow = levelNow
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.append(Line(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
