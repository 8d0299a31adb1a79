/// Encodes `Encodable` values in the compact binary form (`CompactFormat`).
///
/// One encoder numbers key names across every value it encodes, so a run of similar values
/// (a snapshot's sensors) spells each name once. A reader must therefore take the values in the
/// order they were encoded (`CompactDecoder.learnKeys`). Not shareable between threads.
public final class CompactEncoder {
    private var keyNumbers: [String: UInt64] = [:]

    public init() {}

    /// The value's bytes: the key names it numbered first, then the value.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = CompactSink(keyNumbers: keyNumbers)
        keyNumbers = [:]
        do {
            try sink.value(value, ancestors: [])
            // Container lengths are 32-bit: a larger value would read back wrong, so it is refused.
            guard sink.bytes.count <= Int(UInt32.max) else {
                throw EncodingError.invalidValue(
                    value, .init(codingPath: [], debugDescription: "\(sink.bytes.count) bytes: over the compact form's 4 GiB"))
            }
        } catch {
            // Names numbered by a value that was not written must not be assumed by later ones.
            for name in sink.newKeys { sink.keyNumbers.removeValue(forKey: name) }
            keyNumbers = sink.keyNumbers
            throw error
        }
        keyNumbers = sink.keyNumbers
        var out: [UInt8] = []
        out.reserveCapacity(sink.bytes.count + 16 * sink.newKeys.count + 2)
        CompactFormat.appendVarint(UInt64(sink.newKeys.count), to: &out)
        for name in sink.newKeys { CompactSink.appendName(name, to: &out) }
        out += sink.bytes
        return out
    }
}

extension CompactSink {
    static func appendName(_ name: String, to out: inout [UInt8]) {
        var name = name
        name.withUTF8 { utf8 in
            CompactFormat.appendVarint(UInt64(utf8.count), to: &out)
            out.append(contentsOf: utf8)
        }
    }
}

/// The `Encoder` handed to each value. `ancestors` are the headers of containers still open
/// around it whose lengths its writes must stretch (set only below `nestedContainer`).
struct CompactEncoding: Encoder {
    let sink: CompactSink
    let ancestors: [Int]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let header = sink.openContainer(.keyed)
        for a in ancestors { sink.stretch(a) }
        return KeyedEncodingContainer(CompactKeyedWriter<Key>(sink: sink, header: header, ancestors: ancestors))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let header = sink.openContainer(.unkeyed)
        for a in ancestors { sink.stretch(a) }
        return CompactUnkeyedWriter(sink: sink, header: header, ancestors: ancestors)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        CompactSingleWriter(sink: sink, ancestors: ancestors)
    }
}

struct CompactKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: CompactSink
    let header: Int
    let ancestors: [Int]
    var codingPath: [any CodingKey] { [] }

    private func put(_ v: some CompactPrimitive, _ key: Key) {
        sink.key(key)
        v.write(to: sink)
        sink.entryAdded(header: header, ancestors: ancestors)
    }

    mutating func encodeNil(forKey key: Key) throws {
        sink.key(key)
        sink.tag(.null)
        sink.entryAdded(header: header, ancestors: ancestors)
    }
    mutating func encode(_ v: Bool, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: String, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Double, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Float, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Int, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Int8, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Int16, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Int32, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: Int64, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: UInt, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: UInt8, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: UInt16, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: UInt32, forKey key: Key) throws { put(v, key) }
    mutating func encode(_ v: UInt64, forKey key: Key) throws { put(v, key) }

    mutating func encode<T: Encodable>(_ v: T, forKey key: Key) throws {
        sink.key(key)
        try sink.value(v, ancestors: [])
        sink.entryAdded(header: header, ancestors: ancestors)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        sink.key(key)
        let nested = sink.openContainer(.keyed)
        sink.entryAdded(header: header, ancestors: ancestors)
        return KeyedEncodingContainer(CompactKeyedWriter<NestedKey>(sink: sink, header: nested, ancestors: ancestors + [header]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        sink.key(key)
        let nested = sink.openContainer(.unkeyed)
        sink.entryAdded(header: header, ancestors: ancestors)
        return CompactUnkeyedWriter(sink: sink, header: nested, ancestors: ancestors + [header])
    }

    /// Under the key "super", as JSONEncoder does (the container's own key type may have no such case).
    mutating func superEncoder() -> any Encoder { superEncoder(named: CompactSuperKey()) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private mutating func superEncoder(named key: some CodingKey) -> any Encoder {
        sink.key(key)
        sink.entryAdded(header: header, ancestors: ancestors)
        return CompactEncoding(sink: sink, ancestors: ancestors + [header])
    }
}

struct CompactUnkeyedWriter: UnkeyedEncodingContainer, CompactPrimitiveWriting {
    let sink: CompactSink
    let header: Int
    let ancestors: [Int]
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(sink: CompactSink, header: Int, ancestors: [Int]) {
        self.sink = sink
        self.header = header
        self.ancestors = ancestors
    }

    mutating func put(_ v: some CompactPrimitive) {
        v.write(to: sink)
        added()
    }

    private mutating func added() {
        count += 1
        sink.entryAdded(header: header, ancestors: ancestors)
    }

    mutating func encode<T: Encodable>(_ v: T) throws {
        try sink.value(v, ancestors: [])
        added()
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = sink.openContainer(.keyed)
        added()
        return KeyedEncodingContainer(CompactKeyedWriter<NestedKey>(sink: sink, header: nested, ancestors: ancestors + [header]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = sink.openContainer(.unkeyed)
        added()
        return CompactUnkeyedWriter(sink: sink, header: nested, ancestors: ancestors + [header])
    }

    mutating func superEncoder() -> any Encoder {
        added()
        return CompactEncoding(sink: sink, ancestors: ancestors + [header])
    }
}

struct CompactSingleWriter: SingleValueEncodingContainer, CompactPrimitiveWriting {
    let sink: CompactSink
    let ancestors: [Int]
    var codingPath: [any CodingKey] { [] }

    mutating func put(_ v: some CompactPrimitive) {
        v.write(to: sink)
        for a in ancestors { sink.stretch(a) }
    }

    mutating func encode<T: Encodable>(_ v: T) throws {
        try sink.value(v, ancestors: ancestors)
    }
}
