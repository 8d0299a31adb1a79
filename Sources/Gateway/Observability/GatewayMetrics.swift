import CoreMetrics
import Prometheus
import Synchronization

/// The gateway's metrics: one swift-prometheus registry per gateway, which `/metrics` renders.
///
/// Two kinds of series feed it. What the running process measures of itself (publish latency,
/// service-loop turns) is recorded through swift-metrics instruments backed by the registry, as
/// it happens. The totals the gateway promises across restarts (readings, qualities, dead
/// letters) live in the engine's state, which a restart restores from its snapshot and journal;
/// they are brought into the registry's counters from the latest status at each scrape
/// (`GatewayMetrics+Status.swift`), so a counter never restarts at zero when the gateway does.
public final class GatewayMetrics: Sendable {
    /// How a figure from the status is shown: a counter (a total that only grows) or a gauge.
    enum Kind {
        case counter, gauge
    }

    /// The registry `/metrics` renders.
    private let registry = PrometheusCollectorRegistry()

    /// From a publication joining the outbound queue to the broker's acknowledgement.
    let publishLatency: CoreMetrics.Timer
    /// How long each turn of the service loop took (the distribution behind the watchdog).
    let turnDuration: CoreMetrics.Timer

    /// The total last brought into each counter series, by series key (name and labels).
    private let fedTotals = Mutex<[String: Double]>([:])

    /// Bounds from a millisecond to a minute, for both duration histograms.
    static let durationBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000].map {
        .microseconds(Int64($0 * 1000))
    }

    public init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        publishLatency = Self.timer(
            registry, factory, "sensor_gateway_publish_latency_seconds",
            "From a publication joining the outbound queue to the broker's acknowledgement.")
        turnDuration = Self.timer(
            registry, factory, "sensor_gateway_service_turn_duration_seconds",
            "How long each turn of the service loop took (input, output and bookkeeping).")
    }

    /// A swift-metrics timer over a registry histogram that carries `help` (the factory's own
    /// histograms have none).
    private static func timer(
        _ registry: PrometheusCollectorRegistry, _ factory: PrometheusMetricsFactory, _ name: String, _ help: String
    ) -> CoreMetrics.Timer {
        let histogram = registry.makeDurationHistogram(descriptor: describe(name, help), labels: [], buckets: durationBuckets)
        return CoreMetrics.Timer(label: name, dimensions: [], handler: histogram, factory: factory)
    }

    /// Metric `name` (whole, unit suffix included) with its `# HELP` text.
    private static func describe(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Sets gauge `name` (with `labels`) to `value`.
    func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        registry.makeGauge(descriptor: Self.describe(name, help), labels: labels).set(to: value)
    }

    /// Brings counter `name` (with `labels`) up to `total`, a figure kept elsewhere (the engine's
    /// state, /proc) that only grows: the counter is incremented by what `total` gained since the
    /// last call. A smaller total (from a status older than the last one fed, when two scrapes
    /// overlap) changes nothing.
    func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], total: Double) {
        let counter = registry.makeCounter(descriptor: Self.describe(name, help), labels: labels)
        let key = labels.reduce(name) { $0 + "|" + $1.0 + "=" + $1.1 }
        fedTotals.withLock { fed in
            let gained = total - (fed[key] ?? 0)
            guard gained > 0 else { return }
            fed[key] = total
            if gained == gained.rounded(), gained < 9e15 { counter.increment(by: Int64(gained)) } else { counter.increment(by: gained) }
        }
    }

    /// The Prometheus text of every registered series.
    func text() -> String { registry.emitToString() }
}
