/// How a missing reading's value is generated.
public enum FillMethod: String, Sendable, Codable, CaseIterable {
    case linear, locf, distribution
}
