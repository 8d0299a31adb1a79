import Sparkplug
import Wire

extension EngineConfiguration {
    /// The measurement a Sparkplug metric named `name` is read as (`temperature` or a declared
    /// one); nil: none, so the metric is not read. `sparkplugMetrics` names it first; else a
    /// metric named exactly as a measurement is read as that one, unless `sparkplugMetrics`
    /// maps another metric to it (one metric per measurement and device).
    func sparkplugMeasurement(forMetric name: String) -> String? {
        if let mapped = sparkplugMetrics?[name] { return mapped }
        let isMeasurement = name == Topics.defaultMeasurement || (measurements ?? []).contains { $0.name == name }
        guard isMeasurement, !(sparkplugMetrics ?? [:]).values.contains(name) else { return nil }
        return name
    }

    /// The sensor id of a Sparkplug node's or device's streams: `<group>.<edge node>[.<device>]`.
    static func sparkplugSensorID(_ topic: SparkplugTopic) -> String {
        let node = "\(topic.group).\(topic.edgeNode)"
        return topic.device.map { "\(node).\($0)" } ?? node
    }
}
