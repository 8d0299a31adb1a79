import Foundation
import Logging
import Recovery
import Testing
import TestSupport
import Wire
@testable import Gateway

/// The status page as a browser shows it: Debian's headless Chromium loads it, runs its script,
/// and saves a screenshot (kept, and its path printed, with SENSOR_GATEWAY_KEEP_TEST_DATA).
@Suite("The status page in a browser")
struct StatusPageBrowserTests {
    static let chromium = "/usr/bin/chromium"

    /// Runs headless Chromium with `arguments` on `url`; returns what it wrote (stdout and stderr).
    static func chromium(_ arguments: [String], _ url: String, in dir: TemporaryDirectory, log: String) throws -> (status: Int32?, output: String) {
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(dir.file("profile"))",
            "--enable-logging=stderr", "--v=0", "--window-size=1400,1000", "--hide-scrollbars",
        ]
        let child = try ChildProcess(chromium, flags + arguments + [url], logPath: dir.file(log))
        child.waitBlocking()
        return (child.exitCode, child.output)
    }

    /// Page errors and console messages Chromium reported on stderr.
    static func consoleErrors(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
    }

    /// A folder for Chromium's profile and the screenshot, removed unless asked to keep it.
    static func keptDirectory(_ prefix: String) throws -> (TemporaryDirectory, cleanUp: @Sendable () -> Void) {
        let dir = try TemporaryDirectory(prefix: prefix)
        return (
            dir,
            {
                if ProcessInfo.processInfo.environment["SENSOR_GATEWAY_KEEP_TEST_DATA"] != nil {
                    FileHandle.standardError.write(Data("status page screenshot kept in \(dir.file("status.png"))\n".utf8))
                } else {
                    dir.remove()
                }
            }
        )
    }

    static func expectScreenshot(_ url: String, in dir: TemporaryDirectory) throws {
        let shot = try chromium(["--screenshot=\(dir.file("status.png"))"], url, in: dir, log: "shot.log")
        #expect(shot.status == 0, "\(shot.output.suffix(2000))")
        let png = FileManager.default.contents(atPath: dir.file("status.png")) ?? Data()
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")
    }

    /// The tick labels of each plot in `html`, in order.
    static func tickLabels(_ html: String) -> [[String]] {
        html.components(separatedBy: "<svg").dropFirst().map { svg in
            svg.components(separatedBy: "<text class=\"tick\"").dropFirst().map { String($0.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" }) }
        }
    }

    @Test("a real gateway's page loads without console errors: current value and unit, the flagged sensor, an axis, every quality")
    func loadsInChromium() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            Issue.record("chromium is not installed: run scripts/setup.sh --tests (Debian's chromium package)")
            return
        }
        let port = LoopbackNetwork.freePort()
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--http", "127.0.0.1:\(port)"], answersResends: false)
        defer { scenario.cleanUp() }
        // ok readings, one out of range (corrected) and one never sent (synthetic once the window closes).
        for seq in UInt64(0)..<12 {
            try scenario.fleet.measure(
                "kiln-1", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: seq == 4 ? 80 : 52 + Double(seq % 3) / 2,
                deliver: seq != 7)
        }
        try await scenario.watcher.recorder.wait(for: "12 cleaned readings") { $0.messages.compactMap(CleanedReading.init).count >= 12 }
        let url = "http://127.0.0.1:\(port)/"
        try await waitUntil("the page to show the readings") {
            (try? await HTTPGet.fetch(port: port, path: "/"))?.body.contains("<td class=\"value\">53 \(Measured.unit)</td>") == true
        }

        let (dir, cleanUp) = try Self.keptDirectory("status-page-browser")
        defer { cleanUp() }
        let dom = try Self.chromium(["--dump-dom"], url, in: dir, log: "dom.log")
        #expect(dom.status == 0, "\(dom.output.suffix(2000))")
        // The script ran: each last-reading cell carries its time as ISO 8601.
        #expect(
            dom.output.range(of: #"data-ms="\d+" title="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"#, options: .regularExpression) != nil,
            "times not formatted: \(dom.output.suffix(3000))")
        let row = try #require(StatusFleet.rows(dom.output).first)
        #expect(row.id == "kiln-1")
        // Flagged (a correction and a fill), or already stale: the burst's period is milliseconds, so
        // the sensor is stale once 4 s (two reorder windows) pass without a reading.
        #expect(row.cells[1].range(of: #"^(stale|(synthetic|corrected) \d+ s ago)$"#, options: .regularExpression) != nil, "\(row.cells)")
        #expect(row.cells[2] == "53 \(Measured.unit)" && row.cells[4] == "11")
        #expect(row.cells[6] == "1" && row.cells[7] == "1", "one corrected, one synthetic: \(row.cells)")
        #expect(Self.tickLabels(dom.output) == [["50", "52", "54", "56"]])
        // One plot line per quality present, in the palette's colours.
        for quality in [Recovery.Quality.ok, .corrected, .synthetic] {
            #expect(dom.output.contains("stroke=\"\(QualityPalette.colour(quality))\" stroke-width"), "\(quality) not plotted")
        }
        #expect(Self.consoleErrors(dom.output).isEmpty, "\(Self.consoleErrors(dom.output))")
        try Self.expectScreenshot(url, in: dir)
        #expect(try await scenario.finish() == 0)
    }

    @Test("10,000 sensors: the page loads without console errors, stale and waiting sensors first, values, units and axes shown")
    func tenThousandSensors() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            Issue.record("chromium is not installed: run scripts/setup.sh --tests (Debian's chromium package)")
            return
        }
        // The fleet's last round ends now, so the page's clock (the wall clock) sees it as live.
        let fleet = await StatusFleet.build(sensors: 10_000, endingAt: Int64(Date().timeIntervalSince1970 * 1000))
        let board = StatusBoard()
        board.update(fleet.status)
        let port = LoopbackNetwork.freePort()
        let endpoint = HTTPEndpoint(
            host: "127.0.0.1", port: port, logger: Logger(label: "status-page-test"),
            handler: GatewayHTTP.handler(status: board, configuration: GatewayConfiguration(gatewayID: "edge-10k")))
        let server = Task { try await endpoint.run() }
        try await waitUntil("the HTTP endpoint", timeout: .seconds(600)) { (try? await HTTPGet.fetch(port: port, path: "/healthz")) != nil }
        let (dir, cleanUp) = try Self.keptDirectory("status-page-10k")
        defer { cleanUp() }
        let url = "http://127.0.0.1:\(port)/"

        let dom = try Self.chromium(["--dump-dom"], url, in: dir, log: "dom.log")
        #expect(dom.status == 0, "\(dom.output.suffix(2000))")
        #expect(Self.consoleErrors(dom.output).isEmpty, "\(Self.consoleErrors(dom.output))")
        let rows = StatusFleet.rows(dom.output)
        #expect(rows.count == 100)
        // The order: the 10 stale sensors, the 10 waiting ones, then the recently flagged, by id.
        #expect(rows.map(\.id) == Array(fleet.expectedOrder.prefix(100)))
        #expect(rows.prefix(10).allSatisfy { $0.cells[1] == "stale" })
        #expect(rows.dropFirst(10).prefix(10).allSatisfy { $0.cells[1] == "waiting for seq \(StatusFleet.rounds - 2)" })
        #expect(rows.dropFirst(20).allSatisfy { $0.cells[1].range(of: #"^(synthetic|corrected) \d+ (s|min) ago$"#, options: .regularExpression) != nil })
        // Current values with their unit: the stale sensor's last reading was round 29, the waiting one's last published round 37.
        let unit = Measured.unit
        #expect(rows[0].cells[2] == "\(StatusPage.formatted(StatusFleet.temperature(777, StatusFleet.rounds - 11))) \(unit)", "\(rows[0].cells)")
        #expect(rows[10].cells[2] == "\(StatusPage.formatted(StatusFleet.temperature(333, StatusFleet.rounds - 3))) \(unit)", "\(rows[10].cells)")
        #expect(rows.allSatisfy { $0.cells[3].range(of: #"^\d+ (s|min) ago$"#, options: .regularExpression) != nil })
        // Every plot has a labelled y axis and the valid range drawn.
        let ticks = Self.tickLabels(dom.output)
        #expect(ticks.count == 100 && ticks.allSatisfy { $0.count >= 2 && $0.allSatisfy { Double($0) != nil } })
        #expect(ticks.first == ["50", "52", "54", "56"])
        #expect(dom.output.components(separatedBy: "<rect class=\"valid\"").count - 1 == 100)
        #expect(dom.output.contains("10 stale</a>") && dom.output.contains("page 1 of 100"))
        #expect(dom.output.range(of: #"title="\d{4}-\d\d-\d\dT"#, options: .regularExpression) != nil, "the script did not run")

        try Self.expectScreenshot(url, in: dir)
        server.cancel()
        _ = await server.result
    }
}
