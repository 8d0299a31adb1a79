import Wire
import Foundation
import Testing
import TestSupport

/// The status page as a browser shows it: Debian's headless Chromium loads it from a running
/// gateway, runs its script, and saves a screenshot (kept with SENSOR_GATEWAY_KEEP_TEST_DATA).
@Suite("The status page in a browser")
struct StatusPageBrowserTests {
    static let chromium = "/usr/bin/chromium"

    /// Runs headless Chromium with `arguments` on `url`; returns what it wrote (stdout and stderr).
    static func chromium(_ arguments: [String], _ url: String, in dir: TemporaryDirectory, log: String) throws -> (status: Int32?, output: String) {
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(dir.file("profile"))",
            "--enable-logging=stderr", "--v=0", "--window-size=1400,900",
        ]
        let child = try ChildProcess(chromium, flags + arguments + [url], logPath: dir.file(log))
        child.waitBlocking()
        return (child.exitCode, child.output)
    }

    @Test("a real gateway's page loads without console errors, its script formats times, and it plots every quality")
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
        try await waitUntil("the page to show the readings") { (try? await HTTPGet.fetch(port: port, path: "/"))?.body.contains("<td>kiln-1</td>") == true }

        let dir = try TemporaryDirectory(prefix: "status-page-browser")
        defer {
            if ProcessInfo.processInfo.environment["SENSOR_GATEWAY_KEEP_TEST_DATA"] != nil {
                FileHandle.standardError.write(Data("status page screenshot kept in \(dir.file("status.png"))\n".utf8))
            } else {
                dir.remove()
            }
        }
        let dom = try Self.chromium(["--dump-dom"], url, in: dir, log: "dom.log")
        #expect(dom.status == 0, "\(dom.output.suffix(2000))")
        // The script ran: times are shown as ISO 8601, not as the raw milliseconds.
        #expect(
            dom.output.range(of: #"data-ms="\d+">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"#, options: .regularExpression) != nil,
            "times not formatted: \(dom.output.suffix(3000))")
        // One plot line per quality present, in the palette's colours.
        #expect(dom.output.contains("<svg"))
        let paths = dom.output.components(separatedBy: "<path").count - 1
        #expect(paths >= 3, "\(paths) plot paths: ok, corrected and synthetic expected")
        // Chromium reports page errors on stderr as console messages.
        let consoleErrors = dom.output.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")

        let shot = try Self.chromium(["--screenshot=\(dir.file("status.png"))"], url, in: dir, log: "shot.log")
        #expect(shot.status == 0, "\(shot.output.suffix(2000))")
        let png = FileManager.default.contents(atPath: dir.file("status.png")) ?? Data()
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")
        #expect(try await scenario.finish() == 0)
    }
}
