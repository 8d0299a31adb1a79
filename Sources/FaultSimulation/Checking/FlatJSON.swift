/// Reads a flat JSON object (string, number, boolean and null members; no nesting), as the
/// engine writes cleaned readings, dead letters and resend requests: member name -> value, a
/// string unescaped, anything else as written. Nil for anything else. The checker reads every
/// publication, so it avoids Foundation's decoder (ten times slower here).
enum FlatJSON {
    static func parse(_ bytes: [UInt8]) -> [String: String]? {
        var out: [String: String] = [:]
        var i = 0
        let n = bytes.count
        func skipSpace() { while i < n, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        func string() -> String? {
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var s: [UInt8] = []
            while i < n {
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { return String(decoding: s, as: UTF8.self) }
                guard c == UInt8(ascii: "\\") else {
                    s.append(c)
                    continue
                }
                guard i < n else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): s.append(0x0A)
                case UInt8(ascii: "t"): s.append(0x09)
                case UInt8(ascii: "r"): s.append(0x0D)
                case UInt8(ascii: "b"): s.append(0x08)
                case UInt8(ascii: "f"): s.append(0x0C)
                case UInt8(ascii: "u"):
                    guard i + 4 <= n, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
                    i += 4
                    s.append(contentsOf: Array(String(Unicode.Scalar(v).map(Character.init) ?? "?").utf8))
                default: s.append(e)
                }
            }
            return nil
        }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipSpace()
        if i < n, bytes[i] == UInt8(ascii: "}") { return out }
        while i < n {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            if i < n, bytes[i] == UInt8(ascii: "\"") {
                guard let v = string() else { return nil }
                out[key] = v
            } else {
                let start = i
                while i < n, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "}") { i += 1 }
                out[key] = String(decoding: bytes[start..<i], as: UTF8.self).trimmingSuffixSpaces
            }
            skipSpace()
            guard i < n else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return out }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSuffixSpaces: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
