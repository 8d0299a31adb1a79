import Foundation
import Recovery
import Wire

/// The HTML status page: the gateway's state, then one row per sensor (`StatusRow`) with its
/// current value and unit, the age of its last reading, its counts by quality and a plot of its
/// recent readings (`StatusPlot`).
///
/// Ordered by what needs attention now (`Attention`): stale sensors, then those waiting for
/// missing readings, then those with a flagged publication in the last 10 minutes, then the
/// rest, each by id. Built for thousands of sensors: at most `Query.rowsRange.upperBound` rows a
/// page (100 by default), with filters on the id and the class (`Query`), so the page stays
/// small whatever the fleet; its cost is one pass over the fleet and a sort.
enum StatusPage {
    /// The page for the reader's `query`, as of `now` (epoch ms on the journal's timeline: the
    /// wall clock minus `GatewayStatusSnapshot.clockOffsetMs`, the clock of `lastSeen`).
    /// The range between `a` and `b`, whichever is lower.
    static func range(_ a: Double, _ b: Double) -> ClosedRange<Double> { Swift.min(a, b)...Swift.max(a, b) }

    static func render(
        _ s: GatewayStatusSnapshot, gatewayID: String, validRange: ClosedRange<Double>, unit: String = Measured.unit, now: Int64,
        loopAgeMs: Int64? = nil, query: Query = Query(), overrides: [SensorOverride] = [], measurements: [MeasurementDefinition] = []
    ) -> String {
        var counts = [Int](repeating: 0, count: Attention.allCases.count)
        var matching: [(Attention, SensorSummary)] = []
        for sensor in s.sensors {
            let attention = Attention(sensor, now: now)
            counts[attention.rawValue] += 1
            guard query.show.includes(attention), query.filter.isEmpty || sensor.sensorID.contains(query.filter) else { continue }
            matching.append((attention, sensor))
        }
        matching = Attention.pageOrder(matching)
        let pages = max(1, (matching.count + query.rows - 1) / query.rows)
        let page = min(query.page, pages - 1)
        let shown = matching.dropFirst(page * query.rows).prefix(query.rows)
        var rows = ""
        rows.reserveCapacity(shown.count * 1400)
        for (attention, sensor) in shown {
            // Another measurement's stream in its own unit and range; a stream an override names
            // against its own range.
            // (Bounds ordered here, not trusted: a page is never worth a trap.)
            var (low, high, shownUnit) = (validRange.lowerBound, validRange.upperBound, unit)
            if let name = sensor.measurement, let m = measurements.first(where: { $0.name == name }) {
                (low, high, shownUnit) = (m.validMin, m.validMax, m.unit)
            }
            if let own = overrides.first(where: { $0.measurement == sensor.measurement && $0.pattern.matches(sensor.sensorID) }) {
                (low, high) = (own.validMin ?? low, own.validMax ?? high)
            }
            rows += StatusRow.html(sensor, attention, now: now, valid: Self.range(low, high), unit: shownUnit)
        }
        func link(_ href: String, _ label: String) -> String { "<a href=\"\(escape(href))\">\(label)</a>" }
        let classes = Attention.allCases.map { a in
            let text = "\(counts[a.rawValue]) \(a.heading)"
            return counts[a.rawValue] > 0 && a != .fine
                ? "<b class=\"\(a.queryValue)\">\(link(query.link(page: 0, show: .init(rawValue: a.queryValue)), text))</b>" : text
        }
        let navigation =
            (page > 0 ? link(query.link(page: page - 1), "&larr; previous") + " " : "") + "page \(page + 1) of \(pages)"
            + (page + 1 < pages ? " " + link(query.link(page: page + 1), "next &rarr;") : "")
        let showing = query.show == .all ? "" : " (\(query.show.rawValue) only, \(link(query.link(page: 0, show: .all), "show all")))"
        let range = "\(formatted(validRange.lowerBound))-\(formatted(validRange.upperBound)) \(escape(unit))"
        return """
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>sensor-gateway \(escape(gatewayID))</title>
            <style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:14px}td,th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}
            th{font-size:12px;vertical-align:bottom}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
            td:first-child,td.value,td:nth-child(4){white-space:nowrap}td:nth-child(2){min-width:9em}td.value{font-weight:bold}
            .bad,b.stale a,b.rejected a{color:#D55E00}.wait,b.waiting a{color:#0072B2}b.flagged a{color:#A66F00}tr.stale td:first-child{border-left:4px solid #D55E00}
            tr.waiting td:first-child{border-left:4px solid #0072B2}tr.rejected td:first-child{border-left:4px solid #D55E00}tr.flagged td:first-child{border-left:4px solid #E69F00}</style></head><body>
            <h1>sensor-gateway <small>\(escape(gatewayID))</small></h1>
            <p>Broker: \(s.connected ? "connected" : "<b class=bad>disconnected</b>") &middot; journal: \(s.journalUsable ? "writable" : "<b class=bad>failed</b>")
            &middot; received \(s.counters.received) &middot; dead letters \(s.counters.deadLetters) &middot; duplicates \(s.counters.duplicates)
            &middot; outbound waiting \(s.outboundWaiting), in flight \(s.outboundInFlight)
            &middot; journal room \(s.journalAppendableBytes / 1024) of \(s.journalCapacityBytes / 1024) KiB
            &middot; last loop turn \(loopAgeMs.map { "\($0) ms ago" } ?? "not yet")
            \(s.inputPause.map { "&middot; <b class=bad>input paused: \(escape($0))</b>" } ?? "")</p>
            <p>Sensors: \(s.sensors.count) tracked: \(classes.joined(separator: ", ")); \(s.counters.expired) expired, \(s.counters.evicted) evicted at the cap.</p>
            <p>Showing \(shown.count) of \(matching.count)\(query.filter.isEmpty ? "" : " matching")\(showing), those needing attention first:
            stale, then waiting for missing readings, then sending only input that is dead-lettered, then flagged (corrected, synthetic, gap or restated) in the last \(Attention.recentWindowMs / 60_000) min, then the rest; by id within each.
            <form style="display:inline" method="get" action="/"><input name="q" placeholder="sensor id contains"
            value="\(escape(query.filter))"><input type="hidden" name="show" value="\(query.show.rawValue)"><input type="hidden" name="rows" value="\(query.rows)"> <button>filter</button></form> \(navigation)</p>
            <p>\(QualityPalette.legend()) &middot; shaded band: the valid range, \(range)\(overrides.isEmpty ? "" : " (the sensors of a per-sensor range: their own)") &middot; x axis: event time of the last \(SensorSummary.recentCapacity) readings</p>
            <table>\(StatusRow.headings(unit: unit))
            \(rows)</table>
            <script>for(const td of document.querySelectorAll('td[data-ms]')){const ms=+td.dataset.ms;if(ms)td.title=new Date(ms).toISOString()}</script>
            </body></html>
            """
    }

    /// A value with at most two decimals: `52.47`, `52.5`, `52`.
    static func formatted(_ v: Double) -> String {
        guard v.isFinite else { return String(v) }
        let text = String(format: "%.2f", v)
        guard text.contains(".") else { return text }
        let trimmed = String(text.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed())
        return trimmed == "-0" ? "0" : trimmed
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // Control characters (a NUL from `?q=%00`) have no place in HTML text: U+FFFD instead.
            case _ where c.value < 0x20 && c != "\t" && c != "\n", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
