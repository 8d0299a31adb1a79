import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle
import Waiting

/// The HTTP endpoint (`/metrics`, `/healthz`, `/`) as a service, on Hummingbird: each connection
/// is served concurrently on SwiftNIO's event loop, idle connections are closed after
/// `idleTimeout`, a request's head must arrive within `requestHeadDeadline`, and at most
/// `maxConnections` are open at once, so port scanners, TCP health checks and clients that
/// stall, drip or never read cannot hold up a health check.
///
/// It never stops the gateway: a failure after start-up is logged and the service then waits
/// for the group's shutdown. Whether the address can be bound at all is checked up front
/// (`checkListenable`), where a mistake (an address that does not resolve, no permission) is a
/// configuration error; an address that is taken (or not yet configured on this host) is
/// retried with backoff, 1 s doubling to 60 s, a warning per attempt, while the gateway goes
/// on cleaning readings (CONTRACT.md section 11). `bindState` says how it stands.
public struct HTTPEndpoint: Service {
    public struct Limits: Sendable {
        /// Connections open at once; further clients wait in the listen backlog. Each is a file
        /// descriptor: `run` raises its soft limit to the hard one (`FileDescriptorLimit`).
        public var maxConnections = 1024
        /// A connection with nothing read for this long is closed.
        public var idleTimeout: Duration = .seconds(10)
        /// A connection whose request head has not fully arrived this long after its accept is
        /// closed (`RequestHeadDeadline`): clients that drip a request hold a slot no longer.
        public var requestHeadDeadline: Duration = .seconds(5)
        /// How long answers in flight may take once the endpoint stops; connections open after
        /// that are closed (`OpenConnections`), so a client that does not read cannot hold the exit.
        public var shutdownGrace: Duration = .seconds(2)
        public init() {}
    }

    let host: String
    let port: Int
    let limits: Limits
    let handler: @Sendable (String) -> GatewayHTTP.Response
    let logger: Logger
    /// Whether it listens, and how many binds failed: for metrics and tests.
    public let bindState: HTTPBindState
    /// The first wait after a taken address, doubling up to `retryMax`.
    let retryMin: Duration
    let retryMax: Duration

    public init(
        host: String, port: Int32, limits: Limits = Limits(), logger: Logger, bindState: HTTPBindState = HTTPBindState(),
        retryMin: Duration = .seconds(1), retryMax: Duration = .seconds(60),
        handler: @escaping @Sendable (String) -> GatewayHTTP.Response
    ) {
        self.host = host
        self.port = Int(port)
        self.limits = limits
        self.handler = handler
        self.logger = logger
        self.bindState = bindState
        self.retryMin = retryMin
        self.retryMax = retryMax
    }

