import Foundation

/// The JSON member names a simulated firmware writes: the contract's, or others for some of its
/// fields (`--json-fields value=temp_c,seq=sn,ts=time`), as old firmware that the gateway reads
/// through its own `json-fields` setting does.
struct FirmwareFieldNames: Equatable {
    /// The fields that can be named otherwise, as the contract names them.
    static let fields = ["sensor_id", "seq", "ts", "value", "status", "boot"]
    private var names: [String: String] = [:]

    init() {}

    /// Reads `field=name` pairs separated by commas; throws naming the pair that is not one.
    init(parsing text: String) throws(Invalid) {
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, Self.fields.contains(pair[0]), !pair[1].isEmpty, !pair[1].contains("\""), !pair[1].contains("\\") else {
                throw Invalid(message: "`\(part)`: expected field=name with field one of \(Self.fields.joined(separator: ", "))")
            }
            names[pair[0]] = pair[1]
        }
    }

    struct Invalid: Error { let message: String }

    /// The name written for `field` (`value` stands for the measurement's own member, `own`).
    func name(_ field: String, own: String? = nil) -> String { names[field] ?? own ?? field }
}
