import Foundation

/// The one JSON route for everything off the readings' hot path: control messages (resend and
/// replay requests, replay answers, state notices), the simulator's and the tests' reading of the
/// output, JSON logs and the JSON config file. The engine's scanner and writer stay the hot path for
/// readings, cleaned output and dead letters; these types decode what that writer produces.
public enum WireJSON {
    /// Encodes `value` with sorted keys and unescaped slashes (topics stay readable).
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    /// Shared: both are Sendable and keep no state between calls.
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
    private static let decoder = JSONDecoder()

    /// `encode` as text; for values that always encode (strings, messages of this module) the
    /// fallback is never taken.
    public static func text<T: Encodable>(_ value: T) -> String {
        (try? encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Decodes a `T` from a JSON payload.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }

    /// An object with its members in the order given (members whose value is nil are left out),
    /// for messages whose documented key order is kept: the values still go through the encoder.
    public static func object(_ members: KeyValuePairs<String, JSONValue?>) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (key, value) in members {
            guard let value else { continue }
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out += Array(quoted(key).utf8)
            out.append(UInt8(ascii: ":"))
            out += Array(text(value).utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A JSON string literal for `s`, quotes included.
    public static func quoted(_ s: String) -> String { text(s) }
}
