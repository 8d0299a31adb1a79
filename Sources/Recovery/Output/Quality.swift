import Wire

/// The quality flag of a cleaned reading (docs/INTERFACE.md section 2): `Wire`'s one type, so
/// what the engine writes and what readers decode cannot drift apart.
public typealias Quality = Wire.Quality
