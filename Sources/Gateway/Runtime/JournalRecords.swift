import Journal
import Recovery

enum JournalRecords {
    static func encodeMessage(topic: String, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + topic.utf8.count + payload.count)
        let t = Array(topic.utf8.prefix(65535))
        out.append(UInt8(t.count & 0xFF))
        out.append(UInt8(t.count >> 8))
        out += t
        out += payload
        return out
    }

    static func decodeMessage(_ bytes: [UInt8]) -> (topic: String, payload: ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        guard bytes.count >= 2 + n else { return nil }
        return (String(decoding: bytes[2..<(2 + n)], as: UTF8.self), bytes[(2 + n)...])
    }

    static func encodePublication(_ p: Publication) -> [UInt8] {
        [p.kind.rawValue, p.retain ? 1 : 0] + encodeMessage(topic: p.topic, payload: p.payload)
    }

    static func decodePublication(_ bytes: [UInt8]) -> Publication? {
        guard bytes.count >= 4, let kind = Publication.Kind(rawValue: bytes[0]),
            let (topic, payload) = decodeMessage(Array(bytes[2...]))
        else { return nil }
        return Publication(kind: kind, topic: topic, payload: Array(payload), retain: bytes[1] == 1)
    }
}
