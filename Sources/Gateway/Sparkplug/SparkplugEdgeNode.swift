import Recovery
import Sparkplug
import Wire

/// The gateway's own Sparkplug B edge node (docs/SPARKPLUG.md, "The cleaned stream as an edge
/// node"): turns the cleaned messages it is shown into Sparkplug births and data, each sensor a
/// device and each measurement a `Double` metric of it, the quality a metric property.
///
/// Pure: it makes the messages and numbers them; `SparkplugEdgeNodeOutput` sends them. The node's
/// `seq` (0-255, wrapping) runs over every message of one birth, in the order returned, so a host
/// sees a break only where a message was lost. Births carry every metric with its alias and last
/// value; data carries aliases only. What is shown while no session is up only updates the last
/// values the next births carry.
struct SparkplugEdgeNode {
    /// A message to send: topic and protobuf payload.
    struct Message: Equatable, Sendable {
        var topic: String
        var payload: [UInt8]
        var isBirth = false
    }

    /// One metric of a device: its alias (unique across the node) and what its birth says.
    private struct Metric {
        var alias: UInt64
        var last: SparkplugMetric
    }

    private struct Device {
        var metrics: [String: Metric] = [:]
        /// Metric names in the order they appeared (births list them so).
        var order: [String] = []
    }

    /// Changed only while no session is up (a SIGHUP's new `sparkplug-edge-node`): the devices
    /// and their last values go on under the new id.
    var id: SparkplugEdgeNodeID {
        didSet { offline() }
    }
    private var devices: [String: Device] = [:]
    /// Device ids in the order they appeared; a forgotten one stays until the list is compacted
    /// (`compactOrder`), so forgetting many at once is not quadratic.
    private var deviceOrder: [String] = []
    private var nextAlias: UInt64 = 1
    /// The `seq` of the next message of this birth.
    private var seq: UInt64 = 0
    /// The session's `bdSeq`, nil while no session is up (nothing is sent then).
    private(set) var bdSeq: UInt64?
    /// Messages made since the last `take`, in order.
    private var outgoing: [Message] = []
    /// Data waiting for the next `take`, by device (each becomes one DDATA, or more when a
    /// metric has several values), in first-seen order.
    private var pending: [String: [SparkplugMetric]] = [:]
    private var pendingOrder: [String] = []
    /// Cleaned messages seen while no session was up (their values reach the next births only).
    private(set) var unsent = 0

    init(id: SparkplugEdgeNodeID) {
        self.id = id
    }

    var deviceCount: Int { devices.count }
    var isOnline: Bool { bdSeq != nil }

    /// The `NDEATH` that ends node `id`'s session of `bdSeq`: the will of its connection, and
    /// what a clean stop publishes before disconnecting (section 7.1).
    static func death(_ id: SparkplugEdgeNodeID, bdSeq: UInt64, now: UInt64) -> Message {
        let payload = SparkplugPayload(timestamp: now, metrics: [Self.bdSeqMetric(bdSeq, now: now)])
        return Message(topic: id.topic(.nodeDeath), payload: payload.serialized())
    }

    /// A session with `bdSeq` is up, or a host asked for a rebirth: `NBIRTH` (seq 0), then a
    /// `DBIRTH` of every device known, with its metrics' last values. Queued for `take`.
    mutating func birth(bdSeq: UInt64, now: UInt64) {
        self.bdSeq = bdSeq
        seq = 0
        outgoing = []
        pending = [:]
        pendingOrder = []
        let rebirth = SparkplugMetric(name: "Node Control/Rebirth", timestamp: now, datatype: .boolean, value: .boolean(false))
        append(id.topic(.nodeBirth), SparkplugPayload(timestamp: now, metrics: [Self.bdSeqMetric(bdSeq, now: now), rebirth]), birth: true)
        compactOrder()
        for device in deviceOrder { appendDeviceBirth(device, now: now) }
    }

    /// The session ended: nothing is sent until the next `birth`.
    mutating func offline() {
        bdSeq = nil
        outgoing = []
        pending = [:]
        pendingOrder = []
    }

