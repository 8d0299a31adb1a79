import Foundation
import Wire

/// The top-level members of a JSON config file in the order written, each with the line and
/// column it starts at and its value, duplicates included: a JSON decoder keeps the last of a key given
/// twice without a word, and the line form refuses duplicates, so the JSON form must see them.
enum JSONConfigKeys {
    struct Member: Equatable {
        var key: String
        /// The value as a setting reads it (a string without its quotes).
        var value: String
        /// 1-based.
        var line: Int
        /// 1-based, in characters, of the key's opening quote: tells two members on one line
        /// apart (a JSON file is often written on a single line).
        var column: Int
    }

    /// The members of `text`, a JSON object already known to be valid.
    static func members(_ text: String) -> [Member] {
        let b = Array(text.utf8)
        var out: [Member] = []
        var depth = 0
        var line = 1
        var lineStart = 0
        var expectingKey = false
        var pending: (key: String, line: Int, column: Int)?
        var valueStart: Int?
        func finishValue(at end: Int) {
            guard let p = pending, let start = valueStart else { return }
            let raw = Array(b[start..<end])
            let value = (try? WireJSON.decode(JSONValue.self, from: raw))?.settingText ?? String(decoding: raw, as: UTF8.self)
            out.append(Member(key: p.key, value: value.trimmingCharacters(in: .whitespacesAndNewlines), line: p.line, column: p.column))
            pending = nil
            valueStart = nil
        }
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = i + 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectingKey = true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 1 { finishValue(at: i) }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 {
                    finishValue(at: i)
                    expectingKey = true
                }
            case UInt8(ascii: ":"):
                if depth == 1 { valueStart = i + 1 }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                if depth == 1, expectingKey, i < b.count {
                    let key = (try? WireJSON.decode(String.self, from: Array(b[start...i]))) ?? String(decoding: b[(start + 1)..<i], as: UTF8.self)
                    pending = (key, line, String(decoding: b[lineStart..<start], as: UTF8.self).count + 1)
                    expectingKey = false
                }
            default:
                break
            }
            i += 1
        }
        return out
    }
}
