import Logging
import ServiceLifecycle

/// The HTTP endpoint at an address a SIGHUP can change (`http`).
///
/// It runs one `HTTPEndpoint` at a time. A new address is checked first (`checkListenable`)
/// and served by a new endpoint; only once that one listens is the old one stopped, so the
/// endpoint never goes dark for a move. When the new address cannot be bound (taken, not on this
/// host, no permission) the old one goes on serving, the error is logged, and
/// `sensor_gateway_http_bound` shows 0 until a later reload names an address that works (or the
/// old one again). `off` stops it; an address after `off` starts it.
public struct RebindingHTTPEndpoint: Service {
    let initial: HTTPAddress?
    let binding: HTTPBinding
    let logger: Logger
    let changes: AsyncStream<HTTPAddress?>
    /// An endpoint for an address, with its own bind state.
    let make: @Sendable (HTTPAddress, HTTPBindState) -> HTTPEndpoint
    /// How long a new endpoint may take to listen before the move is abandoned.
    let moveDeadline: Duration
    /// Told the address that goes on serving when a move is abandoned, so the running settings
    /// name it (`LiveSettings.httpMoveRefused`).
    let refused: @Sendable (_ serving: HTTPAddress) -> Void

    public init(
        initial: HTTPAddress?, binding: HTTPBinding, logger: Logger, changes: AsyncStream<HTTPAddress?>,
        moveDeadline: Duration = .seconds(10), refused: @escaping @Sendable (_ serving: HTTPAddress) -> Void = { _ in },
        make: @escaping @Sendable (HTTPAddress, HTTPBindState) -> HTTPEndpoint
    ) {
        self.initial = initial
        self.binding = binding
        self.logger = logger
        self.changes = changes
        self.moveDeadline = moveDeadline
        self.refused = refused
        self.make = make
    }

    /// One endpoint, the group it runs in and the task running that.
    private struct Running {
        let address: HTTPAddress
        let state: HTTPBindState
        let group: ServiceGroup
        let task: Task<Void, any Error>

        /// Stops the endpoint as a graceful shutdown does (a cancelled one logged errors from
        /// inside the HTTP server on every move, found black-box), and waits for it.
        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    private func start(_ address: HTTPAddress) -> Running {
        let state = HTTPBindState()
        let endpoint = make(address, state)
        // Its own group, to stop it alone; the task is a child of this task's context (not
        // detached), so the gateway's graceful shutdown reaches it too.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: endpoint, successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger))
        return Running(address: address, state: state, group: group, task: Task { try await group.run() })
    }

    public func run() async throws {
        var current = initial.map(start)
        binding.serving(current?.state)
        defer { current?.task.cancel() }
        for await next in changes.cancelOnGracefulShutdown() {
            if next == current?.address {
                if binding.keptOld { logger.notice("SIGHUP: HTTP stays on its address", metadata: ["address": "\(next.map { "\($0)" } ?? "off")"]) }
                binding.serving(current?.state)
                continue
            }
            guard let next else {
                await current?.stop()
                logger.notice("SIGHUP: HTTP endpoint stopped (http: off)", metadata: ["was": "\(current.map { "\($0.address)" } ?? "off")"])
                current = nil
                binding.serving(nil)
                continue
            }
            if let old = current {
                do {
                    try HTTPEndpoint.checkListenable(host: next.host, port: next.port)
                } catch {
                    binding.rebindFailed()
                    refused(old.address)
                    logger.error(
                        "SIGHUP: cannot listen on the new HTTP address; still serving on the old one (sensor_gateway_http_bound is 0)",
                        metadata: ["address": "\(next)", "serving": "\(old.address)", "error": "\(error)"])
                    continue
                }
            }
            let candidate = start(next)
            guard let old = current else {
                current = candidate
                binding.serving(candidate.state)
                logger.notice("SIGHUP: HTTP endpoint started", metadata: ["address": "\(next)"])
                continue
            }
            if await listens(candidate.state) {
                await old.stop()
                current = candidate
                binding.serving(candidate.state)
                logger.notice("SIGHUP: HTTP endpoint moved", metadata: ["from": "\(old.address)", "to": "\(next)"])
            } else {
                await candidate.stop()
                binding.rebindFailed()
                refused(old.address)
                logger.error(
                    "SIGHUP: the new HTTP address did not start listening; still serving on the old one (sensor_gateway_http_bound is 0)",
                    metadata: ["address": "\(next)", "serving": "\(old.address)"])
            }
        }
        // Shutting down: the endpoint ends with the group's graceful shutdown (after the gateway drained).
        _ = try? await current?.task.value
    }

    /// Waits until `state` listens, up to `moveDeadline`: woken when it starts listening, on a
    /// thread of its own (not a thread of the pool).
    private func listens(_ state: HTTPBindState) async -> Bool {
        let milliseconds = moveDeadline.components.seconds * 1000 + moveDeadline.components.attoseconds / 1_000_000_000_000_000
        return await onOwnThread { state.waitUntilListening(atMost: milliseconds) }
    }
}
