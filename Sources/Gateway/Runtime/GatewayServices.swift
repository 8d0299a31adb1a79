import Journal
import Logging
import ServiceLifecycle

/// The gateway as a service of a `ServiceGroup`: opens the journal and restores (throwing
/// `GatewayFailure.journalUnavailable` when it cannot), runs until the group's graceful
/// shutdown or its cancellation, then drains. A journal failure while running closes the connections without taking
/// more from the broker and throws.
public struct GatewayDaemon: Service, CustomStringConvertible {
    /// Its name only: ServiceLifecycle logs each service at debug level, and a printed
    /// configuration is more than a log needs.
    public var description: String { "GatewayDaemon" }

    let configuration: GatewayConfiguration
    let logger: Logger
    let status: StatusBoard
    /// Where SIGHUP reloads hand the settings a running gateway can take.
    let live: LiveSettings?

    public init(configuration: GatewayConfiguration, logger: Logger, status: StatusBoard, live: LiveSettings? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.status = status
        self.live = live
    }

    public func run() async throws {
        let shutdown = ShutdownSignal()
        let service: GatewayService
        do {
            // Opening waits on the broker (its retained latest/ values, `BrokerLatest`): on a
            // thread of its own, so that no thread of the cooperative pool is held and the
            // group's signal handling runs, and under the shutdown handlers, so that a SIGTERM
            // ends that wait instead of waiting for it (OPERATIONS.md: honoured at once).
            let (configuration, logger, status, live) = (configuration, logger, status, live)
            let opened = try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await onOwnThread {
                        Result {
                            OpenedService(
                                service: try GatewayService(configuration: configuration, logger: logger, shutdown: shutdown, status: status, live: live))
                        }
                    }.get()
                } onGracefulShutdown: {
                    shutdown.request()
                }
            } onCancel: {
                shutdown.request()
            }
            service = opened.service
        } catch let stopped as JournalRestore.Stopped {
            // A SIGTERM during the start's replay: nothing was sent; the next start replays again.
            logger.notice("\(stopped): nothing was sent, the journal is as it was")
            return
        } catch JournalError.locked(let path) {
            throw GatewayFailure.journalInUse(JournalOpening.inUseMessage(configuration, lockPath: path))
        } catch JournalError.invalidConfiguration(let reason) {
            throw GatewayFailure.journalMisconfigured("cannot open the journal in \(configuration.journalDirectory): \(reason)")
        } catch {
            throw GatewayFailure.journalUnavailable("cannot open the journal in \(configuration.journalDirectory): \(error)")
        }
        do {
            // Graceful shutdown (SIGTERM, SIGINT) and cancellation (the group ending on another
            // service's failure) both drain: the loop sees the signal within a turn, and the
            // drain waits `GatewayService.Waits.drainLimitMs` at most for acknowledgements.
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await service.run()
                } onGracefulShutdown: {
                    shutdown.request()
                }
            } onCancel: {
                shutdown.request()
            }
        } catch {
            await service.abandon()
            throw error
        }
    }
}

/// A `GatewayService` handed from the thread that opened it to the task that runs it; nothing
/// else touches it meanwhile.
private struct OpenedService: @unchecked Sendable {
    let service: GatewayService
}
