/// A sensor id, or a pattern of ids (`oven-*`, `line?-temp`): `*` stands for any run of id
/// characters (none too), `?` for exactly one. What a per-sensor override applies to.
public struct SensorIDPattern: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    public let text: String
    private let bytes: [UInt8]

    /// nil unless `text` is 1-64 characters of the id alphabet (`A-Z a-z 0-9 _ . -`), `*` and `?`.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count) else { return nil }
        let literal = bytes.filter { $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "?") }
        guard literal.isEmpty || SensorID.isValid(literal) || literal.allSatisfy({ $0 == UInt8(ascii: ".") }) else { return nil }
        self.text = text
        self.bytes = bytes
    }

    public var description: String { text }

    /// Whether `id` is one the pattern names.
    public func matches(_ id: String) -> Bool { Self.overlap(bytes, Array(id.utf8)) }

    /// Whether some sensor id matches both patterns (two overrides could then both claim it).
    public func overlaps(_ other: SensorIDPattern) -> Bool { Self.overlap(bytes, other.bytes) }

    /// Whether one string matches both `a` and `b` (either may hold wildcards): a search over
    /// the two positions, memoised, so at most 65 x 65 steps.
    private static func overlap(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        let one = UInt8(ascii: "?")
        var memo: [Int: Bool] = [:]
        func from(_ i: Int, _ j: Int) -> Bool {
            if let known = memo[i << 8 | j] { return known }
            let result: Bool
            if i == a.count && j == b.count {
                result = true
            } else if i < a.count && a[i] == star {
                result = from(i + 1, j) || (j < b.count && from(i, j + 1))
            } else if j < b.count && b[j] == star {
                result = from(i, j + 1) || (i < a.count && from(i + 1, j))
            } else if i == a.count || j == b.count {
                result = false
            } else {
                result = (a[i] == b[j] || a[i] == one || b[j] == one) && from(i + 1, j + 1)
            }
            memo[i << 8 | j] = result
            return result
        }
        return from(0, 0)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let p = SensorIDPattern(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad sensor id pattern \(text)"))
        }
        self = p
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}
