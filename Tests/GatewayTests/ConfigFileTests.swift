import Foundation
import Testing
import TestSupport

@testable import Gateway

/// The config file read to an operator's standard: quotes, units, duplicates, CRLF, a size cap,
/// and errors that name the file, the line and the setting.
@Suite("Config file parsing, units and errors")
struct ConfigFileTests {
    static func load(_ text: String, environment: [String: String] = [:], flags: [String: String] = [:]) throws -> GatewayConfiguration {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file("gateway.conf")))
        return try ConfigurationLoader.load(configFile: dir.file("gateway.conf"), environment: environment, flags: flags, defaultGatewayID: "h")
    }

    /// Loading `text` as a config file fails naming the file, `line` and `key`, with `problem`
    /// in the message, and exit status 78.
    static func expectRefused(_ text: String, line: Int, key: String, problem: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let error = try #require(try failure(text, in: dir), sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("\(key) (in \(dir.file("gateway.conf")), line \(line))="), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(problem), "\(error)", sourceLocation: sourceLocation)
        #expect(error.exitStatus == .configuration, sourceLocation: sourceLocation)
    }

    /// The error loading `text` as a file at `path` gives (its description).
    static func failure(_ text: String, in dir: TemporaryDirectory, name: String = "gateway.conf") throws -> ConfigurationError? {
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file(name)))
        do {
            _ = try ConfigurationLoader.load(configFile: dir.file(name), environment: [:], flags: [:], defaultGatewayID: "h")
            return nil
        } catch {
            return error
        }
    }

    /// Found black-box (90th review): a file that is not UTF-8 was refused without saying where.
    @Test("a config file with a byte that is not UTF-8 is refused naming its line and byte")
    func notUTF8NamesWhere() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // "data-dir: /srv/gw\nusername: op" then Latin-1 é (0xE9) then "r\n".
        let bytes = Array("data-dir: /srv/gw\nusername: op".utf8) + [0xE9] + Array("r\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("latin1.conf")))
        var refused: (any Error)?
        do {
            _ = try ConfigurationLoader.load(configFile: dir.file("latin1.conf"), environment: [:], flags: [:], defaultGatewayID: "h")
        } catch { refused = error }
        let text = "\(try #require(refused))"
        #expect(text.contains("not UTF-8 text (line 2, byte 13 of the line: 0xE9)"), "\(text)")
        // Valid multi-byte text before it does not move the count off.
        #expect(ConfigFileReader.firstInvalidUTF8(ArraySlice(Array("é\n€".utf8) + [0xFF])) == "line 2, byte 4 of the line: 0xFF")
    }

    /// Found black-box (67th review): the advice to quote `sensors/#` led only to the next
    /// refusal, since a topic-filter takes no `#`.
    @Test("a topic-filter with a # is told it takes none, not to quote it")
    func topicFilterHash() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try "data-dir: /tmp/x\ntopic-filter: sensors/#\n".write(toFile: dir.file("gw.conf"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(configFile: dir.file("gw.conf"), environment: [:], flags: [:], defaultGatewayID: "h")
        }
        let text = try #require(error).description
        #expect(text.contains("a topic-filter takes no #, quoted or not") && !text.contains("quote the value"), "\(text)")
    }

    @Test("# is a comment only outside quotes; quotes keep #, : and spaces; \\\" and \\\\ in double quotes")
    func quoting() throws {
        let c = try Self.load(
            """
            # a comment line
              username: "op#1 : x"   # the name has a # in it
            gateway-id = 'gw-1'
            data-dir: /srv/gw # a comment after a plain value
            client-id: "say \\"hi\\" \\\\ ok"
            """)
        #expect(c.username == "op#1 : x")
        #expect(c.gatewayID == "gw-1")
        #expect(c.dataDirectory == "/srv/gw")
        #expect(c.clientID == #"say "hi" \ ok"#)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let open = try #require(try Self.failure("log-level: info\nusername: \"op#1\n", in: dir))
        #expect(open.description.hasPrefix("username (in \(dir.file("gateway.conf")), line 2)="), "\(open)")
        #expect(open.description.contains("not closed"))
        let attached = try #require(try Self.failure("log-level: info\nusername: line#3\n", in: dir))
        // The value, not the whole line, after the `=` (found black-box, 90th review).
        #expect(attached.description.hasPrefix("username (in \(dir.file("gateway.conf")), line 2)=line#3: "), "\(attached)")
        #expect(attached.description.contains("would cut the value to `line`"), "\(attached)")
        let filter = try #require(try Self.failure("topic-filter: sensors/#\n", in: dir))
        #expect(filter.description.hasPrefix("topic-filter (in \(dir.file("gateway.conf")), line 1)=sensors/#: "), "\(filter)")
        // A duration that comes to a fraction of a millisecond says so (90th review).
        let fraction = try #require(try Self.failure("late-horizon-s: 1.5ms\n", in: dir))
        #expect(fraction.description.contains("=1.5ms: comes to a fraction of a millisecond"), "\(fraction)")
        let trailing = try #require(try Self.failure("username: \"a\" b\n", in: dir))
        #expect(trailing.description.contains("line 1") && trailing.description.contains("after the quoted value"), "\(trailing)")
        #expect(trailing.exitStatus == .configuration)
    }

    @Test("every duration and size takes units in the file, the environment and flags; plain numbers keep their meaning")
    func units() throws {
        let c = try Self.load(
            """
            reorder-window-ms: 2s
            late-horizon-s: 2h
            aggregate-window-s: 1.5m
            sensor-retention-s: 30d
            future-tolerance-s: 3600
            snapshot-interval-ms: 1m
            replay-max-window-s: 90
            journal-max-bytes: 1.5GiB
            max-payload-bytes: 8KB
            """)
        #expect(c.engine.reorderWindowMs == 2000)
        #expect(c.engine.lateHorizonMs == 7_200_000)
        #expect(c.engine.aggregateWindowMs == 90_000)
        #expect(c.engine.sensorRetentionMs == Int64(2_592_000_000))
        #expect(c.engine.futureToleranceMs == 3_600_000)
        #expect(c.snapshotIntervalMs == 60_000)
        #expect(c.replay.maxWindowMs == 90_000)
        #expect(c.journalMaxBytes == 1_610_612_736)
        #expect(c.engine.maxPayloadBytes == 8000)
        // config show spells them back in the setting's own unit.
        let shown = Dictionary(uniqueKeysWithValues: c.effectiveSettings.map { ($0.name, $0.value) })
        #expect(shown["reorder-window-ms"] == "2000" && shown["late-horizon-s"] == "7200" && shown["aggregate-window-s"] == "90")
        #expect(shown["journal-max-bytes"] == "1610612736")

        for (name, text, expected) in [
            ("journal-max-bytes", "256MB", 256_000_000), ("journal-max-bytes", "256MiB", 256 << 20), ("journal-max-bytes", "256M", 256 << 20),
            ("journal-max-bytes", "2048KiB", 2 << 20), ("journal-max-bytes", "268435456", 256 << 20), ("max-payload-bytes", "64KiB", 65536),
            ("max-payload-bytes", "4096", 4096), ("max-payload-bytes", "1kb", 1000),
        ] {
            let flag = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [name: text], defaultGatewayID: "h")
            let env = try ConfigurationLoader.load(
                configFile: nil, environment: [ConfigurationLoader.environmentName(name): text], flags: [:], defaultGatewayID: "h")
            for got in [flag, env] {
                #expect((name == "journal-max-bytes" ? got.journalMaxBytes : got.engine.maxPayloadBytes) == expected, "\(name)=\(text)")
            }
        }
        for (name, text, ms) in [
            ("reorder-window-ms", "500ms", Int64(500)), ("reorder-window-ms", "1500", 1500), ("reorder-window-ms", "1.25s", 1250),
            ("late-horizon-s", "90", 90_000), ("late-horizon-s", "1h", 3_600_000), ("late-horizon-s", "1500ms", 1500),
        ] {
            let got = try ConfigurationLoader.load(
                configFile: nil, environment: [ConfigurationLoader.environmentName(name): text], flags: [:], defaultGatewayID: "h")
            #expect((name == "late-horizon-s" ? got.engine.lateHorizonMs : got.engine.reorderWindowMs) == ms, "\(name)=\(text)")
        }
        for (name, text) in [
            ("reorder-window-ms", "10 s"), ("reorder-window-ms", "1.0005s"), ("reorder-window-ms", "-5s"), ("reorder-window-ms", "5x"),
            ("reorder-window-ms", "1.5"), ("late-horizon-s", "2w"), ("journal-max-bytes", "256 MB"), ("journal-max-bytes", "1.5XB"),
            ("max-payload-bytes", "2MiB"), ("aggregate-window-s", "500ms"),
        ] {
            do {
                _ = try ConfigurationLoader.load(configFile: nil, environment: [:], flags: [name: text], defaultGatewayID: "h")
                Issue.record("\(name)=\(text) was accepted")
            } catch {
                #expect(error.description.hasPrefix("--\(name)=\(text): "), "\(error)")
            }
        }
    }

    @Test("a setting given twice is an error naming the file, both lines and the setting")
    func duplicates() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let error = try #require(try Self.failure("# gateway\nmax-fill: 7\nfill: locf\n\nmax_fill = 8\n", in: dir))
        #expect(error.description.hasPrefix("max-fill (in \(dir.file("gateway.conf")), line 5)=8: "), "\(error)")
        #expect(error.description.contains("line 2 (7)") && error.description.contains("line 5 (8)"), "\(error)")
        #expect(error.exitStatus == .configuration)
        let (code, output) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gateway.conf")], logPath: dir.file("check.log"))
        #expect(code == 78)
        #expect(output.contains("set twice, on line 2 (7) and line 5 (8)"), "\(output)")
        #expect(!output.contains("Fatal error"))
    }

    @Test("CRLF line endings and a byte-order mark read like LF; a bare CR is named")
    func lineEndings() throws {
        let c = try Self.load("\u{FEFF}# saved on Windows\r\nreorder-window-ms: 100\r\nfill: locf\r\nusername: \"a#b\"\r\n")
        #expect(c.engine.reorderWindowMs == 100)
        #expect(c.engine.fill == .locf)
        #expect(c.username == "a#b")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let error = try #require(try Self.failure("reorder-window-ms: 100\rfill: locf\r", in: dir))
        #expect(error.description.contains("line 1") && error.description.contains("carriage return"), "\(error)")
        // A CR ending the file, no LF after it (found black-box, 47th review: accepted silently).
        let last = try #require(try Self.failure("reorder-window-ms: 100\nfill: locf\r", in: dir))
        #expect(last.description.contains("line 2") && last.description.contains("carriage return"), "\(last)")
    }

    @Test("a bad value names the file, the line and the setting; config show says which line each came from")
    func errorsNameTheLine() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bad = try #require(try Self.failure("log-level: info\n\nfill: cubic\n", in: dir))
        #expect(bad.description.hasPrefix("fill (in \(dir.file("gateway.conf")), line 3)=cubic: expected linear, locf or distribution"))
        let unknown = try #require(try Self.failure("fill: locf\nreorder-window: 5s\n", in: dir))
        #expect(unknown.description.hasPrefix("reorder-window (in \(dir.file("gateway.conf")), line 2)=5s: unknown setting"), "\(unknown)")
        let noSeparator = try #require(try Self.failure("fill locf\n", in: dir))
        #expect(noSeparator.description.hasPrefix("config (in \(dir.file("gateway.conf")), line 1)=fill locf: expected `name: value`"))

        try "data-dir: /srv/gw\nlate-horizon-s: 2h\n".write(toFile: dir.file("good.conf"), atomically: true, encoding: .utf8)
        let (code, output) = try await GatewayProcess.runTool(["config", "show", "--config", dir.file("good.conf")], logPath: dir.file("show.log"))
        #expect(code == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("late-horizon-s") && $0.contains("7200") && $0.contains("(file \(dir.file("good.conf")), line 2)") }, "\(output)")
    }

    @Test("a config file over 1 MiB is refused unread, with a clear error (exit 78)")
    func sizeCap() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // 200 MB, sparse: created at once, and reading it whole would take 200 MB.
        let path = dir.file("huge.conf")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("fill: locf\n".utf8)))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 200_000_000)
        try handle.close()
        do {
            _ = try ConfigurationLoader.load(configFile: path, environment: [:], flags: [:], defaultGatewayID: "h")
            Issue.record("a 200 MB config file was accepted")
        } catch {
            #expect(error.description.hasPrefix("config (in \(path))=\(path): the config file is 200000000 bytes"), "\(error)")
            #expect(error.description.contains("1048576"))
            #expect(error.exitStatus == .configuration)
        }
        let (code, output) = try await GatewayProcess.runTool(["config", "check", "--config", path], logPath: dir.file("check.log"))
        #expect(code == 78)
        #expect(output.contains("refused unread"), "\(output)")
        do {
            _ = try ConfigurationLoader.load(configFile: dir.path, environment: [:], flags: [:], defaultGatewayID: "h")
            Issue.record("a folder was accepted as a config file")
        } catch {
            #expect(error.description.contains("it is a folder"), "\(error)")
        }
        do {
            _ = try ConfigurationLoader.load(configFile: dir.file("missing.conf"), environment: [:], flags: [:], defaultGatewayID: "h")
            Issue.record("a missing config file was accepted")
        } catch {
            #expect(error.description.contains("No such file or directory"), "\(error)")
        }
    }
}
