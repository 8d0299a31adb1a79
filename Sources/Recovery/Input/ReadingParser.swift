#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a payload into a `Reading` or the contract's reason for rejecting it.
/// Never traps, whatever the bytes.
public enum ReadingParser {
    /// The largest seq the contract allows (2^53 - 1, the largest integer a JSON double holds exactly).
    public static let maxSeq: UInt64 = (1 << 53) - 1

    private static let kSensorID = Array("sensor_id".utf8)
    private static let kSeq = Array("seq".utf8)
    private static let kTs = Array("ts".utf8)
    private static let kTemperature = Array("temperature".utf8)
    private static let kStatus = Array("status".utf8)
    private static let kBoot = Array("boot".utf8)
    private static let vNormal = Array("normal".utf8)
    private static let vDeviated = Array("deviated".utf8)

    /// Parses a payload whose topic named `sensorID` (already validated).
    public static func parse(_ payload: UnsafeBufferPointer<UInt8>, sensorID: String) -> Result<Reading, RejectionReason> {
        var seq: UInt64?
        var ts: Int64?
        var temperature: Double?
        var status: Reading.Status?
        var boot: Int64?
        var failure: RejectionReason?
        var payloadSensor: UnsafeBufferPointer<UInt8>?
        var payloadSensorEscaped = false

        func fail(_ r: RejectionReason) { if failure == nil { failure = r } }

        var scanner = JSONScanner(payload)
        do {
            try scanner.scanObject { key, value in
                // Dispatch on length first: most keys are rejected without comparing bytes.
                func isKey(_ k: [UInt8]) -> Bool {
                    key.count == k.count && k.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, k.count) == 0 }
                }
                if isKey(kSeq) {
                    guard case .number(let n) = value else { return fail(.badType("seq")) }
                    guard n.isIntegerLiteral, let i = n.integer, i >= 0, UInt64(i) <= maxSeq else { return fail(.badValue("seq")) }
                    seq = UInt64(i)
                } else if isKey(kTs) {
                    switch value {
                    case .number(let n):
                        guard n.value.isFinite, n.value >= 0, n.value < 253_402_300_800_000 else { return fail(.badValue("ts")) }
                        ts = n.integer ?? Int64(n.value.rounded(.down))
                    case .string(let raw, _):
                        guard let t = Timestamp.parseRFC3339(raw), t >= 0 else { return fail(.badValue("ts")) }
                        ts = t
                    default:
                        fail(.badType("ts"))
                    }
                } else if isKey(kTemperature) {
                    guard case .number(let n) = value else { return fail(.badType("temperature")) }
                    guard n.value.isFinite else { return fail(.badValue("temperature")) }
                    temperature = n.value
                } else if isKey(kStatus) {
                    guard case .string(let raw, _) = value else { return fail(.badType("status")) }
                    if raw.elementsEqual(vNormal) { status = .normal }
                    else if raw.elementsEqual(vDeviated) { status = .deviated }
                    else { fail(.badValue("status")) }
                } else if isKey(kBoot) {
                    guard case .number(let n) = value else { return fail(.badType("boot")) }
                    guard n.isIntegerLiteral, let i = n.integer, i >= 0 else { return fail(.badValue("boot")) }
                    boot = i
                } else if isKey(kSensorID) {
                    guard case .string(let raw, let escaped) = value else { return fail(.badType("sensor_id")) }
                    payloadSensor = raw
                    payloadSensorEscaped = escaped
                }
            }
        } catch {
            return .failure(.malformedJSON)
        }
        if let failure { return .failure(failure) }
        if let raw = payloadSensor {
            let matches = payloadSensorEscaped
                ? JSONScanner.decodeString(raw, hasEscapes: true) == sensorID
                : raw.elementsEqual(sensorID.utf8)
            if !matches { return .failure(.sensorIDMismatch) }
        }
        guard let seq else { return .failure(.missingField("seq")) }
        guard let ts else { return .failure(.missingField("ts")) }
        guard let temperature else { return .failure(.missingField("temperature")) }
        guard let status else { return .failure(.missingField("status")) }
        return .success(Reading(sensorID: sensorID, seq: seq, ts: ts, temperature: temperature, status: status, boot: boot))
    }
}
