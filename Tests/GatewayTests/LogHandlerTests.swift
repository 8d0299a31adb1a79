import Foundation
import Logging
import Testing
import TestSupport
@testable import Gateway

@Suite("Log lines for journald and for log shippers")
struct LogHandlerTests {
    static let time = Date(timeIntervalSince1970: 1_795_660_000.123)

    @Test("under systemd a text line starts with its syslog priority, so journalctl -p can filter; elsewhere with a UTC timestamp")
    func textLines() {
        let journald = GatewayLogHandler(label: "sensor-gateway", level: .info, format: .text, syslogPriorityPrefix: true)
        #expect(
            journald.render(level: .warning, message: "journal full", metadata: ["b": "2", "a": "1"], at: Self.time)
                == "<4>warning sensor-gateway: journal full a=1 b=2")
        #expect(journald.render(level: .critical, message: "stopping", metadata: [:], at: Self.time) == "<2>critical sensor-gateway: stopping")
        let terminal = GatewayLogHandler(label: "sensor-gateway", level: .info, format: .text, syslogPriorityPrefix: false)
        #expect(
            terminal.render(level: .info, message: "connected", metadata: [:], at: Self.time)
                == "2026-11-26T02:26:40.123Z info sensor-gateway: connected")
    }

    @Test("a json line is one object with the level, label, message and metadata, quotes escaped")
    func jsonLines() throws {
        let handler = GatewayLogHandler(label: "sensor-gateway", level: .info, format: .json, syslogPriorityPrefix: true)
        let line = handler.render(level: .error, message: "cannot reach \"broker\"", metadata: ["broker": "mqtt://h:1883"], at: Self.time)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "error")
        #expect(object["message"] as? String == "cannot reach \"broker\"")
        #expect(object["ts"] as? String == "2026-11-26T02:26:40.123Z")
        #expect((object["metadata"] as? [String: String])?["broker"] == "mqtt://h:1883")
    }

    /// Found black-box (67th review): the line saying why `run` stopped had no `<3>` under
    /// journald (stored at info, missed by `journalctl -p warning`) and was plain text with
    /// `log-format json`.
    @Test("the line saying why run stopped carries the error priority under journald, and is JSON with log-format json")
    func stoppingLine() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "x".write(toFile: dir.file("afile"), atomically: true, encoding: .utf8)
        let journald = ["JOURNAL_STREAM": "1:1"]
        func lastLine(_ arguments: [String], _ environment: [String: String], _ name: String) async throws -> String {
            let child = try ChildProcess(
                BuiltProducts.executable("sensor-gateway"), ["run", "--http", "off"] + arguments, logPath: dir.file(name), environment: environment)
            try await child.wait(timeout: .seconds(60))
            #expect(child.exitCode == 78, "\(child.output)")
            return child.output.split(separator: "\n").last.map(String.init) ?? ""
        }
        // Refused before the log is set up (a bad setting), and after it (the data folder).
        let setting = try await lastLine(["--data-dir", dir.file("d")], journald.merging(["SENSOR_GATEWAY_FILL": "cubic"]) { a, _ in a }, "1.log")
        #expect(setting.hasPrefix("<3>error: SENSOR_GATEWAY_FILL=cubic"), "\(setting)")
        let folder = try await lastLine(["--data-dir", dir.file("afile")], journald, "2.log")
        #expect(folder.hasPrefix("<3>error sensor-gateway: ") && folder.contains("is a file, not a folder"), "\(folder)")
        let json = try await lastLine(["--data-dir", dir.file("afile"), "--log-format", "json"], [:], "3.log")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "error" && json.contains("is a file, not a folder"), "\(json)")
    }

    @Test("log-level and log-format are settings; a misspelt level names the choices")
    func settings() throws {
        let c = try ConfigurationLoader.load(
            configFile: nil, environment: ["SENSOR_GATEWAY_LOG_LEVEL": "warning"],
            flags: ["log-format": "json"], defaultGatewayID: "h")
        #expect(c.logLevel == .warning)
        #expect(c.logFormat == .json)
        do {
            _ = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: ["log-level": "verbose"], defaultGatewayID: "h")
            Issue.record("log-level verbose accepted")
        } catch {
            #expect(error.description == "--log-level=verbose: expected trace, debug, info, notice, warning, error, critical")
        }
    }
}
