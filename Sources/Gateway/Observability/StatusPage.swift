import Foundation
import Recovery

/// The HTML status page: the gateway's state, then one row per sensor with its last seq, last
/// seen, counts by quality and a small plot of its recent readings coloured by quality.
///
/// Built for thousands of sensors: rows are sorted with the sensors that need attention first
/// (stale, then most estimates, gaps and dead letters), at most `Query.pageSize` per page, with a
/// filter on the sensor id, so the page stays small (about 90 KB) whatever the fleet.
enum StatusPage {
    /// Okabe-Ito colours, told apart also with colour-blindness: ok is black, not green beside blue.
    static let colours: [Quality: String] = [.ok: "#222222", .corrected: "#E69F00", .synthetic: "#0072B2", .restated: "#CC79A7", .gap: "#D55E00"]

    /// What the reader asked for: `/?q=press&page=2`.
    struct Query: Equatable {
        static let pageSize = 100
        var filter = ""
        var page = 0

        init(filter: String = "", page: Int = 0) {
            self.filter = filter
            self.page = page
        }

        /// Parses the query string of `/` (unknown keys are ignored, bad numbers mean page 0).
        init(queryString: String) {
            for pair in queryString.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                let value = (parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "").prefix(200)
                switch parts[0] {
                case "q": filter = String(value)
                case "page": page = max(0, Int(value) ?? 0)
                default: break
                }
            }
        }
    }

    static func render(
        _ s: GatewayStatusSnapshot, gatewayID: String, validRange: ClosedRange<Double>, loopAgeMs: Int64? = nil,
        query: Query = Query()
    ) -> String {
        let matching = s.sensors.filter { query.filter.isEmpty || $0.sensorID.contains(query.filter) }
            .sorted(by: needsAttentionFirst)
        let pages = max(1, (matching.count + Query.pageSize - 1) / Query.pageSize)
        let page = min(query.page, pages - 1)
        let shown = matching.dropFirst(page * Query.pageSize).prefix(Query.pageSize)
        var rows = ""
        rows.reserveCapacity(shown.count * 900)
        for sensor in shown {
            rows += "<tr><td>\(escape(sensor.sensorID))</td><td>\(sensor.stale ? "<b class=bad>stale</b>" : "live")</td>"
            rows += "<td>\(sensor.lastSeq.map(String.init) ?? "-")</td><td data-ms=\(sensor.lastSeen)>\(sensor.lastSeen)</td>"
            let o = sensor.output
            rows += "<td>\(o.ok)</td><td>\(o.corrected)</td><td>\(o.synthetic)</td><td>\(o.restated)</td><td>\(o.gaps)</td>"
            rows += "<td>\(sensor.duplicates)</td><td>\(sensor.deadLetters)</td><td>\(plot(sensor.recent, validRange))</td></tr>\n"
        }
        let stale = s.sensors.count { $0.stale }
        let legend =
            [Quality.ok, .corrected, .synthetic, .restated].map { "<span style=\"color:\(colours[$0]!)\">&#9679; \($0.rawValue)</span>" }
            .joined(separator: " ") + " &middot; shaded: the valid range; x axis: event time of the last \(SensorSummary.recentCapacity) readings"
        func link(_ p: Int, _ label: String) -> String {
            "<a href=\"/?q=\(escape(percentEncode(query.filter)))&amp;page=\(p)\">\(label)</a>"
        }
        let navigation =
            (page > 0 ? link(page - 1, "&larr; previous") + " " : "") + "page \(page + 1) of \(pages)"
            + (page + 1 < pages ? " " + link(page + 1, "next &rarr;") : "")
        return """
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>sensor-gateway \(escape(gatewayID))</title>
            <style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
            td:first-child,th:first-child{text-align:left}.bad{color:#D55E00}</style></head><body>
            <h1>sensor-gateway <small>\(escape(gatewayID))</small></h1>
            <p>Broker: \(s.connected ? "connected" : "<b class=bad>disconnected</b>") &middot; journal: \(s.journalWritable ? "writable" : "<b class=bad>failed</b>")
            &middot; received \(s.counters.received) &middot; dead letters \(s.counters.deadLetters) &middot; duplicates \(s.counters.duplicates)
            &middot; outbound waiting \(s.outboundWaiting), in flight \(s.outboundInFlight)
            &middot; journal room \(s.journalAppendableBytes / 1024) of \(s.journalCapacityBytes / 1024) KiB
            &middot; last loop turn \(loopAgeMs.map { "\($0) ms ago" } ?? "not yet")
            \(s.inputPause.map { "&middot; <b class=bad>input paused: \(escape($0))</b>" } ?? "")</p>
            <p>Sensors: \(s.sensors.count) tracked, \(stale > 0 ? "<b class=bad>\(stale) stale</b>" : "none stale"), \(s.counters.expired) expired, \(s.counters.evicted) evicted at the cap.
            Showing \(shown.count) of \(matching.count)\(query.filter.isEmpty ? "" : " matching"), those needing attention first (stale, then most
            estimates, gaps and dead letters). <form style="display:inline" method="get" action="/"><input name="q" placeholder="sensor id contains"
            value="\(escape(query.filter))"> <button>filter</button></form> \(navigation)</p>
            <p>\(legend)</p>
            <table><tr><th>sensor</th><th>state</th><th>last seq</th><th>last seen</th><th>ok</th><th>corrected</th><th>synthetic</th><th>restated</th><th>gaps</th><th>duplicates</th><th>dead letters</th><th>recent readings</th></tr>
            \(rows)</table>
            <script>for(const td of document.querySelectorAll('td[data-ms]')){const ms=+td.dataset.ms;if(ms)td.textContent=new Date(ms).toISOString()}</script>
            </body></html>
            """
    }

    /// Stale first, then the most estimates, gaps and dead letters, then by id.
    static func needsAttentionFirst(_ a: SensorSummary, _ b: SensorSummary) -> Bool {
        func trouble(_ s: SensorSummary) -> Int { s.output.corrected + s.output.synthetic + s.output.gaps + s.deadLetters }
        if a.stale != b.stale { return a.stale }
        let (ta, tb) = (trouble(a), trouble(b))
        if ta != tb { return ta > tb }
        return a.sensorID < b.sensorID
    }

    /// Recent readings against their event time (so a long gap shows as space), scaled to the
    /// readings themselves with the valid range shaded; one path per quality keeps it small.
    static func plot(_ points: [SensorSummary.Point], _ range: ClosedRange<Double>) -> String {
        guard let first = points.first, let last = points.last else { return "" }
        let w = 240.0, h = 40.0
        var lo = points.map(\.value).min()!, hi = points.map(\.value).max()!
        if hi - lo < 0.5 { lo -= 0.25; hi += 0.25 }
        let span = hi - lo
        let t0 = Double(first.ts), tSpan = max(1, Double(last.ts) - t0)
        func y(_ v: Double) -> Double { h - 2 - (v - lo) / span * (h - 4) }
        var paths: [Quality: String] = [:]
        for p in points {
            let x = points.count == 1 ? w / 2 : (Double(p.ts) - t0) / tSpan * (w - 4) + 2
            paths[p.quality, default: ""] += "M\(Int(x.rounded())) \(Int(y(p.value).rounded()))h0"
        }
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\">"
        let bandTop = max(0, min(h, y(range.upperBound))), bandBottom = max(0, min(h, y(range.lowerBound)))
        if bandBottom > bandTop {
            svg += "<rect x=0 y=\"\(Int(bandTop))\" width=\"\(Int(w))\" height=\"\(Int(bandBottom - bandTop))\" fill=\"#eef2f5\"/>"
        }
        for (quality, d) in paths.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            svg += "<path d=\"\(d)\" stroke=\"\(colours[quality] ?? "#000")\" stroke-width=\"3.5\" stroke-linecap=\"round\"/>"
        }
        return svg + "<title>\(points.count) readings, \(formatted(lo))-\(formatted(hi)) °C</title></svg>"
    }

    private static func formatted(_ v: Double) -> String { String((v * 100).rounded() / 100) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func percentEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
