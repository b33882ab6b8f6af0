import CoreMetrics

/// One exported metric family: what `/metrics` calls it, what Prometheus type it has, what it
/// means, in which unit, and which labels it may carry. `MetricCatalog` lists them all.
///
/// Metrics are made only through the factory methods here, so a metric whose name, type or
/// labels are not those of its descriptor is a programmer error and crashes at registration.
public struct MetricDescriptor: Hashable, Sendable {
    /// The Prometheus type (`# TYPE`). swift-metrics' Counter, Gauge and Timer/aggregating
    /// Recorder become these three in swift-prometheus.
    public enum Kind: String, Hashable, Sendable {
        case counter, gauge, histogram
    }

    /// The base unit, named last in the metric name (before `_total` for a counter).
    public enum Unit: String, Hashable, Sendable {
        case seconds, bytes
        /// A count of things (requests, slots, jobs): Prometheus puts no suffix on counts.
        case none
    }

    public let name: String
    public let kind: Kind
    public let unit: Unit
    /// Every label the family may carry; `group` only on nodes with several groups.
    public let labels: [String]
    public let help: String
    /// The name before issue 20's rename, for docs/metrics.md; nil for metrics new since.
    public let formerName: String?

    init(_ name: String, _ kind: Kind, unit: Unit = .none, labels: [String] = [], formerName: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.unit = unit
        self.labels = labels
        self.help = help
        self.formerName = formerName
    }

    func counter(_ dimensions: [(String, String)] = [], factory: any MetricsFactory) -> Counter {
        check(.counter, dimensions)
        return Counter(label: name, dimensions: dimensions, factory: factory)
    }

    func gauge(_ dimensions: [(String, String)] = [], factory: any MetricsFactory) -> Gauge {
        check(.gauge, dimensions)
        return Gauge(label: name, dimensions: dimensions, factory: factory)
    }

    /// A histogram of durations: recorded in nanoseconds, exported in seconds by swift-prometheus.
    func timer(_ dimensions: [(String, String)] = [], factory: any MetricsFactory) -> Timer {
        check(.histogram, dimensions)
        precondition(unit == .seconds, "metric \(name): a timer exports seconds")
        return Timer(label: name, dimensions: dimensions, factory: factory)
    }

    /// A histogram of plain values (an aggregating recorder).
    func histogram(_ dimensions: [(String, String)] = [], factory: any MetricsFactory) -> Recorder {
        check(.histogram, dimensions)
        return Recorder(label: name, dimensions: dimensions, aggregate: true, factory: factory)
    }

    private func check(_ expected: Kind, _ dimensions: [(String, String)]) {
        precondition(kind == expected, "metric \(name) is a \(kind.rawValue), not a \(expected.rawValue)")
        for (label, _) in dimensions {
            precondition(labels.contains(label), "metric \(name) has no label '\(label)' in MetricCatalog")
        }
    }
}
