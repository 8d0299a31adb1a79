import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the configuration (file, environment and the original flags) and says what
/// it found; it never stops the gateway. No setting changes on a running gateway yet: a valid
/// file whose settings differ is logged as needing a restart, an invalid one as kept out.
struct HangupReload: Service {
    let runningSummary: String
    let logger: Logger
    let load: @Sendable () throws -> GatewayConfiguration

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let reloaded = try load()
                if reloaded.summary == runningSummary {
                    logger.notice("SIGHUP: configuration re-read; nothing changed")
                } else {
                    logger.warning("SIGHUP: configuration re-read and valid, but its changes need a restart to take effect",
                                   metadata: ["running": "\(runningSummary)", "file": "\(reloaded.summary)"])
                }
            } catch {
                logger.error("SIGHUP: configuration not valid; the running settings stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
