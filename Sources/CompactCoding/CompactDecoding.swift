/// The `Decoder` handed to each value: the source and where the value starts.
struct CompactDecoding: Decoder {
    let source: CompactSource
    let position: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(CompactKeyedReader<Key>(cursor: try KeyedCursor(source: source, at: position)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try CompactUnkeyedReader(source: source, at: position)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        CompactSingleReader(source: source, position: position)
    }
}

/// Finds a keyed container's entries by key name. Keys are usually asked for in the order they
/// were written, so the entry after the last one found is tried first.
final class KeyedCursor {
    let source: CompactSource
    let count: Int
    let entries: Int
    let end: Int
    private var nextIndex = 0
    private var nextPosition: Int

    init(source: CompactSource, at: Int) throws {
        self.source = source
        (count, entries, end) = try source.container(at, .keyed)
        nextPosition = entries
    }

    /// The entry at `position`: its key name and where its value starts.
    private func entry(_ position: Int) throws -> (name: String, value: Int) {
        var p = position
        let number = try source.varint(&p)
        guard number < UInt64(source.keyNames.count) else { throw CompactDecodingError("unknown key number \(number)") }
        return (source.keyNames[Int(number)], p)
    }

    /// Where the value for `name` starts (nil when absent); with `advance`, the next search
    /// starts after it.
    func find(_ name: String, advance: Bool) throws -> Int? {
        if nextIndex < count {
            let (candidate, value) = try entry(nextPosition)
            if candidate == name {
                if advance {
                    nextIndex += 1
                    nextPosition = try source.valueEnd(value)
                }
                return value
            }
        }
        var position = entries
        for index in 0..<count {
            let (candidate, value) = try entry(position)
            let after = try source.valueEnd(value)
            guard after <= end else { throw CompactDecodingError("entry runs past its container") }
            if candidate == name {
                if advance {
                    nextIndex = index + 1
                    nextPosition = after
                }
                return value
            }
            position = after
        }
        return nil
    }

    func names() -> [String] {
        var names: [String] = []
        var position = entries
        for _ in 0..<count {
            guard let (name, value) = try? entry(position), let after = try? source.valueEnd(value) else { break }
            names.append(name)
            position = after
        }
        return names
    }
}

struct CompactKeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let cursor: KeyedCursor
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { cursor.names().compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { (try? cursor.find(key.stringValue, advance: false)) != nil }

    private func value(_ key: some CodingKey) throws -> Int {
        guard let at = try cursor.find(key.stringValue, advance: true) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no value for \(key.stringValue)"))
        }
        return at
    }

    private func read<T: CompactReadable>(_ key: Key) throws -> T { try T.read(cursor.source, at: try value(key)) }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let at = try cursor.find(key.stringValue, advance: false) else { return true }
        return try cursor.source.tag(at) == .null
    }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try read(key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try read(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try read(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try read(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try read(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try read(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try read(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try read(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try read(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: CompactDecoding(source: cursor.source, position: try value(key)))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(CompactKeyedReader<NestedKey>(cursor: try KeyedCursor(source: cursor.source, at: try value(key))))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try CompactUnkeyedReader(source: cursor.source, at: try value(key))
    }

    /// Under the key "super", as `CompactEncoder` writes it.
    func superDecoder() throws -> any Decoder { CompactDecoding(source: cursor.source, position: try value(CompactSuperKey())) }

    func superDecoder(forKey key: Key) throws -> any Decoder { CompactDecoding(source: cursor.source, position: try value(key)) }
}

struct CompactUnkeyedReader: UnkeyedDecodingContainer {
    let source: CompactSource
    let count: Int?
    private(set) var currentIndex = 0
    private var position: Int
    private let end: Int
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= count! }

    init(source: CompactSource, at: Int) throws {
        self.source = source
        let (count, entries, end) = try source.container(at, .unkeyed)
        self.count = count
        self.end = end
        position = entries
    }

    /// Where the next element starts; moves past it.
    private mutating func next() throws -> Int {
        guard !isAtEnd else { throw CompactDecodingError("no element \(currentIndex) in a list of \(count!)") }
        let at = position
        position = try source.valueEnd(at)
        guard position <= end else { throw CompactDecodingError("element runs past its list") }
        currentIndex += 1
        return at
    }

    private mutating func read<T: CompactReadable>() throws -> T { try T.read(source, at: try next()) }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, try source.tag(position) == .null else { return false }
        _ = try next()
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try read() }
    mutating func decode(_ type: String.Type) throws -> String { try read() }
    mutating func decode(_ type: Double.Type) throws -> Double { try read() }
    mutating func decode(_ type: Float.Type) throws -> Float { try read() }
    mutating func decode(_ type: Int.Type) throws -> Int { try read() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try read() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try read() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try read() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try read() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try read() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try read() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try read() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try read() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try read() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: CompactDecoding(source: source, position: try next()))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(CompactKeyedReader<NestedKey>(cursor: try KeyedCursor(source: source, at: try next())))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try CompactUnkeyedReader(source: source, at: try next())
    }

    mutating func superDecoder() throws -> any Decoder { CompactDecoding(source: source, position: try next()) }
}

struct CompactSingleReader: SingleValueDecodingContainer {
    let source: CompactSource
    let position: Int
    var codingPath: [any CodingKey] { [] }

    private func read<T: CompactReadable>() throws -> T { try T.read(source, at: position) }

    func decodeNil() -> Bool { (try? source.tag(position)) == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try read() }
    func decode(_ type: String.Type) throws -> String { try read() }
    func decode(_ type: Double.Type) throws -> Double { try read() }
    func decode(_ type: Float.Type) throws -> Float { try read() }
    func decode(_ type: Int.Type) throws -> Int { try read() }
    func decode(_ type: Int8.Type) throws -> Int8 { try read() }
    func decode(_ type: Int16.Type) throws -> Int16 { try read() }
    func decode(_ type: Int32.Type) throws -> Int32 { try read() }
    func decode(_ type: Int64.Type) throws -> Int64 { try read() }
    func decode(_ type: UInt.Type) throws -> UInt { try read() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try read() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try read() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try read() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: CompactDecoding(source: source, position: position))
    }
}
