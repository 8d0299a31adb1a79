import Wire

/// The journal form of a released reading's message (`cleaned/` and `latest/`): the reading's
/// fields in about 35 bytes instead of its topic and JSON text (about 160), since every reading
/// is journaled once as input and again as each message it becomes, and flash wears by the byte.
/// Reading it back renders the same payload and topic the engine published, byte for byte, as
/// `render()` and `Topics` are pure functions of these fields.
///
/// Layout, after the record's `kind | 0x80` and `retain` bytes: a flags byte (bit 0 `raw`, bit 1
/// `method`, bit 2 `supersedes`, bit 3 `boot`, bit 4 status `deviated`), the quality code, the
/// sensor id (varint length and UTF-8), `seq` (varint), `ts` (zigzag varint), the value's IEEE
/// 754 bits (8 bytes, little-endian), then `raw` (8 bytes), the method code, the superseded
/// quality code and `boot` (zigzag varint), each only when its flag is set.
enum CompactPublication {
    /// Marks a compact record in the first byte, above every `Publication.Kind` code.
    static let marker: UInt8 = 0x80

    /// Stable codes, kept apart from the enums' declaration order.
    private static let qualities: [Quality] = [.ok, .corrected, .synthetic, .restated, .gap]
    private static let methods: [FillMethod] = [.linear, .locf, .distribution]

    /// Appends `p` in the compact form and returns true, or returns false (appending nothing)
    /// when it is not a released reading on its sensor's own topic.
    static func append(_ p: Publication, to out: inout [UInt8]) -> Bool {
        guard let r = p.released, let quality = code(r.quality), topicMatches(p, r.sensorID) else { return false }
        let method = r.method.map { m in methods.firstIndex(of: m).map(UInt8.init) }
        let supersedes = r.supersedes.map(code)
        // A code this form has no number for (a case added later) takes the full form instead.
        if method == .some(nil) || supersedes == .some(nil) { return false }
        out.append(marker | p.kind.rawValue)
        out.append(p.retain ? 1 : 0)
        var flags: UInt8 = 0
        if r.raw != nil { flags |= 1 }
        if r.method != nil { flags |= 2 }
        if r.supersedes != nil { flags |= 4 }
        if r.boot != nil { flags |= 8 }
        if r.status == .deviated { flags |= 16 }
        out.append(flags)
        out.append(quality)
        varint(UInt64(r.sensorID.utf8.count), &out)
        out.append(contentsOf: r.sensorID.utf8)
        varint(r.seq, &out)
        varint(zigzag(r.ts), &out)
        fixed(r.temperature.bitPattern, &out)
        if let raw = r.raw { fixed(raw.bitPattern, &out) }
        if case .some(.some(let m)) = method { out.append(m) }
        if case .some(.some(let s)) = supersedes { out.append(s) }
        if let boot = r.boot { varint(zigzag(boot), &out) }
        return true
    }

    /// The publication a compact record holds, or nil when the bytes are not one (damage the
    /// record's CRC did not catch, or a newer format).
    static func decode(_ bytes: [UInt8]) -> Publication? {
        var cursor = Cursor(bytes: bytes)
        guard let first = cursor.byte(), first & marker != 0, let kind = Publication.Kind(rawValue: first & ~marker),
            kind == .cleaned || kind == .latest, let retain = cursor.byte(), retain <= 1,
            let flags = cursor.byte(), flags < 32, let q = cursor.byte(), let quality = qualities.at(q),
            let idLength = cursor.varint(), let id = cursor.text(idLength),
            let seq = cursor.varint(), let ts = cursor.varint().map(unzigzag), let value = cursor.fixed()
        else { return nil }
        var r = ReleasedReading(
            sensorID: id, seq: seq, ts: ts, temperature: Double(bitPattern: value),
            status: flags & 16 != 0 ? .deviated : .normal, quality: quality, boot: nil)
        if flags & 1 != 0 {
            guard let raw = cursor.fixed() else { return nil }
            r.raw = Double(bitPattern: raw)
        }
        if flags & 2 != 0 {
            guard let m = cursor.byte(), let method = methods.at(m) else { return nil }
            r.method = method
        }
        if flags & 4 != 0 {
            guard let s = cursor.byte(), let supersedes = qualities.at(s) else { return nil }
            r.supersedes = supersedes
        }
        if flags & 8 != 0 {
            guard let boot = cursor.varint() else { return nil }
            r.boot = unzigzag(boot)
        }
        guard cursor.atEnd else { return nil }
        let topic = kind == .cleaned ? Topics.cleaned(id) : Topics.latest(id)
        return Publication(kind: kind, topic: topic, released: r, payload: r.render(), retain: retain == 1)
    }

    private static func code(_ q: Quality) -> UInt8? { qualities.firstIndex(of: q).map(UInt8.init) }

    /// Whether `p.topic` is the one `decode` derives for its kind, compared without building it.
    private static func topicMatches(_ p: Publication, _ id: String) -> Bool {
        let expected = p.kind == .cleaned ? Topics.cleaned(id) : p.kind == .latest ? Topics.latest(id) : nil
        return expected == p.topic
    }

    /// Appends `v` as a base-128 varint (also for `PublicationBatch`).
    static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func fixed(_ v: UInt64, _ out: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    private static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    private static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    /// Reads a compact record (or a `PublicationBatch`) front to back; every read is bounds-checked
    /// and gives nil past the end.
    struct Cursor {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool { at == bytes.count }

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func varint() -> UInt64? {
            var v: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let b = byte() else { return nil }
                v |= UInt64(b & 0x7F) << UInt64(shift)
                if b < 0x80 { return v }
            }
            return nil
        }

        mutating func fixed() -> UInt64? {
            guard bytes.count - at >= 8 else { return nil }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[at + i]) << UInt64(8 * i) }
            at += 8
            return v
        }

        /// The next `length` bytes.
        mutating func take(_ length: UInt64) -> [UInt8]? {
            guard length <= UInt64(bytes.count - at) else { return nil }
            let end = at + Int(length)
            defer { at = end }
            return Array(bytes[at..<end])
        }

        mutating func text(_ length: UInt64) -> String? {
            guard length <= UInt64(bytes.count - at) else { return nil }
            let end = at + Int(length)
            defer { at = end }
            return String(validating: bytes[at..<end], as: UTF8.self)
        }
    }
}

extension Array {
    /// The element at `i`, or nil when `i` is past the end.
    fileprivate func at(_ i: UInt8) -> Element? { Int(i) < count ? self[Int(i)] : nil }
}
