import Recovery

/// The HTML status page: one row per sensor with its last seq, last seen, counts by quality and
/// a small plot of its recent readings coloured by quality.
enum StatusPage {
    static let colours: [Quality: String] = [.ok: "#2e7d32", .corrected: "#f9a825", .synthetic: "#1565c0", .restated: "#6a1b9a", .gap: "#c62828"]

    static func render(_ s: GatewayStatusSnapshot, gatewayID: String, validRange: ClosedRange<Double>, loopAgeMs: Int64? = nil) -> String {
        var rows = ""
        for sensor in s.sensors {
            rows += "<tr><td>\(escape(sensor.sensorID))</td><td>\(sensor.stale ? "<b class=stale>stale</b>" : "live")</td>"
            rows += "<td>\(sensor.lastSeq.map(String.init) ?? "-")</td><td data-ms=\(sensor.lastSeen)>\(sensor.lastSeen)</td>"
            rows += "<td>\(sensor.ok)</td><td>\(sensor.corrected)</td><td>\(sensor.synthetic)</td><td>\(sensor.restated)</td><td>\(sensor.gaps)</td>"
            rows += "<td>\(sensor.duplicates)</td><td>\(sensor.deadLetters)</td><td>\(plot(sensor.recent, validRange))</td></tr>\n"
        }
        let legend = [Quality.ok, .corrected, .synthetic, .restated].map { "<span style=\"color:\(colours[$0]!)\">&#9679; \($0.rawValue)</span>" }.joined(separator: " ")
        return """
        <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
        <title>sensor-gateway \(escape(gatewayID))</title>
        <style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.stale{color:#c62828}.bad{color:#c62828}</style></head><body>
        <h1>sensor-gateway <small>\(escape(gatewayID))</small></h1>
        <p>Broker: \(s.connected ? "connected" : "<b class=bad>disconnected</b>") &middot; journal: \(s.journalWritable ? "writable" : "<b class=bad>failed</b>")
        &middot; received \(s.counters.received) &middot; dead letters \(s.counters.deadLetters) &middot; duplicates \(s.counters.duplicates)
        &middot; outbound waiting \(s.outboundWaiting), in flight \(s.outboundInFlight)
        &middot; journal room \(s.journalAppendableBytes / 1024) of \(s.journalCapacityBytes / 1024) KiB
        &middot; last loop turn \(loopAgeMs.map { "\($0) ms ago" } ?? "not yet")
        \(s.inputPause.map { "&middot; <b class=bad>input paused: \(escape($0))</b>" } ?? "")</p>
        <p>\(legend)</p>
        <table><tr><th>sensor</th><th>state</th><th>last seq</th><th>last seen</th><th>ok</th><th>corrected</th><th>synthetic</th><th>restated</th><th>gaps</th><th>duplicates</th><th>dead letters</th><th>recent readings</th></tr>
        \(rows)</table>
        <script>for(const td of document.querySelectorAll('td[data-ms]')){const ms=+td.dataset.ms;if(ms)td.textContent=new Date(ms).toISOString()}</script>
        </body></html>
        """
    }

    static func plot(_ points: [SensorSummary.Point], _ range: ClosedRange<Double>) -> String {
        guard !points.isEmpty else { return "" }
        let w = 240.0, h = 40.0
        let lo = min(range.lowerBound, points.map(\.value).min()!), hi = max(range.upperBound, points.map(\.value).max()!)
        let span = max(hi - lo, 0.001)
        var dots = ""
        for (i, p) in points.enumerated() {
            let x = points.count == 1 ? w / 2 : Double(i) / Double(points.count - 1) * (w - 4) + 2
            let y = h - 2 - (p.value - lo) / span * (h - 4)
            dots += "<circle cx=\"\(Int(x))\" cy=\"\(Int(y))\" r=\"1.8\" fill=\"\(colours[p.quality] ?? "#000")\"><title>seq \(p.seq): \(p.value) (\(p.quality.rawValue))</title></circle>"
        }
        let yMin = h - 2 - (range.lowerBound - lo) / span * (h - 4), yMax = h - 2 - (range.upperBound - lo) / span * (h - 4)
        return "<svg width=\"\(Int(w))\" height=\"\(Int(h))\"><rect x=0 y=\"\(Int(yMax))\" width=\"\(Int(w))\" height=\"\(max(1, Int(yMin - yMax)))\" fill=\"#eef5ee\"/>\(dots)</svg>"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
