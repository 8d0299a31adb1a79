#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// The standard Prometheus process metrics (`process_*`, as the official clients export them),
/// read from /proc on each scrape, so memory and CPU can be watched and alerted on without a node
/// exporter. Anything unreadable is left out: a metric must never stop the gateway.
enum ProcessMetrics {
    struct Sample {
        var name: String
        var kind: GatewayMetrics.Kind
        var help: String
        var value: Double
    }

    static func read() -> [Sample] {
        var out: [Sample] = []
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = text("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after "pid (comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
            let fields = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
            func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
            if let user = field(14), let system = field(15), tick > 0 {
                out.append(
                    Sample(
                        name: "process_cpu_seconds_total", kind: .counter, help: "User and system CPU time spent, in seconds.",
                        value: (user + system) / tick))
            }
            if let rss = field(24), page > 0 {
                out.append(Sample(name: "process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes.", value: rss * page))
            }
            if let vsize = field(23) {
                out.append(Sample(name: "process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes.", value: vsize))
            }
            if let start = field(22), tick > 0, let boot = bootTime() {
                out.append(
                    Sample(
                        name: "process_start_time_seconds", kind: .gauge, help: "Start time of the process since the Unix epoch, in seconds.",
                        value: boot + start / tick))
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            out.append(Sample(name: "process_open_fds", kind: .gauge, help: "Open file descriptors.", value: Double(fds.count)))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            out.append(Sample(name: "process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors.", value: Double(limit.rlim_cur)))
        }
        return out
    }

    private static func text(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The system's boot time (epoch seconds), from /proc/stat's `btime` line.
    private static func bootTime() -> Double? {
        text("/proc/stat")?.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }
}
