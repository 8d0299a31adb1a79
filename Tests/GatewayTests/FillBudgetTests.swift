import Foundation
import Gateway
import Testing
import TestSupport

/// `config check` and `run` refuse a max-fill whose worst case does not fit the journal ring
/// (issue 29, finding 4: a fill bigger than the ring wedged the gateway for good).
@Suite("A fill must fit the journal ring")
struct FillBudgetTests {
    static func load(_ flags: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        try ConfigurationLoader.load(configFile: nil, environment: [:], flags: flags, defaultGatewayID: "h")
    }

    /// The largest max-fill the refusal names ("Set max-fill to at most N").
    static func largestNamed(_ error: ConfigurationError) -> UInt64? {
        guard let range = error.description.range(of: "max-fill to at most ") else { return nil }
        return UInt64(error.description[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("the issue's two wedging setups are refused (exit 78), naming both settings and the largest max-fill that fits")
    func refused() throws {
        for (journal, fill) in [("1M", "20000"), ("16MiB", "100000")] {
            do {
                _ = try Self.load(["journal-max-bytes": journal, "max-fill": fill])
                Issue.record("journal-max-bytes \(journal) with max-fill \(fill) was accepted")
            } catch {
                #expect(error.description.hasPrefix("--max-fill=\(fill): "), "\(error)")
                #expect(error.description.contains("journal-max-bytes"), "\(error)")
                #expect(error.exitStatus == .configuration, "a conflict is EX_CONFIG even from flags")
                let fits = try #require(Self.largestNamed(error), "\(error)")
                // The named largest fits, and one more does not.
                #expect(throws: Never.self) { try Self.load(["journal-max-bytes": journal, "max-fill": "\(fits)"]) }
                #expect(throws: ConfigurationError.self) { try Self.load(["journal-max-bytes": journal, "max-fill": "\(fits + 1)"]) }
                // The journal size it suggests takes the fill.
                let range = try #require(error.description.range(of: "journal-max-bytes to at least "))
                let suggested = String(error.description[range.upperBound...].prefix { $0.isNumber || $0.isLetter })
                #expect(throws: Never.self) { try Self.load(["journal-max-bytes": suggested, "max-fill": fill]) }
            }
        }
        // max-fill is the one named when it was set, from whatever source.
        do {
            _ = try ConfigurationLoader.load(
                configFile: nil, environment: ["SENSOR_GATEWAY_MAX_FILL": "20000"], flags: ["journal-max-bytes": "1M"], defaultGatewayID: "h")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("SENSOR_GATEWAY_MAX_FILL=20000: "), "the operator set both; max-fill is named first: \(error)")
        }
    }

    @Test("the defaults, and the default max-fill with the smallest journal, are accepted")
    func accepted() throws {
        _ = try Self.load([:])
        _ = try Self.load(["journal-max-bytes": "1M"])
        _ = try Self.load(["journal-max-bytes": "16MiB", "max-fill": "5000"])
        _ = try Self.load(["max-fill": "100000"])  // the default 256 MiB takes it
    }

    @Test("config check predicts run: both refuse the same file with the same message, exit 78")
    func checkPredictsRun() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "journal-max-bytes: 1MiB\nmax-fill: 20000\n".write(toFile: dir.file("gw.conf"), atomically: true, encoding: .utf8)
        let (checkCode, checkOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gw.conf")], logPath: dir.file("check.log"))
        #expect(checkCode == 78)
        #expect(checkOutput.contains("max-fill (in \(dir.file("gw.conf")), line 2)=20000: "), "\(checkOutput)")
        let (runCode, runOutput) = try await GatewayProcess.runTool(
            ["run", "--config", dir.file("gw.conf"), "--data-dir", dir.file("d"), "--http", "off"], logPath: dir.file("run.log"))
        #expect(runCode == 78)
        let line = checkOutput.split(separator: "\n").first { $0.contains("max-fill (in") }
        #expect(line != nil && runOutput.contains(line!), "\(runOutput)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("d/journal")), "refused before the journal is made")
        // The same as flags: exit 78 too, not a usage error.
        let (flagCode, flagOutput) = try await GatewayProcess.runTool(
            ["run", "--journal-max-bytes", "1M", "--max-fill", "20000", "--data-dir", dir.file("d"), "--http", "off"], logPath: dir.file("flags.log"))
        #expect(flagCode == 78, "\(flagOutput)")
        #expect(flagOutput.contains("--max-fill=20000: "))
    }
}
