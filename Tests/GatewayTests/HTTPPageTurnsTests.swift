import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

@testable import Gateway

/// Pages made for many clients at once took both threads of the cooperative pool, on which
/// `/healthz` and the gateway's shutdown also run: `/healthz` went unanswered for 13 s and a
/// SIGTERM's drain began 18 s late (found black-box, 83rd review). Pages are made one at a time.
@Suite("The HTTP endpoint makes one page at a time")
struct HTTPPageTurnsTests {
    @Test("20 clients asking for a page at once: each is answered, and no two pages are made at the same time")
    func pagesOneAtATime() async throws {
        let port = LoopbackNetwork.freePort()
        let inside = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port, logger: Logger(label: "pages-test")) { path in
            guard path != "/healthz" else { return .init(status: 200, contentType: "text/plain", body: "ok\n") }
            let now = inside.add(1, ordering: .relaxed).newValue
            var seen = most.load(ordering: .relaxed)
            while now > seen, !most.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged { seen = most.load(ordering: .relaxed) }
            usleep(20_000)  // a page that takes a while to make
            inside.subtract(1, ordering: .relaxed)
            return .init(status: 200, contentType: "text/html", body: "<p>page</p>\n")
        }
        let server = Task { try await endpoint.run() }
        defer { server.cancel() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { endpoint.bindState.isListening }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await HTTPGet.fetch(port: port, path: "/", timeoutSeconds: 600).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 20))
        #expect(most.load(ordering: .relaxed) == 1)
    }
}
