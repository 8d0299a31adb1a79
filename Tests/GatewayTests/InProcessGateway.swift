import Foundation
import Journal
import Logging
import TestSupport
@testable import Gateway

/// A gateway run inside the test process (not as a child), so a test can set its internal
/// bounds and hooks; it talks to a real broker and writes a real journal like the executable.
struct InProcessGateway {
    let configuration: GatewayConfiguration
    let status: StatusBoard
    let shutdown: ShutdownSignal
    let running: Task<Void, Error>
    /// Where a test hands reloaded settings, as SIGHUP does.
    let live: LiveSettings

    /// Starts it against `broker` with data in `directory`, and waits until it has subscribed
    /// (unless `waitForSubscription` is false: a broker that refuses it, say).
    static func start(
        _ broker: TestBroker, in directory: TemporaryDirectory, id: String, outboundCapacity: Int = 8192,
        ingestLimits: IngestJournal.Limits = .init(), clocks: JournalClock.Sources = .system, fileSystem: FileSystem? = nil,
        logger: Logger? = nil, waitForSubscription: Bool = true,
        configure: (inout GatewayConfiguration) -> Void = { _ in },
        prepare: (GatewayService) -> Void = { _ in }
    ) async throws -> InProcessGateway {
        var settings = try ConfigurationLoader.load(
            configFile: nil, environment: [:],
            flags: [
                "broker": broker.url, "data-dir": directory.file("data"), "gateway-id": id, "http": "off",
                "reorder-window-ms": "300", "fsync": "never",
            ],
            defaultGatewayID: id)
        configure(&settings)
        let shutdown = ShutdownSignal()
        let status = StatusBoard()
        let live = LiveSettings(settings)
        let service = try GatewayService(
            configuration: settings, logger: logger ?? Logger(label: "\(id)-test"), shutdown: shutdown,
            status: status, outboundCapacity: outboundCapacity, ingestLimits: ingestLimits, clocks: clocks, live: live,
            fileSystem: fileSystem)
        prepare(service)
        let running = Task { try await service.run() }
        // Generous: on two busy cores the run's task has waited 39 s for the cooperative pool (a
        // CI run beside other builds), and 5 minutes in a full run while the fault simulator's
        // worlds held both of its threads (they now run on threads of their own).
        if waitForSubscription {
            try await waitUntil("the gateway to subscribe", timeout: .seconds(600)) { status.snapshot.subscribed }
        }
        return InProcessGateway(configuration: settings, status: status, shutdown: shutdown, running: running, live: live)
    }

    /// Drains and stops it; rethrows what its loop threw.
    func stop() async throws {
        shutdown.request()
        try await running.value
    }
}
