import DeterministicRandom
import Testing
@testable import Recovery

@Suite("Number formatting")
struct NumberFormatTests {
    /// The fast path must print exactly what `description` prints, or decline.
    @Test("output numbers read the same as Swift's description, fast path or not")
    func matchesDescription() {
        var rng = SplitMix64(seed: 99)
        var values: [Double] = [52, 52.3, 52.31, 52.315, -40, 85.5, 0.1, 0.5, 0.125, 999_999_999.999, 1e-5, 1e20, 50.000001, 54.9999]
        for _ in 0..<200_000 {
            let scaleChoice = rng.next() % 4
            let integer = Double(rng.next() % 200_000) - 100_000
            switch scaleChoice {
            case 0: values.append(integer / 100)
            case 1: values.append(integer / 1000)
            case 2: values.append((integer * 1000 + Double(rng.next() % 1000)) / 1000)
            default: values.append(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (rng.next() % 2 == 0 ? 1 : -1))
            }
        }
        var fast = 0
        for v in values {
            var bytes: [UInt8] = []
            if JSONWriter.appendShortDecimal(v, to: &bytes) { fast += 1 }
            var all: [UInt8] = []
            JSONWriter.appendNumber(v, to: &all)
            #expect(String(decoding: all, as: UTF8.self) == v.description, "\(v)")
        }
        #expect(fast > 100_000)
    }

    @Test("negative zero goes out as 0.0, positive zero as well")
    func negativeZero() {
        for v in [-0.0, 0.0] {
            var bytes: [UInt8] = []
            JSONWriter.appendNumber(v, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "0.0")
        }
    }
}
