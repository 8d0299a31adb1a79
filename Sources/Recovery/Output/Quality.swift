/// The quality flag of a cleaned reading (docs/INTERFACE.md section 2).
public enum Quality: String, Sendable, Codable {
    case ok, corrected, synthetic, restated, gap
}
