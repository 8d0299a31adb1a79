import Foundation
import Recovery
import Testing
@testable import Gateway

@Suite("The status page at plant scale")
struct StatusPageTests {
    /// Built once, off the cooperative pool, for every test here.
    static let building = Task { await StatusFleet.build(sensors: 10_000) }

    @Test("10,000 sensors: stale first, then waiting for missing readings, then recently flagged, then the rest, each by id")
    func orderedByAttention() async throws {
        let fleet = await Self.building.value
        #expect(fleet.status.sensors.count == 10_000)
        let page = StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now)
        #expect(page.utf8.count < 250_000, "\(page.utf8.count) bytes")
        let rows = StatusFleet.rows(page)
        #expect(rows.map(\.id) == Array(fleet.expectedOrder.prefix(100)))
        #expect(rows.prefix(10).allSatisfy { $0.cells[1] == "stale" })
        #expect(rows.dropFirst(10).prefix(10).allSatisfy { $0.cells[1] == "waiting for seq \(StatusFleet.rounds - 2)" }, "\(rows[10].cells)")
        #expect(rows.dropFirst(20).allSatisfy { $0.cells[1].hasPrefix("synthetic ") || $0.cells[1].hasPrefix("corrected ") })
        #expect(page.contains("10 stale</a>") && page.contains("10 waiting for missing readings</a>"))
        #expect(page.contains("200 with flagged readings in the last 10 min</a>") && page.contains("9780 fine"))
        #expect(page.contains("page 1 of 100"))

