import Foundation
import Gateway
import Logging
import Recovery
import Testing
import TestSupport

/// `csv-columns` is a setting like every other: flag, environment, file, `config show`, a reload,
/// and errors that name it (exit 64 for a flag, 78 for the environment or the file).
@Suite("The csv-columns setting")
struct CSVColumnsSettingTests {
    @Test("set by flag, environment or file (flags win); the contract's order is the default and is stored as unset")
    func sources() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("gateway.conf")
        try "csv-columns: ts,seq,value\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try ConfigurationLoader.load(configFile: file, environment: [:], flags: [:], defaultGatewayID: "h")
        #expect(fromFile.engine.csvColumns?.order == [.ts, .seq, .value])
        let fromEnvironment = try ConfigurationLoader.load(
            configFile: file, environment: ["SENSOR_GATEWAY_CSV_COLUMNS": "value,ts,seq,boot"], flags: [:], defaultGatewayID: "h")
        #expect(fromEnvironment.engine.csvColumns?.order == [.value, .ts, .seq, .boot])
        let fromFlag = try ConfigurationLoader.load(
            configFile: file, environment: ["SENSOR_GATEWAY_CSV_COLUMNS": "value,ts,seq"], flags: ["csv-columns": "seq,value,ts,status"],
            defaultGatewayID: "h")
        #expect(fromFlag.engine.csvColumns?.order == [.seq, .value, .ts, .status])
        let defaults = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [:], defaultGatewayID: "h")
        #expect(defaults.engine.csvColumns == nil)
        #expect(Setting.named("csv-columns")?.value(in: defaults) == "seq,ts,value,status,boot")
        let explicit = try ConfigurationLoader.load(
            configFile: nil, environment: [:], flags: ["csv-columns": "seq, ts, value, status, boot"], defaultGatewayID: "h")
        #expect(explicit.engine == defaults.engine)
        #expect(SettingsReload.liveSettings.contains("csv-columns"))
    }

    @Test("a reload applies a new column order to the running engine, and going back to the default too")
    func reload() throws {
        let level = LiveLogLevel(.info)
        let logger = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
        let live = LiveSettings(try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [:], defaultGatewayID: "h"))
        func reload(_ flags: [String: String]) throws -> SettingsReload.Outcome {
            let next = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: flags, defaultGatewayID: "h")
            return SettingsReload.apply(next, live: live, logLevel: level, logger: logger)
        }
        #expect(try reload(["csv-columns": "ts,seq,value"]) == .init(levelChanged: false, applied: ["csv-columns"]))
        #expect(live.current.engine.csvColumns?.order == [.ts, .seq, .value])
        #expect(try reload([:]) == .init(levelChanged: false, applied: ["csv-columns"]))
        #expect(live.current.engine.csvColumns == nil)
    }

    @Test("a bad column list names the setting and the value: exit 64 as a flag, 78 from the environment or a file")
    func errors() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (flagCode, flagOutput) = try await GatewayProcess.runTool(
            ["run", "--csv-columns", "seq,ts", "--data-dir", dir.file("d")], logPath: dir.file("flag.log"))
        #expect(flagCode == 64)
        #expect(flagOutput.split(separator: "\n").first?.contains("--csv-columns=seq,ts: column value is required") == true, "\(flagOutput)")
        #expect(!flagOutput.contains("Fatal error"))

        let env = try ChildProcess(
            BuiltProducts.executable("sensor-gateway"), ["run", "--data-dir", dir.file("d")], logPath: dir.file("env.log"),
            environment: ["SENSOR_GATEWAY_CSV_COLUMNS": "seq,ts,temp"])
        try await env.wait()
        #expect(env.exitCode == 78)
        #expect(
            env.output.split(separator: "\n").first?.contains("SENSOR_GATEWAY_CSV_COLUMNS=seq,ts,temp: unknown column temp") == true, "\(env.output)")

        try "# line one\ncsv-columns: seq,ts,value,seq\n".write(toFile: dir.file("bad.conf"), atomically: true, encoding: .utf8)
        let (fileCode, fileOutput) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("bad.conf")], logPath: dir.file("file.log"))
        #expect(fileCode == 78)
        #expect(
            fileOutput.contains("csv-columns (in \(dir.file("bad.conf")), line 2)=seq,ts,value,seq: column seq given twice"), "\(fileOutput)")
    }
}
