// Method: read the repository's docs/grafana/paxoskv.json and docs/metrics.md from the source
// tree and check them against MetricCatalog: every metric name a dashboard query uses (in any
// `expr` or variable query) is exported, every panel asks something, and the metrics
// reference documents every catalog entry and its former name. Covers issue 20 slice 4.

import Foundation
import Testing

@testable import PaxosServer

@Suite("server: metric names in the dashboard and the docs")
struct MetricReferenceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every `paxos_…` identifier in `text`.
    static func metricNames(in text: String) -> [String] {
        var names: [String] = []
        var current = ""
        for character in text + " " {
            if character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == ":") {
                current.append(character)
            } else {
                if current.hasPrefix("paxos_"), current.count > "paxos_".count { names.append(current) }
                current = ""
            }
        }
        return names
    }

    /// The catalog family a series name belongs to (a histogram's `_bucket`, `_sum`, `_count` too).
    static func family(of name: String) -> MetricDescriptor? {
        if let descriptor = MetricCatalog.descriptor(named: name) { return descriptor }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            if let descriptor = MetricCatalog.descriptor(named: String(name.dropLast(suffix.count))),
               descriptor.kind == .histogram { return descriptor }
        }
        return nil
    }

    /// Every string under an `expr` or `query` key, anywhere in the dashboard.
    static func queries(_ value: Any, key: String? = nil) -> [String] {
        switch value {
        case let object as [String: Any]: object.flatMap { queries($0.value, key: $0.key) }
        case let array as [Any]: array.flatMap { queries($0, key: key) }
        case let string as String where key == "expr" || key == "query": [string]
        default: []
        }
    }

    @Test("grafana: every metric in every query is in MetricCatalog, and every panel queries one")
    func dashboardNames() throws {
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("docs/grafana/paxoskv.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 5)
        for panel in panels {
            let exprs = Self.queries(panel)
            #expect(!exprs.isEmpty, "panel \(panel["title"] ?? "?") has no query")
            for expr in exprs { #expect(!Self.metricNames(in: expr).isEmpty, "\(expr) names no PaxosKV metric") }
        }
        let all = Self.queries(dashboard)
        for expr in all {
            for name in Self.metricNames(in: expr) { #expect(Self.family(of: name) != nil, "\(name) in \(expr)") }
        }
        // The issue's panels: writes/s, commit latency, leader changes, lag per peer, snapshot transfers.
        let used = Set(all.flatMap(Self.metricNames).compactMap { Self.family(of: $0)?.name })
        for required in ["paxos_proposals_total", "paxos_rpc_server_duration_seconds", "paxos_leader_changes_total",
                         "paxos_peer_lag_slots", "paxos_snapshots_sent_total"] {
            #expect(used.contains(required), "\(required)")
        }
    }

    @Test("grafana: the name scanner sees names inside PromQL and not other words")
    func scanner() {
        #expect(Self.metricNames(in: "histogram_quantile(0.99, sum by (le) (rate(paxos_x_bucket{a=\"b\"}[5m])))") == ["paxos_x_bucket"])
        #expect(Self.family(of: "paxos_rpc_server_duration_seconds_bucket")?.name == "paxos_rpc_server_duration_seconds")
        #expect(Self.family(of: "paxos_proposals_total_count") == nil)
        #expect(Self.family(of: "paxos_proposals") == nil)
    }

    @Test("docs: metrics.md describes every catalog metric and names its former name")
    func referenceDocumentsCatalog() throws {
        let text = try String(contentsOf: Self.repository.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let documented = Set(Self.metricNames(in: text))
        for descriptor in MetricCatalog.all {
            #expect(text.contains("`\(descriptor.name)`"), "\(descriptor.name) missing from docs/metrics.md")
            if let former = descriptor.formerName {
                #expect(text.contains("`\(former)` | `\(descriptor.name)`"), "rename \(former) → \(descriptor.name) missing")
            }
        }
        // No stale name: everything documented as paxos_… is exported (or is a former name).
        let former = Set(MetricCatalog.all.compactMap(\.formerName))
        for name in documented where Self.family(of: name) == nil { #expect(former.contains(name), "\(name)") }
    }
}
