import Foundation

/// The benchmark report as an aligned table for people and as JSON for scripts.
extension BenchReport {
    /// Header line, one row per operation kind, the failures, and the client's CPU line.
    package var table: String {
        let header = ["op", "count", "ops/s", "p50", "p90", "p99", "p99.9", "max", "mean", "errors", "timeouts"]
        let rows = operations.map { operation -> [String] in
            let latency = operation.latencyMicroseconds
            return [
                operation.name, "\(operation.count)", String(format: "%.1f", operation.perSecond),
                Self.milliseconds(latency.p50), Self.milliseconds(latency.p90), Self.milliseconds(latency.p99),
                Self.milliseconds(latency.p99_9), Self.milliseconds(latency.max), Self.milliseconds(UInt64(latency.mean.rounded())),
                "\(operation.errors)", "\(operation.timeouts)",
            ]
        }
        var lines = [
            "bench: \(clients) client(s) over \(endpoints.count) endpoint(s), \(String(format: "%.2f", elapsed.seconds)) s, "
                + "\(valueBytes)-byte values, \(keys) keys, \(Int((readFraction * 100).rounded())) % reads"
                + (workload == .set ? "" : ", writes are \(workload.rawValue)") + "; latency in ms"
        ]
        lines += TextTable.rightAligned([header] + rows)
        for operation in operations where operation.name != "total" {
            if let error = operation.firstError { lines.append("first \(operation.name) failure: \(error)") }
            if operation.aborted > 0 {
                lines.append("\(operation.name): \(operation.aborted) transaction(s) aborted by EXEC (a watched key changed), not counted above")
            }
        }
        if subscribers > 0, let notify = operations.first(where: { $0.name == "notify" }) {
            let share = notificationsExpected > 0 ? 100 * Double(notify.count) / Double(notificationsExpected) : 0
            lines.append(String(
                format: "notify: %d subscriber(s) received %llu of %llu expected messages (%.1f %%), %d reconnect(s); latency is send → received",
                subscribers, notify.count, notificationsExpected, share, subscriberReconnects))
        }
        lines.append(String(
            format: "client CPU: %.2f s user + %.2f s system = %.1f %% of one core (the machine has %d)",
            clientCPU.user.seconds, clientCPU.system.seconds, clientCPUPercentOfOneCore, cores))
        return lines.joined(separator: "\n")
    }

    /// "1.234" milliseconds from microseconds.
    static func milliseconds(_ micros: UInt64) -> String {
        String(format: "%.3f", Double(micros) / 1_000)
    }

    /// The report as pretty-printed JSON with sorted keys; latencies in microseconds.
    package var json: String { SortedJSON.render(self, what: "bench report") }

    private enum CodingKeys: String, CodingKey {
        case clients, endpoints, keys, operations, cores, workload
        case valueBytes = "value_bytes"
        case readFraction = "read_fraction"
        case elapsedSeconds = "elapsed_seconds"
        case clientCPU = "client_cpu"
        case subscribers
        case notificationsExpected = "notifications_expected"
        case subscriberReconnects = "subscriber_reconnects"
    }

    private struct CPU: Encodable {
        var user_seconds: Double
        var system_seconds: Double
        var percent_of_one_core: Double
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clients, forKey: .clients)
        try container.encode(endpoints, forKey: .endpoints)
        try container.encode(keys, forKey: .keys)
        try container.encode(workload.rawValue, forKey: .workload)
        try container.encode(valueBytes, forKey: .valueBytes)
        try container.encode(readFraction, forKey: .readFraction)
        try container.encode((elapsed.seconds * 1_000).rounded() / 1_000, forKey: .elapsedSeconds)
        try container.encode(operations, forKey: .operations)
        try container.encode(cores, forKey: .cores)
        try container.encode(
            CPU(user_seconds: clientCPU.user.seconds, system_seconds: clientCPU.system.seconds,
                percent_of_one_core: (clientCPUPercentOfOneCore * 10).rounded() / 10),
            forKey: .clientCPU)
        if subscribers > 0 {
            try container.encode(subscribers, forKey: .subscribers)
            try container.encode(notificationsExpected, forKey: .notificationsExpected)
            try container.encode(subscriberReconnects, forKey: .subscriberReconnects)
        }
    }
}
