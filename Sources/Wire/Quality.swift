/// The quality flag every cleaned message carries (docs/INTERFACE.md section 2): the one type
/// the engine writes (`Recovery` names it too) and every reader (the simulator's verifier, the
/// tests, a Swift consumer) reads.
public enum Quality: String, Codable, Sendable, CaseIterable {
    case ok, corrected, synthetic, restated, gap
}
