import Recovery

/// libFuzzer entry point: any bytes as a reading's payload. The parser must return a reading or
/// a reason, never trap; an accepted reading must satisfy the limits it promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let payload = UnsafeBufferPointer(start: data, count: count)
    switch ReadingParser.parse(payload, sensorID: "fuzz") {
    case .success(let r):
        precondition(r.seq <= ReadingParser.maxSeq, "seq beyond the limit accepted")
        precondition(r.ts >= 0 && r.ts < ReadingParser.timestampLimit, "ts beyond the limit accepted")
        precondition(r.temperature.isFinite, "a non-finite temperature accepted")
    case .failure(let reason):
        precondition(!reason.code.isEmpty)
    }
    return 0
}
