/// What the readings measure, as people are shown it: every reading today is a temperature (the
/// payload's `temperature` field) in degrees Celsius, as are `valid-min` and `valid-max`.
///
/// The one place the unit is written, so work that lets readings carry other quantities or units
/// changes it here (or replaces it with a per-sensor value) rather than in every display.
public enum Measured {
    /// The unit shown beside values and the valid range, e.g. on the status page.
    public static let unit = "°C"
}
