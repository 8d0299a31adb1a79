import Wire

/// How the top-level members of a JSON object were written, for a message decoded by `Codable`
/// (a replay request), which cannot see it: the keys given more than once (a reading with one is
/// `malformed_json`; a request with one is refused, not answered for whichever copy the decoder
/// kept), and each number read as a time the way a reading's `ts` is
/// (`Timestamp.milliseconds(number:writtenAsInteger:)`: `1796485910.5` is seconds, which a
/// decoded `Double` can no longer tell from `1796485910500` ms once `.0` is dropped).
public struct TopLevelMembers: Sendable {
    /// Keys written more than once.
    public private(set) var repeatedKeys: [String] = []
    /// Members whose value is a number that is a time, as epoch milliseconds.
    public private(set) var times: [String: Int64] = [:]

    /// Nil when `payload` is not exactly one JSON object.
    public init?(_ payload: [UInt8]) {
        var seen = Set<String>()
        let ok: Bool = payload.withUnsafeBufferPointer { bytes in
            var scanner = JSONScanner(bytes)
            do {
                while let (rawKey, value) = try scanner.nextMember() {
                    guard let key = JSONScanner.decodeString(rawKey, hasEscapes: scanner.lastKeyHadEscapes) else { return false }
                    if !seen.insert(key).inserted, !repeatedKeys.contains(key) { repeatedKeys.append(key) }
                    if case .number(let n) = value {
                        let ms = n.isIntegerLiteral ? n.integer : nil
                        times[key] = ms ?? Timestamp.milliseconds(number: n.value, writtenAsInteger: n.isIntegerLiteral)
                    }
                }
                return true
            } catch {
                return false
            }
        }
        guard ok else { return nil }
    }
}
