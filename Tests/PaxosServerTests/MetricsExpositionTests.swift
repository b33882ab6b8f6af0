// Method: make every node and group metric through NodeMetrics/GroupMetrics into a
// PrometheusCollectorRegistry of the test's own (the global MetricsSystem is never bootstrapped
// in tests), render it as /metrics does (the registry's text plus MetricCatalog's HELP lines),
// and check the text against Prometheus's naming conventions and against the catalog: every
// family has HELP and TYPE, its type and labels are the catalog's, and every catalog entry is
// exported by some metric. Covers issue 20 slice 3 (docs/design/watch-resp3-introspection.md §3).

import CoreMetrics
import NIOCore
import PaxosCore
import Prometheus
import Testing

@testable import PaxosServer

@Suite("server: /metrics exposition")
struct MetricsExpositionTests {
    /// /metrics of a node with `groups` groups after one use of every lazily made metric.
    static func exposition(groups: UInt32) -> String {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = MetricCatalog.durationBuckets
        let node = NodeMetrics(factory: factory)
        node.recordPeerRefusal("bad_proof")
        node.peerLinkTimeouts(.dialer).increment()
        node.peerReconnects(ReplicaID(2)).increment()
        node.recordRequest("SET", since: .now() - .milliseconds(3))
        for g in 0..<groups {
            let metrics = GroupMetrics(group: groups > 1 ? GroupID(g) : nil, factory: factory)
            metrics.peerLag(ReplicaID(2)).record(7)
            metrics.storageCommitDuration.recordNanoseconds(1_500_000)
            metrics.storageBatchJobs.record(3)
        }
        return String(decoding: MetricCatalog.addingHelp(to: registry.emitToBuffer()), as: UTF8.self)
    }

    /// The families of an exposition: name → (help, type), in the order HELP/TYPE appeared.
    struct Family { var help: String?; var type: String? }

    static func families(_ text: String) -> [String: Family] {
        var families: [String: Family] = [:]
        var lastHelp: String?
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
                families[rest[0], default: Family()].help = rest.count > 1 ? rest[1] : ""
                lastHelp = rest[0]
            } else if line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7).split(separator: " ").map(String.init)
                // The HELP line of a family comes right before its TYPE line.
                #expect(lastHelp == rest[0], "TYPE of \(rest[0]) not preceded by its HELP")
                families[rest[0], default: Family()].type = rest[1]
                lastHelp = nil
            } else {
                lastHelp = nil
            }
        }
        return families
    }

    @Test("exposition: every family has HELP and TYPE as the catalog says, and every catalog entry is exported",
          arguments: [UInt32(1), 3])
    func helpAndTypeForEveryFamily(groups: UInt32) throws {
        let families = Self.families(Self.exposition(groups: groups))
        #expect(Set(families.keys) == Set(MetricCatalog.all.map(\.name)))
        for (name, family) in families {
            let descriptor = try #require(MetricCatalog.descriptor(named: name), "\(name) is not in MetricCatalog")
            #expect(family.help == descriptor.help, "\(name)")
            #expect(family.type == descriptor.kind.rawValue, "\(name)")
        }
    }

    @Test("exposition: samples carry only their catalog labels; `group` exactly when there are several groups",
          arguments: [UInt32(1), 3])
    func labelsAreTheCatalogs(groups: UInt32) throws {
        for line in Self.exposition(groups: groups).split(separator: "\n") where !line.hasPrefix("#") {
            let series = String(line.split(separator: " ")[0])
            let name = String(series.prefix { $0 != "{" })
            let base = MetricCatalog.descriptor(named: name)
                ?? ["_bucket", "_sum", "_count"].lazy.compactMap { suffix in
                    name.hasSuffix(suffix) ? MetricCatalog.descriptor(named: String(name.dropLast(suffix.count))) : nil
                }.first
            let descriptor = try #require(base, "sample \(series) belongs to no catalog family")
            let labels = series.drop { $0 != "{" }.dropFirst().dropLast()
                .split(separator: ",").map { String($0.prefix { $0 != "=" }) }.filter { $0 != "le" }
            for label in labels { #expect(descriptor.labels.contains(label), "\(series)") }
            if descriptor.labels.contains("group") { #expect(labels.contains("group") == (groups > 1), "\(series)") }
        }
    }

    @Test("catalog: names follow Prometheus conventions", arguments: MetricCatalog.all)
    func namingConventions(descriptor: MetricDescriptor) {
        let name = descriptor.name
        #expect(name.hasPrefix("paxos_"))
        #expect(name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        #expect(name.hasSuffix("_total") == (descriptor.kind == .counter))
        let stem = descriptor.kind == .counter ? String(name.dropLast("_total".count)) : name
        switch descriptor.unit {
        case .seconds: #expect(stem.hasSuffix("_seconds"))
        case .bytes: #expect(stem.hasSuffix("_bytes"))
        case .none: #expect(!stem.hasSuffix("_seconds") && !stem.hasSuffix("_bytes"))
        }
        // Base units only: Prometheus wants seconds and bytes, never their multiples.
        for bad in ["milli", "micro", "nano", "kilo", "mega", "_ms", "_ns"] { #expect(!name.contains(bad)) }
        #expect(!descriptor.help.isEmpty && descriptor.help.last == ".")
    }

    @Test("addingHelp: a family outside the catalog gets no HELP; the rest of the text is unchanged")
    func unknownFamily() {
        let input = "# TYPE other_thing counter\nother_thing 1\n# TYPE paxos_elections_total counter\npaxos_elections_total 2\n"
        let output = String(decoding: MetricCatalog.addingHelp(to: Array(input.utf8)), as: UTF8.self)
        #expect(output == "# TYPE other_thing counter\nother_thing 1\n# HELP paxos_elections_total "
            + MetricCatalog.elections.help + "\n# TYPE paxos_elections_total counter\npaxos_elections_total 2\n")
        #expect(MetricCatalog.escapedHelp("a\\b\nc") == "a\\\\b\\nc")
    }
}
