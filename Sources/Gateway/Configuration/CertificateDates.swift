import Foundation

/// The validity period of the first certificate in a PEM file, read from its DER (X.509
/// `tbsCertificate.validity`), so that an expired certificate, or a box whose clock is behind
/// (`not yet valid`), is named before TLS fails with "certificate verify failed".
struct CertificateDates: Equatable {
    var notBefore: Date
    var notAfter: Date

    /// nil when the file holds no certificate that can be read this far.
    init?(pemFile path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 1 << 20) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex),
            let der = Data(base64Encoded: String(text[begin.upperBound..<end.lowerBound]), options: .ignoreUnknownCharacters)
        else { return nil }
        self.init(der: [UInt8](der))
    }

    init?(der: [UInt8]) {
        var reader = DERReader(der[...])
        guard var certificate = reader.enter(0x30), var tbs = certificate.enter(0x30) else { return nil }
        if tbs.peekTag == 0xA0 { _ = tbs.skip() }  // version
        guard tbs.skip(), tbs.skip(), tbs.skip(), var validity = tbs.enter(0x30),  // serial, signature, issuer
            let from = validity.time(), let to = validity.time()
        else { return nil }
        (notBefore, notAfter) = (from, to)
    }

    /// What is wrong at `now`, if anything.
    func problem(at now: Date) -> String? {
        let format = ISO8601DateFormatter()
        if now > notAfter { return "expired on \(format.string(from: notAfter))" }
        if now < notBefore { return "is not valid before \(format.string(from: notBefore))" }
        return nil
    }
}

/// Just enough DER: tag, length, value.
private struct DERReader {
    var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var peekTag: UInt8? { bytes.first }

    /// The next element's tag and value, consumed.
    mutating func next() -> (tag: UInt8, value: ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[bytes.startIndex]
        var i = bytes.startIndex + 1
        var length = Int(bytes[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), bytes.endIndex - i >= count else { return nil }
            length = bytes[i..<(i + count)].reduce(0) { $0 << 8 | Int($1) }
            i += count
        }
        guard length >= 0, bytes.endIndex - i >= length else { return nil }
        defer { bytes = bytes[(i + length)...] }
        return (tag, bytes[i..<(i + length)])
    }

    mutating func enter(_ tag: UInt8) -> DERReader? {
        guard let (t, value) = next(), t == tag else { return nil }
        return DERReader(value)
    }

    mutating func skip() -> Bool { next() != nil }

    /// A UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
    mutating func time() -> Date? {
        guard let (tag, value) = next(), tag == 0x17 || tag == 0x18 else { return nil }
        var text = String(decoding: value, as: UTF8.self)
        guard text.hasSuffix("Z") else { return nil }
        if tag == 0x17 {
            guard let yy = Int(text.prefix(2)) else { return nil }
            text = (yy < 50 ? "20" : "19") + text
        }
        let digits = text.dropLast()
        guard digits.count >= 12, digits.allSatisfy(\.isNumber) else { return nil }
        func field(_ at: Int, _ n: Int) -> Int { Int(digits.dropFirst(at).prefix(n))! }
        var parts = DateComponents()
        (parts.year, parts.month, parts.day, parts.hour, parts.minute) = (field(0, 4), field(4, 2), field(6, 2), field(8, 2), field(10, 2))
        parts.second = digits.count >= 14 ? field(12, 2) : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: parts)
    }
}
