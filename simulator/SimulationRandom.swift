import DeterministicRandom

/// The simulator's random source: one SplitMix64 stream per sensor, seeded from the run's seed
/// and the sensor's index, so the same seed replays the same fleet.
struct SimulationRandom {
    private var generator: SplitMix64

    init(seed: UInt64, stream: UInt64) {
        generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ (stream &+ 1) &* 0xD1B5_4A32_D192_ED03)
    }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in (0, 1).
    mutating func unit() -> Double { generator.nextUnit() }

    mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    mutating func gaussian() -> Double { generator.nextGaussian() }
}
