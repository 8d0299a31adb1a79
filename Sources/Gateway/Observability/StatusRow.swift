import Foundation
import Recovery

/// One sensor's row on the status page: id, what needs attention, its current value and unit,
/// the age of its last reading, its counts and its plot.
enum StatusRow {
    /// The columns' headings, in the order `html` writes the cells.
    static func headings(unit: String) -> String {
        let names = [
            "sensor", "attention", "current value", "last reading", "last seq", "ok", "corrected", "synthetic", "restated", "gaps",
            "dupli&shy;cates", "dead letters", "recent readings (\(StatusPage.escape(unit)))",
        ]
        return "<tr>" + names.map { "<th>\($0)</th>" }.joined() + "</tr>"
    }

    static func html(
        _ sensor: SensorSummary, _ attention: Attention, now: Int64, valid: ClosedRange<Double>, unit: String,
        palette: [Quality: String] = QualityPalette.colours
    ) -> String {
        let recent = sensor.recent
        let measurement = sensor.measurement.map { " <small>\(StatusPage.escape($0))</small>" } ?? ""
        var row = "<tr class=\"\(attention.queryValue)\"><td>\(StatusPage.escape(sensor.sensorID))\(measurement)</td>"
        row += "<td>\(state(sensor, attention, now: now, palette: palette))</td>"
        if let current = current(recent) {
            let flag =
                current.quality == .ok
                ? "" : " <small style=\"color:\(QualityPalette.colour(current.quality, in: palette))\">\(current.quality.rawValue)</small>"
            // A corrected value is an estimate: what the sensor sent is shown beside it.
            let received =
                current.quality == .corrected && sensor.lastCorrected?.seq == current.seq
                ? sensor.lastCorrected.map { " <small>(received \(StatusPage.formatted($0.raw)))</small>" } ?? "" : ""
            row += "<td class=\"value\">\(StatusPage.formatted(current.value)) \(StatusPage.escape(unit))\(flag)\(received)</td>"
        } else {
            row += "<td class=\"value\" title=\"nothing published since the gateway started\">-</td>"
        }
        if attention == .rejected {
            row += "<td title=\"no reading accepted; first message \(age(now - sensor.lastSeen)) ago\">none</td>"
        } else {
            row += "<td data-ms=\"\(sensor.lastSeen)\">\(age(now - sensor.lastSeen)) ago</td>"
        }
        row += "<td>\(sensor.lastSeq.map(String.init) ?? "-")</td>"
        let o = sensor.output
        for count in [o.ok, o.corrected, o.synthetic, o.restated, o.gaps, sensor.duplicates, sensor.deadLetters] { row += "<td>\(count)</td>" }
        return row + "<td>\(StatusPlot.svg(recent, valid: valid, unit: unit, palette: palette))</td></tr>\n"
    }

    /// What the attention column says: stale, the missing seqs, or the last flagged publication.
    static func state(_ sensor: SensorSummary, _ attention: Attention, now: Int64, palette: [Quality: String]) -> String {
        switch attention {
        case .stale:
            return "<b class=\"bad\">stale</b>"
        case .waiting:
            guard let missing = sensor.missing else { return "waiting" }
            let seqs = missing.count == 1 ? "seq \(missing.lowerBound)" : "seqs \(missing.lowerBound)-\(missing.upperBound)"
            return "<b class=\"wait\">waiting for \(seqs)</b>"
        case .flagged:
            guard let flagged = sensor.lastFlagged else { return "flagged" }
            let colour = QualityPalette.colour(flagged.quality, in: palette)
            return "<span style=\"color:\(colour)\">\(flagged.quality.rawValue)</span> \(age(now - flagged.at)) ago"
        case .rejected:
            return "<b class=\"bad\">only dead letters</b> (dlq/)"
        case .fine:
            return "live"
        }
    }

    /// The sensor's current value: the published point with the newest event time (a late
    /// restatement of an old seq is not "current"); the later one of equal times.
    static func current(_ points: [SensorSummary.Point]) -> SensorSummary.Point? {
        var best: SensorSummary.Point?
        for p in points where p.ts >= (best?.ts ?? .min) { best = p }
        return best
    }

    /// A duration as people read it: `4 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
    static func age(_ ms: Int64) -> String {
        let s = max(0, ms) / 1000
        switch s {
        case ..<120: return "\(s) s"
        case ..<3600: return "\(s / 60) min"
        case ..<86_400: return "\(s / 3600) h \(s % 3600 / 60) min"
        default: return "\(s / 86_400) d \(s % 86_400 / 3600) h"
        }
    }
}
