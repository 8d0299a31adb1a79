import Foundation
import Logging
import Testing
import TestSupport

@testable import Gateway

/// Stopping the HTTP endpoint by cancelling its task (a test's `defer`, a group cancelling what
/// outlived its graceful shutdown) while accepted connections wait to be served: SwiftNIO traps
/// on each one dropped ("Deinited NIOAsyncWriter without calling finish()"), which took a whole
/// test process down once (found in a full run; apple/swift-nio#2813). The endpoint turns the
/// cancellation into a graceful stop.
@Suite("The HTTP endpoint cancelled with connections waiting")
struct HTTPEndpointCancelTests {
    @Test("a burst of 64 connections, then the endpoint's task cancelled at once, five times: it stops, and the process lives on")
    func cancelledUnderABurst() async throws {
        for round in 0..<5 {
            let port = LoopbackNetwork.freePort()
            let endpoint = HTTPEndpoint(
                host: "127.0.0.1", port: port, logger: Logger(label: "cancel-test"),
                handler: GatewayHTTP.handler(status: StatusBoard(), configuration: GatewayConfiguration(gatewayID: "cancel")))
            let server = Task { try await endpoint.run() }
            try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { endpoint.bindState.isListening }
            // Blocking socket calls on a thread of their own, not the pool the endpoint runs on.
            let sockets = await onOwnThread { () -> [Int32] in
                (0..<64).compactMap { _ in
                    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    guard LoopbackNetwork.connect(fd, port: port) else {
                        close(fd)
                        return nil
                    }
                    _ = send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 36, Int32(MSG_NOSIGNAL))
                    return fd
                }
            }
            server.cancel()
            _ = try? await server.value
            sockets.forEach { close($0) }
            #expect(sockets.count == 64, "round \(round)")
        }
    }
}
