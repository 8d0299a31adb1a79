/// One member's value of a cleaned message, as text ready for another format.
public enum CleanedMemberValue: Sendable, Equatable {
    /// A string, escapes resolved.
    case text(String)
    /// A number written as the gateway's writer writes it (`52.31`, `41`), so a value goes on
    /// to CSV or line protocol with the same digits it had on `cleaned/`.
    case number(String, isInteger: Bool)
    case bool(Bool)
    /// `null`, or a nested value (cleaned messages have none).
    case other
}

extension CleanedMessage {
    /// The members of a cleaned message in the order written, or nil when the payload is not one
    /// flat JSON object. Off the hot path: exports read messages back with it.
    public static func members(_ payload: [UInt8]) -> [(key: String, value: CleanedMemberValue)]? {
        payload.withUnsafeBufferPointer { buffer -> [(key: String, value: CleanedMemberValue)]? in
            var scanner = JSONScanner(buffer)
            var out: [(key: String, value: CleanedMemberValue)] = []
            do {
                while let member = try scanner.nextMember() {
                    guard let key = JSONScanner.decodeString(member.key, hasEscapes: scanner.lastKeyHadEscapes) else { return nil }
                    let value: CleanedMemberValue
                    switch member.value {
                    case .string(let raw, let hasEscapes):
                        guard let text = JSONScanner.decodeString(raw, hasEscapes: hasEscapes) else { return nil }
                        value = .text(text)
                    case .number(let n):
                        if n.isIntegerLiteral, let i = n.integer {
                            value = .number(String(i), isInteger: true)
                        } else {
                            var bytes: [UInt8] = []
                            JSONWriter.appendNumber(n.value, to: &bytes)
                            value = .number(String(decoding: bytes, as: UTF8.self), isInteger: false)
                        }
                    case .bool(let b): value = .bool(b)
                    case .null, .object, .array: value = .other
                    }
                    out.append((key, value))
                }
            } catch {
                return nil
            }
            return out
        }
    }
}
