/// A guarantee of the contract (docs/INTERFACE.md sections 2, 4 and 9) the simulator checks.
public enum Invariant: String, Sendable, CaseIterable, Comparable {
    case order = "non-restated output in strictly increasing seq"
    case onceOnly = "each seq once"
    case hole = "no seq skipped"
    case conflicting = "a re-publication has identical content"
    case restatedOnce = "restated at most once, and only an estimate"
    case range = "corrected and synthetic values within range"
    case lost = "nothing acknowledged lost"
    case wedge = "no wedge"
    case latestBackwards = "latest/ never goes back"
    case aggregates = "aggregates agree with the cleaned stream"
    case faithfulReplay = "a restart without damage regenerates the journaled output"

    public static func < (a: Invariant, b: Invariant) -> Bool { a.rawValue < b.rawValue }
}

/// A broken guarantee: which, and what exactly.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    /// The guarantee broken.
    public var invariant: Invariant
    /// What exactly: the stream, seq and what was seen.
    public var detail: String
    public var description: String { "\(invariant.rawValue): \(detail)" }
}
