import Foundation
import Recovery

/// One sensor's recent readings as a small SVG: event time across (a long gap is empty space),
/// a labelled y axis in the readings' unit, the valid range as a shaded band with dashed edges,
/// and one path of dots per quality in the palette's colours.
///
/// The y scale fits the readings and stretches to take in a valid bound (the nearer first) as
/// long as the scale stays within five times their spread (at least 1 unit): how close a sensor
/// runs to its limits shows, while a far limit does not flatten the line.
enum StatusPlot {
    static let width = 300.0
    static let height = 64.0
    /// Left of it: the axis labels.
    static let plotLeft = 38.0
    static let plotRight = width - 4
    static let plotTop = 5.0
    static let plotBottom = height - 5

    /// The y axis: its ends and the step between labelled ticks.
    struct Axis: Equatable {
        var low: Double
        var high: Double
        var step: Double

        /// Tick values from `low` to `high` (at most `maxTicks`: a page is never worth a trap, or
        /// a million labels, whatever the values).
        var ticks: [Double] {
            let count = ((high - low) / step).rounded()
            guard count.isFinite else { return [low] }
            return (0...Int(max(0, min(count, Double(Axis.maxTicks))))).map { low + Double($0) * step }
        }
        static let maxTicks = 20

        /// Decimals that tell the ticks apart (0 for whole steps, 1 for 0.5 or 0.2, ...).
        var decimals: Int { step >= 1 ? 0 : min(6, Int((-log10(step) - 1e-9).rounded(.up))) }

        func label(_ v: Double) -> String { String(format: "%.\(decimals)f", v == 0 ? 0 : v) }
    }

    /// The axis for `values` with `valid` near them drawn in: about three ticks at round steps
    /// (1, 2 or 5 times a power of ten).
    static func axis(_ values: [Double], valid: ClosedRange<Double>) -> Axis {
        var lo = values.min() ?? valid.lowerBound, hi = values.max() ?? valid.upperBound
        let limit = 5 * max(hi - lo, 1)
        let bounds = [valid.lowerBound, valid.upperBound].sorted { abs($0 - (lo + hi) / 2) < abs($1 - (lo + hi) / 2) }
        for bound in bounds where max(hi, bound) - min(lo, bound) <= limit { (lo, hi) = (min(lo, bound), max(hi, bound)) }
        if hi - lo < 1e-9 { (lo, hi) = (lo - 0.5, hi + 0.5) }
        let step = niceStep((hi - lo) / 3)
        var low = (lo / step).rounded(.down) * step, high = (hi / step).rounded(.up) * step
        if high - low < step { high = low + step }
        if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
        return Axis(low: low, high: high, step: step)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    static func svg(
        _ points: [SensorSummary.Point], valid: ClosedRange<Double>, unit: String, palette: [Quality: String] = QualityPalette.colours
    ) -> String {
        let times = points.map(\.ts)
        guard let earliest = times.min(), let latest = times.max() else { return "" }
        let axis = axis(points.map(\.value), valid: valid)
        func y(_ v: Double) -> Double { plotBottom - (v - axis.low) / (axis.high - axis.low) * (plotBottom - plotTop) }
        // A coordinate as whole pixels; a value far off the plot (readings of 1e300 beside 0) is
        // drawn at its edge, never converted past what an Int holds (that traps).
        func px(_ v: Double) -> String { v.isFinite ? String(Int(max(-10 * width, min(10 * width, v)).rounded())) : "0" }
        var svg = "<svg width=\"\(px(width))\" height=\"\(px(height))\" font-size=\"9\" font-family=\"sans-serif\">"
        // The valid range, clipped to the plot, with its edges dashed where they are in view.
        let bandTop = min(max(y(valid.upperBound), plotTop), plotBottom)
        let bandBottom = min(max(y(valid.lowerBound), plotTop), plotBottom)
        if bandBottom > bandTop {
            svg += "<rect class=\"valid\" x=\"\(px(plotLeft))\" y=\"\(px(bandTop))\" width=\"\(px(plotRight - plotLeft))\" "
            svg += "height=\"\(px(bandBottom - bandTop))\" fill=\"#e3efe3\"/>"
        }
        for bound in [valid.lowerBound, valid.upperBound] where bound >= axis.low && bound <= axis.high {
            svg += "<path d=\"M\(px(plotLeft)) \(px(y(bound)))H\(px(plotRight))\" stroke=\"#7aa37a\" stroke-dasharray=\"3 2\"/>"
        }
        // The y axis: a line with a tick per step (one path), and a label per tick.
        var axisPath = "M\(px(plotLeft)) \(px(plotTop))V\(px(plotBottom))"
        for tick in axis.ticks {
            let ty = y(tick)
            axisPath += "M\(px(plotLeft - 3)) \(px(ty))h3"
            svg += "<text class=\"tick\" x=\"\(px(plotLeft - 5))\" y=\"\(px(ty + 3))\" text-anchor=\"end\" fill=\"#555\">\(axis.label(tick))</text>"
        }
        svg += "<path d=\"\(axisPath)\" stroke=\"#999\"/>"
        // The readings, one path of dots per quality, across the span of their times: they are
        // kept in the order published, which is not time order when a reading older than the
        // last one comes out (a restatement, a new epoch after a backlog; found black-box: dots
        // drawn left of the axis, over the next column).
        let t0 = Double(earliest), tSpan = max(1, Double(latest) - t0)
        var paths: [Quality: String] = [:]
        for p in points {
            let x = points.count == 1 ? (plotLeft + plotRight) / 2 : plotLeft + 3 + (Double(p.ts) - t0) / tSpan * (plotRight - plotLeft - 6)
            paths[p.quality, default: ""] += "M\(px(x)) \(px(y(p.value)))h0"
        }
        for (quality, d) in paths.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            svg += "<path d=\"\(d)\" stroke=\"\(QualityPalette.colour(quality, in: palette))\" stroke-width=\"3.5\" stroke-linecap=\"round\"/>"
        }
        let values = points.map(\.value)
        let (f, u) = (StatusPage.formatted, StatusPage.escape(unit))
        let title = "\(points.count) readings, \(f(values.min() ?? 0))-\(f(values.max() ?? 0)) \(u); valid \(f(valid.lowerBound))-\(f(valid.upperBound)) \(u)"
        return svg + "<title>\(title)</title></svg>"
    }
}
