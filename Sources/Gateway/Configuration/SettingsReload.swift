import Logging

/// What a re-read configuration changes on a running gateway (SIGHUP): `log-level` at once;
/// any other difference only after a restart, which is logged as such.
public enum SettingsReload {
    public struct Outcome: Equatable, Sendable {
        /// `log-level` differed and now applies.
        public var levelChanged: Bool
        /// Other settings differ; they take effect at the next start.
        public var needsRestart: Bool

        public init(levelChanged: Bool, needsRestart: Bool) {
            self.levelChanged = levelChanged
            self.needsRestart = needsRestart
        }
    }

    /// Applies `reloaded` against the `running` settings, logging what happened.
    @discardableResult
    public static func apply(
        _ reloaded: GatewayConfiguration, running: GatewayConfiguration, logLevel: LiveLogLevel,
        logger: Logger
    ) -> Outcome {
        let levelChanged = reloaded.logLevel != logLevel.level
        if levelChanged {
            let change: Logger.Metadata = ["from": "\(logLevel.level)", "to": "\(reloaded.logLevel)"]
            // Said at the more verbose of the two levels, so it shows whichever way it goes.
            if reloaded.logLevel > logLevel.level {
                logger.notice("SIGHUP: log-level changes", metadata: change)
                logLevel.level = reloaded.logLevel
            } else {
                logLevel.level = reloaded.logLevel
                logger.notice("SIGHUP: log-level changes", metadata: change)
            }
        }
        // Everything else as it is running, to see whether anything else differs.
        var rest = reloaded
        rest.logLevel = running.logLevel
        let needsRestart = rest.summary != running.summary
        if needsRestart {
            logger.warning(
                "SIGHUP: configuration re-read and valid, but these changes need a restart to take effect",
                metadata: ["running": "\(running.summary)", "file": "\(rest.summary)"])
        } else if !levelChanged {
            logger.notice("SIGHUP: configuration re-read; nothing changed")
        }
        return Outcome(levelChanged: levelChanged, needsRestart: needsRestart)
    }
}