    public func run() async throws {
        var delay = retryMin
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try HTTPEndpoint.checkListenable(host: host, port: Int32(port))
            } catch let error as HTTPEndpointError where error.retryable {
                let attempt = bindState.noteFailure()
                logger.warning(
                    "http address not available; retrying with backoff (the gateway carries on without /metrics and /healthz)",
                    metadata: [
                        "address": "\(host):\(port)", "error": "\(error)", "attempt": "\(attempt)",
                        "retry_in_s": "\(delay.components.seconds)",
                    ])
                let wait = delay
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                } catch {
                    return
                }
                delay = min(delay * 2, retryMax)
                continue
            } catch {
                // Checked at start-up already (exit 78); should it change later, HTTP stops, not the gateway.
                logger.error("the HTTP endpoint cannot listen; the gateway carries on without it", metadata: ["error": "\(error)"])
                try? await gracefulShutdown()
                return
            }
            if try await serve() { return }
            delay = retryMin
        }
    }

    /// Serves until shutdown (true). A failure to bind here (the address taken since the check)
    /// returns false, to retry; any other failure is logged and the gateway carries on without HTTP.
    private func serve() async throws -> Bool {
        let (host, port, logger, bindState, headDeadline) = (self.host, self.port, self.logger, self.bindState, limits.requestHeadDeadline)
        let connections = OpenConnections()
        // Hummingbird's own lines at notice and above: its info line "Server started and listening
        // on ..." repeated the gateway's `http listening`, in another form (90th review).
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            responder: EndpointResponder(handler: handler),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [connections.tracker(), RequestHeadDeadline(deadline: .init(headDeadline))],
                    idleTimeout: .init(limits.idleTimeout))),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "sensor-gateway", backlog: 256,
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { channel in
                bindState.noteListening()
                // The bound port (the configured one, or the one the system chose for 0); a
                // channel already closing (a refused second instance exiting) has no address.
                logger.info("http listening", metadata: ["address": "\(host):\(channel.localAddress?.port ?? port)"])
            },
            logger: serverLogger
        )
        do {
            // Stopped (the group's graceful shutdown, after the drain; or a move's cancellation),
            // the server waits for its open connections: a client that does not read its answer
            // would hold the gateway's exit, so what is still open after `shutdownGrace` is closed.
            //
            // Cancelled, the server would drop connections accepted but not yet taken from its
            // accept sequence, and SwiftNIO traps on each ("Deinited NIOAsyncWriter without
            // calling finish()", apple/swift-nio#2813; found in a full test run: it took the
            // whole process down). So the server runs in a task of its own, which this task's
            // cancellation does not reach, and both a cancellation and a graceful shutdown stop it
            // the graceful way, which serves or closes every accepted connection.
            let grace = TimeAmount(limits.shutdownGrace)
            let server = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: logger))
            let running = Task { try await server.run() }
            let stop: @Sendable () -> Void = {
                Task { await server.triggerGracefulShutdown() }
                connections.closeAll(after: grace)
            }
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await running.value
                } onGracefulShutdown: {
                    stop()
                }
            } onCancel: {
                stop()
            }
        } catch {
            bindState.noteStopped()
            if "\(error)".contains(String(cString: strerror(EADDRINUSE))) && !Task.isShuttingDownGracefully { return false }
            logger.error("the HTTP endpoint stopped; the gateway carries on without it", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
        return true
    }

    /// Why `run` refuses `address` as the `http` setting (exit 78; `HTTPRefusal` names the
    /// setting's file and line), or nil: an address that does not resolve or cannot be bound for
    /// good (no permission). One that is taken, or not on this host yet, is retried with backoff,
    /// so it is no refusal. `config check` asks the same.
    public static func problem(of address: HTTPAddress) -> String? {
        do {
            try checkListenable(host: address.host, port: address.port)
        } catch let error as HTTPEndpointError where error.retryable {
            return nil
        } catch {
            return "\(error)"
        }
        return nil
    }

    /// Throws with the system's reason when `host:port` cannot be bound (a bad address, a port
    /// in use, no permission), so start-up can refuse the setting before anything runs.
    public static func checkListenable(host: String, port: Int32) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var info: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &info)
        guard rc == 0, let ai = info else {
            throw HTTPEndpointError(message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))", retryable: rc == EAI_AGAIN)
        }
        defer { freeaddrinfo(info) }
        let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPEndpointError(message: "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            let code = errno
            throw HTTPEndpointError(
                message: "cannot listen on \(host):\(port): \(String(cString: strerror(code)))",
                retryable: code == EADDRINUSE || code == EADDRNOTAVAIL)
        }
    }
}

public struct HTTPEndpointError: Error, CustomStringConvertible {
    public var message: String
    /// The address may become available (taken by another process, not yet on an interface,
    /// a name server not answering yet): retried, not a configuration error.
    public var retryable = false
    public var description: String { message }
}

/// GET (and HEAD) of a path, answered by the gateway's handler; anything else is 405.
struct EndpointResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let handler: @Sendable (String) -> GatewayHTTP.Response
    /// Every page but `/healthz` is made one at a time: made for a hundred clients at once, they
    /// took both threads of the pool that `/healthz` and the gateway's shutdown run on.
    let pages = Turns()

    func respond(to request: Request, context: Context) async throws -> Response {
        let answer: GatewayHTTP.Response
        if request.method == .get || request.method == .head {
            let path = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            if request.uri.path == "/healthz" {
                answer = handler(path)
            } else {
                await pages.take()
                answer = handler(path)
                await pages.give()
            }
        } else {
            answer = .init(status: 405, contentType: "text/plain", body: "only GET is supported\n")
        }
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        headers[.connection] = "close"
        return Response(
            status: .init(code: answer.status), headers: headers,
            body: request.method == .head ? .init() : .init(byteBuffer: ByteBuffer(string: answer.body)))
    }
}
