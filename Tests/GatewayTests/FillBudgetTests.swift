import Foundation
import Gateway
import Testing
import TestSupport

/// A max-fill whose worst case does not fit the journal ring is accepted (fills stream out as the
/// ring drains: `FillBiggerThanRingTests`), and `config check` and `run` name its cost as a warning
/// (issue 29, finding 4; before fills streamed, such a fill wedged the gateway and was refused).
@Suite("A fill longer than the journal ring: accepted, with its cost named")
struct FillBudgetTests {
    static func load(_ flags: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        try ConfigurationLoader.load(configFile: nil, environment: [:], flags: flags, defaultGatewayID: "h")
    }

    static func fillWarning(_ c: GatewayConfiguration) -> String? {
        ConfigurationWarnings.of(c).first { $0.hasPrefix("max-fill ") }
    }

    /// The largest max-fill the warning names ("set max-fill to at most N").
    static func largestNamed(_ warning: String) -> UInt64? {
        guard let range = warning.range(of: "max-fill to at most ") else { return nil }
        return UInt64(warning[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("the issue's two setups are accepted with a warning naming the cost, the largest max-fill that fits and the journal size for the one asked")
    func warned() throws {
        for (journal, fill) in [("1M", "20000"), ("16MiB", "100000")] {
            let c = try Self.load(["journal-max-bytes": journal, "max-fill": fill])
            let warning = try #require(Self.fillWarning(c), "no warning for journal-max-bytes \(journal) with max-fill \(fill)")
            #expect(warning.contains("streams out"), "\(warning)")
            #expect(warning.contains("wait in the broker"), "\(warning)")
            let fits = try #require(Self.largestNamed(warning), "\(warning)")
            // The named largest draws no warning, and one more does.
            #expect(Self.fillWarning(try Self.load(["journal-max-bytes": journal, "max-fill": "\(fits)"])) == nil)
            #expect(Self.fillWarning(try Self.load(["journal-max-bytes": journal, "max-fill": "\(fits + 1)"])) != nil)
            // The journal size it suggests takes the fill without a warning.
            let range = try #require(warning.range(of: "journal-max-bytes to at least "))
            let suggested = String(warning[range.upperBound...].prefix { $0.isNumber || $0.isLetter })
            #expect(Self.fillWarning(try Self.load(["journal-max-bytes": suggested, "max-fill": fill])) == nil, "\(suggested)")
        }
    }

    @Test("the defaults, and the default max-fill with the smallest journal, draw no warning")
    func quiet() throws {
        #expect(Self.fillWarning(try Self.load([:])) == nil)
        #expect(Self.fillWarning(try Self.load(["journal-max-bytes": "1M"])) == nil)
        #expect(Self.fillWarning(try Self.load(["journal-max-bytes": "16MiB", "max-fill": "5000"])) == nil)
        #expect(Self.fillWarning(try Self.load(["max-fill": "100000"])) == nil)  // the default 256 MiB takes it
    }

    @Test("a SIGHUP that raises max-fill past the running journal's ring logs the warning for that journal")
    func reloadWarns() throws {
        let log = CapturedLog()
        let running = try Self.load(["journal-max-bytes": "1M"])
        let live = LiveSettings(running)
        // The file now asks for a bigger journal too, which only a restart applies: the warning
        // is for the ring running now.
        let next = try Self.load(["journal-max-bytes": "64M", "max-fill": "20000"])
        SettingsReload.apply(next, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        let warning = try #require(log.lines.first { $0.level == .warning && $0.message.hasPrefix("SIGHUP: max-fill 20000: ") })
        #expect(warning.message.contains("journal-max-bytes (1048576)"), "\(warning.message)")
        let quiet = CapturedLog()
        SettingsReload.apply(try Self.load(["journal-max-bytes": "1M", "max-fill": "1000"]), live: live, logLevel: LiveLogLevel(.info), logger: quiet.logger())
        #expect(!quiet.messages.contains { $0.contains("max-fill 1000:") })
    }

    @Test("config check predicts run: both accept the file, and both print the same warning")
    func checkPredictsRun() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "journal-max-bytes: 1MiB\nmax-fill: 20000\n".write(toFile: dir.file("gw.conf"), atomically: true, encoding: .utf8)
        let (checkCode, checkOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gw.conf")], logPath: dir.file("check.log"))
        #expect(checkCode == 0, "\(checkOutput)")
        let line = try #require(checkOutput.split(separator: "\n").first { $0.hasPrefix("warning: max-fill 20000: ") }, "\(checkOutput)")
        // `run` gets as far as the broker (none listens here) and logs the same sentence.
        let broker = "mqtt://127.0.0.1:\(LoopbackNetwork.freePort())"
        let run = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"),
            ["run", "--config", dir.file("gw.conf"), "--data-dir", dir.file("d"), "--http", "off", "--broker", broker], logPath: dir.file("run.log"))
        defer { run.signal(SIGKILL) }
        let sentence = String(line.dropFirst("warning: ".count))
        try await waitUntil("run to log the warning", timeout: .seconds(60)) { run.output.contains(sentence) || !run.isRunning }
        #expect(run.output.contains(sentence), "\(run.output.suffix(2000))")
        #expect(run.isRunning, "run exited: \(run.output.suffix(2000))")
    }
}
