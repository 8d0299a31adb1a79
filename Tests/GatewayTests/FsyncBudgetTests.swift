import Logging
import Testing
import TestSupport
@testable import Gateway

@Suite("fsync-max-per-second")
struct FsyncBudgetTests {
    @Test("the setting reaches the journal the daemon opens (default 500 syncs a second; no budget without fsync interval)")
    func reachesTheJournal() throws {
        for (flags, expected) in [([:], Optional(100)), (["fsync-max-per-second": "7"], 7), (["fsync": "always"], nil)] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let all = flags.merging(["broker": "mqtt://127.0.0.1:1", "data-dir": dir.file("data"), "http": "off"]) { a, _ in a }
            let configuration = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: all, defaultGatewayID: "fsync")
            let service = try GatewayService(configuration: configuration, logger: Logger(label: "fsync-test"), shutdown: ShutdownSignal())
            #expect(service.journalSyncsPerSecond == expected)
        }
    }
}