        // The next page goes on with the flagged sensors, then the fine ones, by id.
        let second = StatusFleet.rows(StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now, query: .init(page: 2)))
        #expect(second.map(\.id) == Array(fleet.expectedOrder.dropFirst(200).prefix(100)))
        #expect(second.first?.id == "sensor-09005" && second[19].id == "sensor-09942")
        #expect(second.count == 100 && second[19].cells[1].hasPrefix("corrected ") && second[20].cells[1] == "live")
    }

    @Test("each row shows the current value with its unit, the age of the last reading and what needs attention")
    func rowContent() async throws {
        let fleet = await Self.building.value
        let rows = StatusFleet.rows(
            StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, unit: "°F", now: fleet.now, query: .init(queryString: "q=sensor-0133")))
        let byID = Dictionary(rows.map { ($0.id, $0.cells) }, uniquingKeysWith: { a, _ in a })
        let last = StatusFleet.rounds - 1
        // A fine sensor: its last reading, one second old (the round ended a second before now).
        let fine = try #require(byID["sensor-01334"])
        #expect(fine[2] == "\(StatusPage.formatted(StatusFleet.temperature(1334, last))) °F")
        #expect(fine[3] == "1 s ago" && fine[4] == "\(last)")
        // Waiting: the newest published value is two rounds back (one missing, one held).
        let waiting = try #require(byID["sensor-01333"])
        #expect(waiting[2] == "\(StatusPage.formatted(StatusFleet.temperature(1333, last - 2))) °F")
        #expect(waiting[1] == "waiting for seq \(last - 1)")
        #expect(rows.first?.id == "sensor-01333", "waiting sorts before the fine ones")
        // Stale: its last reading was 11 s ago.
        let stale = try #require(StatusFleet.rows(StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now)).first)
        #expect(stale.id == "sensor-00777" && stale.cells[3] == "11 s ago")
        // The unit given is the one shown, in values, the plot's heading and the legend.
        let page = StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, unit: "°F", now: fleet.now)
        #expect(page.contains("recent readings (°F)") && page.contains("the valid range, 50-55 °F") && !page.contains("°C"))
    }

    @Test("a corrected current value shows what the sensor sent beside the estimate (87th review)")
    func correctedShowsReceived() throws {
        let start: Int64 = 1_795_660_000_000
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        for seq in 0...5 {
            let value = seq == 5 ? 85.5 : 52.0
            let payload = "{\"seq\":\(seq),\"ts\":\(start + Int64(seq) * 1000),\"temperature\":\(value),\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/hot/temperature", payload: Array(payload.utf8), receivedAt: start + Int64(seq) * 1000, into: &out)
        }
        // No right-hand neighbour comes: after the reorder window seq 5 goes out corrected.
        engine.tick(now: start + 10_000, into: &out)
        var status = GatewayStatusSnapshot()
        status.restoring = false
        status.connected = true
        status.sensors = engine.summaries
        let row = try #require(StatusFleet.rows(StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: start + 10_000)).first)
        #expect(row.cells[2] == "52 °C corrected (received 85.5)", "\(row.cells)")
    }

    @Test("a flagged publication counts as recent for 10 minutes of receive time, then the sensor drops back among the rest")
    func recentWindow() async throws {
        let fleet = await Self.building.value
        let flagged = try #require(fleet.status.sensors.first { $0.sensorID == "sensor-00042" }?.lastFlagged)
        #expect(flagged.quality == .corrected)
        let later = fleet.now + Attention.recentWindowMs + 60_000
        let rows = StatusFleet.rows(StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: later, query: .init(queryString: "rows=40")))
        // Stale and waiting stay on top (they are states, not events); the flagged ones are now fine, by id.
        let onTop = Array(fleet.expectedOrder.prefix(20))
        let expected = onTop + (0..<40).map(StatusFleet.id).filter { !onTop.contains($0) }.prefix(20)
        #expect(rows.map(\.id) == expected)
    }

    @Test("filters: by id, by class (show=), rows per page bounded; bad values fall back to the defaults")
    func queries() async {
        let fleet = await Self.building.value
        func rows(_ q: String) -> [String] {
            StatusFleet.rows(StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now, query: .init(queryString: q))).map(\.id)
        }
        #expect(rows("show=attention&rows=500") == Array(fleet.expectedOrder.prefix(220)))
        #expect(rows("show=waiting") == (0..<10).map { StatusFleet.id($0 * 1000 + 333) })
        #expect(rows("show=stale&q=sensor-05") == ["sensor-05777"])
        #expect(rows("rows=100000").count == 500)
        #expect(rows("q=%00%ff").isEmpty, "an escape that is not UTF-8 filters, it does not show all")
        #expect(rows("rows=1").count == 10)
        #expect(rows("show=nonsense&page=-4&rows=x") == Array(fleet.expectedOrder.prefix(100)))
        #expect(StatusPage.Query(queryString: "q=a+b%26c&show=flagged&rows=20&page=3") == .init(filter: "a b&c", page: 3, show: .flagged, rows: 20))
        let last = StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now, query: .init(queryString: "page=999&q=%3Cb%3E"))
        #expect(last.contains("value=\"&lt;b&gt;\""))  // the filter is echoed escaped
        // Control characters are not echoed (found black-box: ?q=%00 put a NUL in the page).
        let control = StatusPage.render(fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now, query: .init(queryString: "q=a%00b%1Bc"))
        #expect(control.contains("value=\"a\u{FFFD}b\u{FFFD}c\"") && !control.unicodeScalars.contains { $0.value == 0 || $0.value == 0x1B })
        let paged = StatusPage.render(
            fleet.status, gatewayID: "gw", validRange: 50...55, now: fleet.now, query: .init(queryString: "show=attention&rows=50&page=1"))
        #expect(paged.contains("href=\"/?show=attention&amp;rows=50&amp;page=0\"") && paged.contains("page 2 of 5"))
        // The filter form keeps the class and the page size.
        #expect(paged.contains("name=\"show\" value=\"attention\"") && paged.contains("name=\"rows\" value=\"50\""))
    }

    @Test("the plot has a labelled y axis, the valid range as a band, and dots coloured by quality")
    func plotAxisAndBand() {
        let points = (0..<10).map { SensorSummaryPointFactory.point(seq: $0, value: 52 + Double($0) / 10, quality: $0 == 4 ? "synthetic" : "ok") }
        let svg = StatusPlot.svg(points, valid: 50...55, unit: "°C")
        // The readings span 52-52.9; both valid bounds are near, so the axis runs 50-56 in steps of 2.
        #expect(StatusPlot.axis(points.map(\.value), valid: 50...55) == .init(low: 50, high: 56, step: 2))
        let labels = svg.components(separatedBy: "<text class=\"tick\"").dropFirst().map { String($0.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" }) }
        #expect(labels == ["50", "52", "54", "56"])
        #expect(svg.contains("<rect class=\"valid\""))
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2, "both valid bounds drawn")
        #expect(svg.contains("stroke=\"#0072B2\"") && svg.contains("stroke=\"#222222\""))
        #expect(svg.contains("<title>10 readings, 52-52.9 °C; valid 50-55 °C</title>"))
        // A far bound does not flatten the readings: the axis fits them.
        #expect(StatusPlot.axis([20.1, 20.4, 21], valid: -40...150) == .init(low: 20, high: 21, step: 0.5))
        #expect(StatusPlot.axis([20, 20, 20], valid: -40...150).ticks.count >= 2)
    }

    @Test(
        "readings and ranges at the ends of what a Double holds are drawn at the plot's edges, never a trap (found black-box: 0 and 1e300 killed the gateway)",
        arguments: [(0.0, 1e300, 0...1e300), (-1e308, 1e308, -1e308...1e308), (0, 1e155, 0...100), (Double.leastNonzeroMagnitude, 1e-300, 0...1e-300)])
    func extremeValues(a: Double, b: Double, valid: ClosedRange<Double>) {
        let points = [a, b, a].enumerated().map { SensorSummaryPointFactory.point(seq: $0.offset, value: $0.element) }
        let svg = StatusPlot.svg(points, valid: valid, unit: "x")
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(StatusPlot.axis(points.map(\.value), valid: valid).ticks.count <= StatusPlot.Axis.maxTicks + 1)
    }

    @Test("a quality without a colour is drawn in a neutral colour, never a crash")
    func missingColour() {
        let points = (0..<3).map { SensorSummaryPointFactory.point(seq: $0, value: 52, quality: "restated") }
        let svg = StatusPlot.svg(points, valid: 50...55, unit: "°C", palette: [:])
        #expect(svg.contains("stroke=\"\(QualityPalette.neutral)\""))
        #expect(QualityPalette.legend(in: [.ok: "#000"]).contains("color:\(QualityPalette.neutral)\">&#9679; restated"))
        #expect(QualityPalette.colour(.gap, in: [:]) == QualityPalette.neutral)
    }

    @Test("readings published out of time order (a restatement, a new epoch after a backlog) are all drawn inside the plot")
    func plotOutOfOrder() {
        let points = [5, 6, 7, 0, 1, 9].map { SensorSummaryPointFactory.point(seq: $0) }
        let svg = StatusPlot.svg(points, valid: 50...55, unit: "°C")
        let dots = svg.components(separatedBy: "stroke=\"#222222\"").first?.components(separatedBy: "<path d=\"").last ?? ""
        let xs = dots.components(separatedBy: "M").dropFirst().compactMap { Int($0.prefix { $0 != " " }) }
        #expect(xs.count == 6)
        #expect(xs.allSatisfy { Double($0) >= StatusPlot.plotLeft && Double($0) <= StatusPlot.plotRight }, "\(xs)")
    }

    @Test("the plot's x axis is event time: a long gap shows as space, not as evenly spaced dots")
    func plotAgainstTime() {
        let points = [0, 1, 2, 500, 501].map { SensorSummaryPointFactory.point(seq: $0) }
        let svg = StatusPlot.svg(points, valid: 50...55, unit: "°C")
        let dots = svg.components(separatedBy: "stroke=\"#222222\"").first?.components(separatedBy: "<path d=\"").last ?? ""
        // Readings 0-2 are crowded at the left edge; 500 and 501 at the right.
        let xs = dots.components(separatedBy: "M").dropFirst().compactMap { Int($0.prefix { $0 != " " }) }
        #expect(xs.sorted() == [41, 42, 42, 292, 293])
    }

    @Test("a sensor whose every message was dead-lettered is listed as such, after the waiting ones, with no last reading (it was \"live\" at the bottom)")
    func onlyDeadLetters() throws {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        let t: Int64 = 1_795_660_000_000
        for i in Int64(0)..<3 {
            engine.ingest(topic: "sensors/junk-1/temperature", payload: Array("not a reading".utf8), receivedAt: t + i * 1000, into: &out)
            let good = "{\"seq\":\(i),\"ts\":\(t + i * 1000),\"temperature\":52.5,\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/good-1/temperature", payload: Array(good.utf8), receivedAt: t + i * 1000, into: &out)
            engine.tick(now: t + i * 1000 + 999, into: &out)
        }
        // A sensor that sent good readings and then only bad ones is not "rejected": it goes stale.
        engine.ingest(topic: "sensors/good-1/temperature", payload: Array("still not a reading".utf8), receivedAt: t + 3000, into: &out)
        var status = GatewayStatusSnapshot()
        status.restoring = false
        status.sensors = engine.summaries
        let now = t + 4000
        let page = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: now)
        let rows = StatusFleet.rows(page)
        #expect(rows.map(\.id) == ["junk-1", "good-1"])
        let junk = try #require(rows.first)
        #expect(junk.cells[1] == "only dead letters (dlq/)" && junk.cells[3] == "none" && junk.cells[11] == "3", "\(junk.cells)")
        #expect(rows.last?.cells[1] == "live" && rows.last?.cells[3] == "2 s ago", "\(rows)")
        #expect(page.contains("1 sending only input that is dead-lettered</a>"))
        let only = StatusFleet.rows(StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: now, query: .init(queryString: "show=rejected")))
        #expect(only.map(\.id) == ["junk-1"])
        let attention = StatusFleet.rows(StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: now, query: .init(queryString: "show=attention")))
        #expect(attention.map(\.id) == ["junk-1"])
    }

    @Test("values and durations as people read them")
    func formatting() {
        #expect(StatusPage.formatted(52.47) == "52.47" && StatusPage.formatted(52.5) == "52.5" && StatusPage.formatted(52) == "52")
        #expect(StatusPage.formatted(-0.001) == "0" && StatusPage.formatted(-3.25) == "-3.25")
        #expect(StatusRow.age(4_200) == "4 s" && StatusRow.age(720_000) == "12 min" && StatusRow.age(11_100_000) == "3 h 5 min")
        #expect(StatusRow.age(-5) == "0 s" && StatusRow.age(2 * 86_400_000 + 4 * 3_600_000) == "2 d 4 h")
    }
}

/// Builds plot points (the summary type's memberwise init is internal to Recovery).
enum SensorSummaryPointFactory {
    static func point(seq: Int, value: Double = 52.5, quality: String = "ok") -> SensorSummary.Point {
        let json = "{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + Int64(seq) * 1000),\"value\":\(value),\"quality\":\"\(quality)\"}"
        return try! JSONDecoder().decode(SensorSummary.Point.self, from: Data(json.utf8))
    }
}
