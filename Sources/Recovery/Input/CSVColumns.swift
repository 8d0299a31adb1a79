/// The order of the columns of a CSV reading (`csv-columns`, docs/INTERFACE.md section 10).
///
/// Old firmware sends one header-less line per reading, and not every firmware puts the columns
/// in the contract's order (`seq,ts,value,status,boot`), so the order is a setting. `seq`, `ts`
/// and `value` must be present; `status` (absent: `normal`) and `boot` may be left out of the
/// setting, or left empty or cut off at the end of a line.
public struct CSVColumns: Sendable, Codable, Equatable, CustomStringConvertible {
    /// One column a CSV line can carry.
    public enum Column: String, Sendable, Codable, CaseIterable {
        case seq, ts, value, status, boot

        /// Whether a line must give this column a value.
        public var isRequired: Bool { self == .seq || self == .ts || self == .value }
    }

    /// The columns, packed three bits each (their place in `Column.allCases`) from the lowest
    /// bits: a plain value, so the parser reads it per reading with no reference counting.
    private let packed: UInt32
    /// How many columns a line may have at most.
    let count: Int
    /// How many columns a line must have at least: up to and including the last required one.
    let requiredCount: Int

    /// The contract's order: `seq,ts,value,status,boot`.
    public static let standard = CSVColumns(validated: [.seq, .ts, .value, .status, .boot])

    private init(validated order: [Column]) {
        packed = order.reversed().reduce(0) { $0 << 3 | UInt32(Column.allCases.firstIndex(of: $1)!) }
        count = order.count
        requiredCount = (order.lastIndex { $0.isRequired } ?? -1) + 1
    }

    /// The column at `index` (less than `count`).
    @inline(__always)
    func column(at index: Int) -> Column {
        switch packed >> (3 * UInt32(index)) & 7 {
        case 0: .seq
        case 1: .ts
        case 2: .value
        case 3: .status
        default: .boot
        }
    }

    /// The columns in the order a line gives them.
    public var order: [Column] { (0..<count).map(column(at:)) }

    /// Why a column list cannot be used, in words for the setting's error line.
    public struct Invalid: Error, Equatable {
        public let message: String
    }

    /// Reads `seq,ts,value,status,boot` or another order of those names (spaces around a name
    /// are ignored). Throws when a name is unknown or given twice, or `seq`, `ts` or `value` is
    /// missing.
    public init(parsing text: String) throws(Invalid) {
        var order: [Column] = []
        let known = Column.allCases.map(\.rawValue).joined(separator: ", ")
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces()
            guard let column = Column(rawValue: name) else {
                throw Invalid(message: name.isEmpty ? "an empty column name: expected \(known)" : "unknown column \(name): expected \(known)")
            }
            guard !order.contains(column) else { throw Invalid(message: "column \(name) given twice") }
            order.append(column)
        }
        for required in Column.allCases where required.isRequired && !order.contains(required) {
            throw Invalid(message: "column \(required.rawValue) is required")
        }
        self.init(validated: order)
    }

    /// nil for the contract's order, else `self` (`EngineConfiguration.csvColumns` keeps nil for it).
    public var nilIfStandard: CSVColumns? { self == .standard ? nil : self }

    /// The setting's spelling: the names joined by commas.
    public var description: String { order.map(\.rawValue).joined(separator: ",") }

    /// Decodes the setting's text (`"ts,seq,value"`), checked as the setting is: journaled
    /// settings and snapshots read like the config file.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do throws(Invalid) { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    /// Encodes the setting's text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
