/// The line form of the config file: `name: value` or `name = value`, one per line.
///
/// - `#` starts a comment outside quotes, after a blank (a `#` straight after a value's text is
///   an error, not a silent cut); a value in double or single quotes may hold `#`,
///   `:` , `=` and spaces (`password: "a#b"`). In double quotes `\"` and `\\` stand for `"` and
///   `\`; single quotes take everything as it is.
/// - Lines end with LF or CRLF (a file saved on Windows reads the same); a byte-order mark is
///   dropped by `ConfigFileReader`.
/// - A setting given twice is an error naming both lines (the loader checks, after spelling
///   `max_fill` and `max-fill` alike).
enum ConfigFileParser {
    /// One `name: value` line.
    struct Entry: Equatable {
        var key: String
        var value: String
        /// 1-based.
        var line: Int
    }

    /// Why a line cannot be read; `key` is the setting's name when the line got that far.
    struct LineProblem: Error {
        var line: Int
        var key: String?
        var text: String
        var message: String
    }

    static func entries(_ text: String) throws(LineProblem) -> [Entry] {
        var out: [Entry] = []
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            var line = Array(raw)
            // CRLF's CR; a CR ending the file with no LF after it is a CR alone (found black-box,
            // 47th review: accepted silently).
            if line.last == "\r", index < lines.count - 1 { line.removeLast() }
            if let entry = try parse(line, number: index + 1) { out.append(entry) }
        }
        return out
    }

    private static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    /// One line: nil when blank or a comment.
    private static func parse(_ line: [Unicode.Scalar], number: Int) throws(LineProblem) -> Entry? {
        let text = String(String.UnicodeScalarView(line))
        /// `shown`: the value as the error names it (nil: the whole line, when no value was read).
        func fail(_ key: String?, _ message: String, shown: String? = nil) -> LineProblem {
            LineProblem(line: number, key: key, text: shown ?? text.trimmingBlanks, message: message)
        }
        if line.contains("\r") {
            throw fail(nil, "a carriage return inside the line (line endings may be LF or CRLF, not CR alone)")
        }
        var i = line.startIndex
        while i < line.endIndex && isBlank(line[i]) { i += 1 }
        if i == line.endIndex || line[i] == "#" { return nil }
        guard let sep = line[i...].firstIndex(where: { $0 == ":" || $0 == "=" || $0 == "#" }), line[sep] != "#" else {
            throw fail(nil, "expected `name: value`")
        }
        let key = String(String.UnicodeScalarView(line[i..<sep])).trimmingBlanks
        guard !key.isEmpty else { throw fail(nil, "expected `name: value` (the name is missing)") }
        i = sep + 1
        while i < line.endIndex && isBlank(line[i]) { i += 1 }
        var value = String.UnicodeScalarView()
        if i < line.endIndex, line[i] == "\"" || line[i] == "'" {
            let quote = line[i]
            i += 1
            var closed = false
            while i < line.endIndex {
                let c = line[i]
                i += 1
                if c == quote {
                    closed = true
                    break
                }
                if quote == "\"", c == "\\", i < line.endIndex, line[i] == "\"" || line[i] == "\\" {
                    value.append(line[i])
                    i += 1
                } else {
                    value.append(c)
                }
            }
            guard closed else { throw fail(key, "the value's opening \(quote) is not closed on this line") }
            while i < line.endIndex && isBlank(line[i]) { i += 1 }
            guard i == line.endIndex || line[i] == "#" else {
                throw fail(key, "unexpected text after the quoted value (a comment starts with #)")
            }
            return Entry(key: key, value: String(value), line: number)
        }
        while i < line.endIndex && line[i] != "#" {
            value.append(line[i])
            i += 1
        }
        // A `#` straight after the value's text (`plant/+/#`, `pass#word`) would cut the value
        // short without a word: a comment needs a blank before it, a `#` in a value quotes.
        if i < line.endIndex, let before = value.last, !isBlank(before) {
            // Named as the value, as other errors name it (found black-box, 90th review: the
            // whole line stood where the value belongs, `username (...)=username: line#3`).
            let shown = (String(value) + String(String.UnicodeScalarView(line[i...]))).trimmingBlanks
            // A topic filter of readings takes no `#` at all: quoting it would only lead to the
            // next refusal (found black-box, 67th review).
            if key.replacingOccurrences(of: "_", with: "-") == "topic-filter" {
                throw fail(
                    key,
                    "a topic-filter takes no #, quoted or not: it needs exactly one + level, the sensor id's (sensors/+/temperature, plant/hall-2/+/temperature)",
                    shown: shown)
            }
            throw fail(
                key,
                "a # right after the value's text starts a comment and would cut the value to `\(String(value).trimmingBlanks)`: quote the value to keep the # (\(key): \"...\"), or put a space before the comment",
                shown: shown)
        }
        return Entry(key: key, value: String(value).trimmingBlanks, line: number)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}
