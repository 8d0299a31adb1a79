import Recovery

/// The journal records the simulated gateway writes, in the gateway's own formats
/// (`Sources/Gateway/Runtime/RecordType.swift` and `JournalRecords.swift`, copied because the
/// simulator does not depend on `Gateway`): a message is `topic length u16 LE | topic | payload`,
/// a publication `kind u8 | retain u8 | message`, a tick an empty payload.
enum SimRecords {
    static let message: UInt16 = 1
    static let tick: UInt16 = 2
    static let publication: UInt16 = 3

    static func appendMessage(topic: String, payload: [UInt8], to out: inout [UInt8]) {
        let length = min(topic.utf8.count, 65535)
        out.append(UInt8(length & 0xFF))
        out.append(UInt8(length >> 8))
        out.append(contentsOf: topic.utf8.prefix(length))
        out.append(contentsOf: payload)
    }

    static func decodeMessage(_ bytes: ArraySlice<UInt8>) -> (topic: String, payload: ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let start = bytes.startIndex
        let n = Int(bytes[start]) | Int(bytes[start + 1]) << 8
        guard bytes.count >= 2 + n else { return nil }
        return (String(decoding: bytes[(start + 2)..<(start + 2 + n)], as: UTF8.self), bytes[(start + 2 + n)...])
    }

    static func appendPublication(_ p: Publication, to out: inout [UInt8]) {
        out.append(p.kind.rawValue)
        out.append(p.retain ? 1 : 0)
        appendMessage(topic: p.topic, payload: p.payload, to: &out)
    }

    static func decodePublication(_ bytes: [UInt8]) -> Publication? {
        guard bytes.count >= 4, let kind = Publication.Kind(rawValue: bytes[0]),
            let (topic, payload) = decodeMessage(bytes[2...])
        else { return nil }
        return Publication(kind: kind, topic: topic, payload: Array(payload), retain: bytes[1] == 1)
    }
}
