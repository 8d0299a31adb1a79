/// Other names a firmware gives a JSON reading's fields (`json-fields: value=temp_c, seq=sn,
/// ts=time`, docs/INTERFACE.md section 10): each is read as the contract's field it stands for,
/// in addition to the contract's name, so sensors with the contract's firmware and sensors with
/// the other one can share a measurement. A payload that gives a field under both names is
/// ambiguous, as a field given twice is: `malformed_json`. Dead-letter reasons name the
/// contract's field (`bad_type:seq`), whatever name the payload used.
public struct JSONFieldNames: Sendable, Codable, Equatable, CustomStringConvertible, MemberNames {
    /// A contract field that can be given another name.
    public enum Field: String, Sendable, Codable, CaseIterable {
        case sensorID = "sensor_id", seq, ts, value, status, boot
    }

    /// One other name, and the field it stands for.
    public struct Alias: Sendable, Codable, Equatable {
        public var field: Field
        public var name: String
    }

    /// In the order the setting gave them.
    public private(set) var aliases: [Alias]

    /// Why a list of names cannot be used, in words for the setting's error line.
    public struct Invalid: Error, Equatable {
        public let message: String
    }

    /// Reads `field=name` pairs separated by commas (spaces around either are ignored), e.g.
    /// `value=temp_c, seq=sn, ts=time`. `field` is `sensor_id`, `seq`, `ts`, `value`, `status`
    /// or `boot` (each at most once); `name` is 1-64 characters without quotes, backslashes or
    /// control characters, not a contract field's name or `reserved` (the measurement's own
    /// field), and not given twice.
    public init(parsing text: String, reserved: String? = nil) throws(Invalid) {
        var aliases: [Alias] = []
        let fields = Field.allCases.map(\.rawValue).joined(separator: ", ")
        let taken = Set(Field.allCases.map(\.rawValue) + ["temperature"] + (reserved.map { [$0] } ?? []))
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            guard pair.count == 2 else { throw Invalid(message: "`\(part.trimmingSpaces())` is not field=name (e.g. value=temp_c, seq=sn, ts=time)") }
            guard let field = Field(rawValue: pair[0]) else { throw Invalid(message: "`\(pair[0])` is not a field that can be renamed (these are: \(fields))") }
            let name = pair[1]
            guard (1...64).contains(name.utf8.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" }) else {
                throw Invalid(message: "`\(name)` cannot name a field: 1-64 characters without quotes, backslashes or control characters")
            }
            guard !taken.contains(name) else {
                throw Invalid(message: "`\(name)` already names a field of the contract's or the measurement's; another name would be ambiguous")
            }
            guard !aliases.contains(where: { $0.field == field }) else { throw Invalid(message: "\(field.rawValue) is renamed twice") }
            guard !aliases.contains(where: { $0.name == name }) else { throw Invalid(message: "`\(name)` is given to two fields") }
            aliases.append(Alias(field: field, name: name))
        }
        self.aliases = aliases
    }

    func field(named key: UnsafeBufferPointer<UInt8>) -> Field? {
        for alias in aliases where alias.name.utf8.count == key.count && alias.name.utf8.elementsEqual(key) { return alias.field }
        return nil
    }

    func names(_ name: String) -> Bool { aliases.contains { $0.name == name } }

    /// The setting's text: `field=name` pairs in their order.
    public var description: String { aliases.map { "\($0.field.rawValue)=\($0.name)" }.joined(separator: ",") }
}

/// Which contract field a JSON member's name stands for besides the contract's own names: the
/// parser is specialised for each, so reading the contract's names only costs nothing extra.
protocol MemberNames {
    /// The field `key` (a JSON member's name, as written) stands for; nil when it names none.
    func field(named key: UnsafeBufferPointer<UInt8>) -> JSONFieldNames.Field?
    /// Whether `name` (a member's name with its escapes decoded) is one of the other names.
    func names(_ name: String) -> Bool
}

/// The contract's names only: no other name stands for a field.
struct ContractNamesOnly: MemberNames {
    @inline(__always)
    func field(named key: UnsafeBufferPointer<UInt8>) -> JSONFieldNames.Field? { nil }
    func names(_ name: String) -> Bool { false }
}
