import Recovery

/// Column orders the CSV form is fuzzed with: the contract's, and others that move required
/// columns after optional ones or leave optional ones out.
let csvOrders: [CSVColumns?] = [nil, "ts,value,seq,boot,status", "status,seq,ts,value", "value,seq,ts"].map { text in
    text.flatMap { try? CSVColumns(parsing: $0) }
}

/// Other JSON field names the JSON form is fuzzed with: none, and a firmware's (`JSONFieldNames`),
/// read as temperature's and as another measurement's.
let fieldNames: [(field: String?, names: JSONFieldNames?)] = [
    (nil, nil), (nil, try? JSONFieldNames(parsing: "value=temp_c,seq=sn,ts=time,status=st,boot=b,sensor_id=id")),
    ("humidity", try? JSONFieldNames(parsing: "value=rh,seq=s", reserved: "humidity")),
]

/// libFuzzer entry point: any bytes as a reading's payload, JSON or CSV by its first byte (the
/// CSV form under an order, the JSON form under field names, chosen by the input's length). The
/// parser must return a reading or a reason, never trap; an accepted reading must satisfy the
/// limits it promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let payload = UnsafeBufferPointer(start: data, count: count)
    let naming = fieldNames[count % fieldNames.count]
    switch ReadingParser.parse(
        payload, sensorID: "fuzz", csvColumns: csvOrders[count % csvOrders.count], field: naming.field, names: naming.names)
    {
    case .success(let r):
        precondition(r.seq <= ReadingParser.maxSeq, "seq beyond the limit accepted")
        precondition(r.ts >= 0 && r.ts < ReadingParser.timestampLimit, "ts beyond the limit accepted")
        precondition(r.temperature.isFinite, "a non-finite temperature accepted")
        precondition((r.boot ?? 0) >= 0, "a negative boot accepted")
        precondition(!payload.contains(0), "a payload with a NUL accepted")
    case .failure(let reason):
        precondition(!reason.code.isEmpty)
    }
    return 0
}
