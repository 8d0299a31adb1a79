import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the configuration (file, environment and the original flags) and applies it
/// as `SettingsReload` decides; an invalid file is logged and kept out. It never stops the gateway.
struct HangupReload: Service {
    let live: LiveSettings
    let logLevel: LiveLogLevel
    let logger: Logger
    let load: @Sendable () throws -> GatewayConfiguration
    /// The file's settings an environment variable or flag overrides (`ConfigurationLoader.overriddenInFile`).
    let overridden: @Sendable () -> [String]

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let settings = try load()
                for override in overridden() { logger.warning("SIGHUP: \(override): an edit to it in the file has no effect") }
                SettingsReload.apply(settings, live: live, logLevel: logLevel, logger: logger)
                live.reloadApplied()
            } catch {
                logger.error("\(SettingsReload.refusal(error, running: live.current))", metadata: ["error": "\(error)"])
                live.reloadRefused("\(error)")
            }
        }
    }
}