    /// Shows the node one publication; a cleaned message (`cleaned/<sensor>/<measurement>`)
    /// becomes a metric value of device `<sensor>`, and a stream announced `expired` (forgotten by
    /// the engine: silent past `sensor-retention-s`, or evicted) leaves it. Returns whether it
    /// was a cleaned message.
    @discardableResult
    mutating func show(_ p: Publication, now: UInt64) -> Bool {
        if p.kind == .sensorState {
            forgetIfExpired(p, now: now)
            return false
        }
        guard p.kind == .cleaned, let (device, name) = Self.deviceAndMetric(p.topic), let value = Self.metric(p) else { return false }
        guard isOnline else {
            remember(device, name, value)
            unsent += 1
            return true
        }
        if devices[device]?.metrics[name] == nil {
            // A new device or a new metric of one: its data so far goes first, then its birth
            // carries this value with every other metric's last.
            flushDevice(device, now: now)
            remember(device, name, value)
            appendDeviceBirth(device, now: now)
            return true
        }
        remember(device, name, value)
        var data = value
        data.alias = devices[device]?.metrics[name]?.alias
        data.name = nil
        data.datatype = nil
        // One value per metric in a DDATA (hosts keep one value per tag from a message, and the
        // gateway's own input refuses a metric twice in one): a second value of the metric
        // (a backlog going out) starts the device's next DDATA.
        if pending[device]?.contains(where: { $0.alias == data.alias }) == true { flushDevice(device, now: now) }
        if pending[device] == nil {
            pending[device] = []
            pendingOrder.append(device)
        }
        pending[device]?.append(data)
        return true
    }

    /// The messages made since the last call, data last (one `DDATA` per device), in send order.
    mutating func take(now: UInt64) -> [Message] {
        for device in pendingOrder { flushDevice(device, now: now) }
        pendingOrder = []
        defer { outgoing = [] }
        return outgoing
    }

    // MARK: - Making messages

    private mutating func flushDevice(_ device: String, now: UInt64) {
        guard let metrics = pending.removeValue(forKey: device), !metrics.isEmpty else { return }
        append(id.topic(.deviceData, device: device), SparkplugPayload(timestamp: now, metrics: metrics))
    }

    private mutating func appendDeviceBirth(_ device: String, now: UInt64) {
        guard let d = devices[device] else { return }
        let metrics = d.order.compactMap { name -> SparkplugMetric? in
            guard var m = d.metrics[name]?.last else { return nil }
            m.name = name
            m.alias = d.metrics[name]?.alias
            m.datatype = .double
            m.isHistorical = false
            return m
        }
        append(id.topic(.deviceBirth, device: device), SparkplugPayload(timestamp: now, metrics: metrics), birth: true)
    }

    private mutating func append(_ topic: String, _ payload: SparkplugPayload, birth: Bool = false) {
        var payload = payload
        payload.seq = seq
        seq = (seq + 1) & 0xFF
        outgoing.append(Message(topic: topic, payload: payload.serialized(), isBirth: birth))
    }

    /// Keeps `value` as the metric's last unless it is older than the last (registering the
    /// device and metric when new).
    private mutating func remember(_ device: String, _ name: String, _ value: SparkplugMetric) {
        if devices[device] == nil {
            devices[device] = Device()
            deviceOrder.append(device)
        }
        if devices[device]?.metrics[name] == nil {
            devices[device]?.metrics[name] = Metric(alias: nextAlias, last: value)
            devices[device]?.order.append(name)
            nextAlias += 1
        } else if let last = devices[device]?.metrics[name]?.last, (value.timestamp ?? 0) >= (last.timestamp ?? 0) {
            // A birth's value is the current one: a restated reading corrects the past.
            devices[device]?.metrics[name]?.last = value
        }
    }

    /// A stream's `expired` state: its metric leaves its device; the device is born again
    /// without it (`DBIRTH`), or dies (`DDEATH`) and is forgotten when it was the last. So the
    /// node holds no more devices than the engine holds sensors.
    private mutating func forgetIfExpired(_ p: Publication, now: UInt64) {
        let levels = p.topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 4 || levels.count == 5, levels[0] == "gateway", levels[2] == "sensors",
            let notice = try? WireJSON.decode(SensorStateNotice.self, from: p.payload), notice.state == .expired
        else { return }
        let device = String(levels[3])
        let name = levels.count == 5 ? String(levels[4]) : Topics.defaultMeasurement
        guard devices[device]?.metrics[name] != nil else { return }
        if isOnline { flushDevice(device, now: now) }
        devices[device]?.metrics[name] = nil
        devices[device]?.order.removeAll { $0 == name }
        if devices[device]?.order.isEmpty == true {
            devices[device] = nil
            if deviceOrder.count > 2 * devices.count + 64 { compactOrder() }
            if isOnline { append(id.topic(.deviceDeath, device: device), SparkplugPayload(timestamp: now)) }
        } else if isOnline {
            appendDeviceBirth(device, now: now)
        }
    }

    /// `deviceOrder` without forgotten devices, each once (one forgotten and seen again is in it twice).
    private mutating func compactOrder() {
        var seen = Set<String>()
        deviceOrder = deviceOrder.filter { devices[$0] != nil && seen.insert($0).inserted }
    }
}
