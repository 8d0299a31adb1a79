import Logging
import Testing
import TestSupport
@testable import Gateway

@Suite("fsync-interval-ms")
struct FsyncIntervalTests {
    @Test("the setting reaches the journal the daemon opens (default 50 ms)")
    func reachesTheJournal() throws {
        for (flag, expected) in [(nil, Int64(50)), ("7", 7)] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            var flags = ["broker": "mqtt://127.0.0.1:1", "data-dir": dir.file("data"), "http": "off"]
            if let flag { flags["fsync-interval-ms"] = flag }
            let configuration = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: flags, defaultGatewayID: "fsync")
            let service = try GatewayService(configuration: configuration, logger: Logger(label: "fsync-test"), shutdown: ShutdownSignal())
            #expect(service.journalSyncIntervalMs == expected)
        }
    }
}
