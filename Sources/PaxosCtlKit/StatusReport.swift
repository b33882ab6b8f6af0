import Dispatch
import Foundation
package import PaxosClient
import Synchronization

/// `paxosctl status`: every node asked for `INFO` at once, shown as one table or as JSON.
///
/// Each node is asked directly, once, with no failover: the row must describe the node it names.
/// The nodes are asked in parallel, so one hung node costs the probe timeout once, not per row.
package struct StatusReport: Sendable, Encodable {
    package var nodes: [NodeStatus]

    package init(nodes: [NodeStatus]) { self.nodes = nodes }

    /// Asks every node in `nodes` for INFO, in parallel, and returns their rows in the same order.
    package static func probe(_ nodes: [NodeAddress], configuration: PaxosClient.Configuration) -> StatusReport {
        // One thread per node, not a pool sized to the cores: every probe may block for its whole
        // timeout, and they must all wait at the same time.
        let rows = Mutex<[Int: NodeStatus]>([:])
        let done = DispatchGroup()
        for (index, node) in nodes.enumerated() {
            done.enter()
            Thread {
                let row = probeOne(node, configuration: configuration)
                rows.withLock { $0[index] = row }
                done.leave()
            }.start()
        }
        done.wait()
        let collected = rows.withLock { $0 }
        return StatusReport(nodes: nodes.indices.map { collected[$0] ?? NodeStatus(node: nodes[$0], error: "not asked") })
    }

    private static func probeOne(_ node: NodeAddress, configuration: PaxosClient.Configuration) -> NodeStatus {
        do {
            let client = try PaxosClient(endpoints: [node.endpoint], configuration: configuration)
            defer { client.close() }
            return NodeStatus(node: node, info: try client.info())
        } catch {
            return NodeStatus(node: node, error: "\(error)")
        }
    }

    package var reachableCount: Int { nodes.filter(\.reachable).count }

    /// The leader most reachable nodes name, and how many name it.
    package var leader: (id: Int, votes: Int)? {
        var votes: [Int: Int] = [:]
        for node in nodes { if let leader = node.leader { votes[leader, default: 0] += 1 } }
        return votes.max { ($0.value, -$0.key) < ($1.value, -$1.key) }.map { ($0.key, $0.value) }
    }

    /// The header of the table, the same columns as `tools/cluster status` with the endpoint in
    /// place of the local pid.
    package static let columns = ["node", "endpoint", "state", "role", "leader", "ballot", "chosen", "applied"]

    /// True when some node runs several groups: the table then has one row per node and group.
    package var isMultiGroup: Bool { nodes.contains { !$0.groups.isEmpty } }

    /// The columns of the multi-group table: the group, and the leader it prefers, added.
    package static let groupColumns = ["node", "endpoint", "state", "group", "role", "leader", "preferred", "ballot", "chosen", "applied"]

    /// For each group, the leader most reachable nodes name (multi-group clusters).
    package var groupLeaders: [Int: Int] {
        var votes: [Int: [Int: Int]] = [:]
        for node in nodes {
            for group in node.groups { if let leader = group.leader { votes[group.group, default: [:]][leader, default: 0] += 1 } }
        }
        return votes.mapValues { counts in counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key }
    }

    /// The aligned table, one line per node (per node and group on a multi-group cluster), then
    /// one line per unreachable node saying why, then a summary line.
    package var table: String {
        if isMultiGroup { return groupTable }
        let rows = nodes.map { node -> [String] in
            let dash = "-"
            return [
                node.id.map(String.init) ?? "?", node.endpoint, node.reachable ? "reachable" : "unreachable",
                node.role ?? dash, node.leader.map(String.init) ?? (node.reachable ? "unknown" : dash),
                node.ballot ?? dash, node.chosenFrontier.map(String.init) ?? dash,
                node.appliedSlot.map(String.init) ?? dash,
            ]
        }
        var lines = TextTable.render([Self.columns] + rows)
        for node in nodes where !node.reachable {
            lines.append("node \(node.id.map(String.init) ?? node.endpoint): \(node.error ?? "no answer")")
        }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    private var groupTable: String {
        let dash = "-"
        var rows: [[String]] = []
        for node in nodes {
            let id = node.id.map(String.init) ?? "?"
            guard node.reachable, !node.groups.isEmpty else {
                rows.append([id, node.endpoint, node.reachable ? "reachable" : "unreachable", dash, node.role ?? dash,
                             node.leader.map(String.init) ?? dash, dash, node.ballot ?? dash,
                             node.chosenFrontier.map(String.init) ?? dash, node.appliedSlot.map(String.init) ?? dash])
                continue
            }
            for group in node.groups {
                rows.append([id, node.endpoint, "reachable", "\(group.group)", group.role,
                             group.leader.map(String.init) ?? "unknown", group.preferredLeader.map(String.init) ?? dash,
                             group.ballot, String(group.chosenFrontier), String(group.appliedSlot)])
            }
        }
        var lines = TextTable.render([Self.groupColumns] + rows)
        for node in nodes where !node.reachable {
            lines.append("node \(node.id.map(String.init) ?? node.endpoint): \(node.error ?? "no answer")")
        }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    /// "3 of 3 nodes reachable; leader: node 2 (named by 3)", or with several groups
    /// "3 of 3 nodes reachable; 4 groups; leaders: group 0 node 1, group 1 node 2, ...".
    package var summary: String {
        if isMultiGroup {
            let count = nodes.map(\.groups.count).max() ?? 0
            let leaders = groupLeaders
            let named = (0..<count).map { "group \($0) " + (leaders[$0].map { "node \($0)" } ?? "none") }
            return "\(reachableCount) of \(nodes.count) nodes reachable; \(count) groups; leaders: \(named.joined(separator: ", "))"
        }
        let leaderText = leader.map { "leader: node \($0.id) (named by \($0.votes))" } ?? "no leader known"
        return "\(reachableCount) of \(nodes.count) nodes reachable; \(leaderText)" + membershipText

    }

    /// "; membership epoch 2: voters 1,2,4, learners 5", as the leader reports it (single group).
    private var membershipText: String {
        guard let id = leader?.id, let node = nodes.first(where: { $0.id == id }),
              let epoch = node.membershipEpoch else { return "" }
        let list = { (ids: [UInt32]) in ids.map(String.init).joined(separator: ",") }
        let learners = node.learners.isEmpty ? "" : ", learners \(list(node.learners))"
        return "; membership epoch \(epoch): voters \(list(node.voters))\(learners)"
    }

    /// `{"nodes": [...], "reachable": n, "total": n, "leader": id or null, "group_leaders": {"0": id, ...}}`,
    /// each node with its whole `NodeInfo` under `info` (null when unreachable), keys sorted; `group_leaders` is empty for a single-group cluster.
    package var json: String { SortedJSON.render(self, what: "status report") }

    private enum CodingKeys: String, CodingKey {
        case nodes, reachable, total, leader
        case groupLeaders = "group_leaders"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nodes, forKey: .nodes)
        try container.encode(reachableCount, forKey: .reachable)
        try container.encode(nodes.count, forKey: .total)
        try container.encode(leader?.id, forKey: .leader)
        try container.encode(Dictionary(uniqueKeysWithValues: groupLeaders.map { ("\($0.key)", $0.value) }), forKey: .groupLeaders)
    }
}
