import Recovery

/// The status page's colours for qualities: Okabe-Ito, told apart also with colour-blindness
/// (ok is black, not green beside blue).
///
/// Looked up with a fallback, never force-unwrapped: a quality without a colour (a new case, a
/// palette edited by hand) is drawn in `neutral` rather than crashing the HTTP handler.
enum QualityPalette {
    static let colours: [Quality: String] = [
        .ok: "#222222", .corrected: "#E69F00", .synthetic: "#0072B2", .restated: "#CC79A7", .gap: "#D55E00",
    ]

    /// For a quality the palette does not name.
    static let neutral = "#888888"

    /// The qualities a plot can show as points (a `gap` message carries no value).
    static let plotted: [Quality] = [.ok, .corrected, .synthetic, .restated]

    static func colour(_ quality: Quality, in palette: [Quality: String] = colours) -> String {
        palette[quality] ?? neutral
    }

    /// One coloured dot and name per plotted quality.
    static func legend(in palette: [Quality: String] = colours) -> String {
        plotted.map { "<span style=\"color:\(colour($0, in: palette))\">&#9679; \($0.rawValue)</span>" }.joined(separator: " ")
    }
}
