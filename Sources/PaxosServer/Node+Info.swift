import CMalloc
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// What `INFO` and `/health` report about this node and its groups: one `NodeInfo`, filled here
/// and rendered by `NodeInfo.infoText` (INFO) or `JSONEncoder` (`/health`).
///
/// With one group the fields are exactly those of a node before sharding. With several, the
/// `# Replication` section keeps the node-wide fields and adds `groups` and `groups_led`, and a
/// `# Groups` section has one line per group in Redis's `db0:keys=1,...` style:
/// `group2:role=leader,leader_id=3,preferred_leader=3,ballot=4.3,chosen_frontier=812,...`.
extension Node {
    var nodeInfo: NodeInfo {
        let members = settings.cluster.members
        let groupInfos = groups.map { group in
            group.info(preferredLeader: groupMap.preferredLeader(of: group.group, members: settings.cluster.bootstrapMembers))
        }
        return NodeInfo(
            replicaID: settings.id.rawValue, clusterID: settings.cluster.clusterID, clusterUUID: clusterUUID,
            members: members.map(\.rawValue), peersConnected: connectedPeers.map(\.rawValue),
            peers: members.filter { $0 != settings.id }.map { NodeInfo.Peer(id: $0.rawValue, connected: isConnected(to: $0)) },
            retainSlots: settings.retainSlots, retainBytes: settings.retainBytes,
            databaseBytes: groupInfos.reduce(0) { $0 + $1.databaseBytes }, failRate: settings.failRate,
            synchronous: settings.synchronousFull ? .full : .normal, tickMilliseconds: settings.tickMilliseconds,
            groups: groupInfos)
    }

    /// `INFO [section …]`: the sections asked for (`INFOSections`), the keyspace counted from
    /// this node's applied state, one stale count per group.
    func info(sections requested: [String], respond: @escaping (String) -> Void) {
        let sections = INFOSections.selected(requested)
        var snapshot = infoSnapshot()
        guard sections.contains("keyspace") else { return respond(INFOSections.render(sections, snapshot)) }
        var counts = [UInt64](repeating: 0, count: groups.count)
        var waiting = groups.count
        for (index, group) in groups.enumerated() {
            group.staleRead(.keyCount) { outcome in
                if case .answer(let answer) = outcome, case .count(let n)? = answer.keyspace as ReadAnswer.KeyspaceAnswer? {
                    counts[index] = n
                }
                waiting -= 1
                if waiting == 0 {
                    snapshot.keys = counts
                    respond(INFOSections.render(sections, snapshot))
                }
            }
        }
    }

    func infoSnapshot() -> INFOSections.Snapshot {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let memory = mallinfo2()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return INFOSections.Snapshot(
            replication: nodeInfo, processID: getpid(), clientPort: settings.clientPort,
            uptimeSeconds: UInt64(max(0, (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000)),
            serverTimeMicroseconds: UInt64(max(0, now.tv_sec)) * 1_000_000 + UInt64(max(0, now.tv_nsec)) / 1_000,
            tickMilliseconds: settings.tickMilliseconds, executable: CommandLine.arguments.first ?? "",
            connectedClients: clientsConnected, maxClients: maxClients,
            usedMemoryBytes: UInt64(memory.uordblks + memory.hblkhd), residentBytes: Self.residentBytes(),
            totalConnectionsReceived: connectionsAccepted, totalCommandsProcessed: commandsProcessed,
            rejectedConnections: connectionsRejected,
            cpuSystemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            cpuUserSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            keys: nil, pubsubChannels: pubSub.channels.count, pubsubPatterns: pubSub.patterns.count,
            pubsubClients: pubSub.subscriberCount)
    }

    /// Resident set size from /proc/self/statm (pages × page size); 0 where there is none.
    static func residentBytes() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `/health` as JSON; the metrics server answers 503 while any group is failed or has no leader.
    var healthJSON: (healthy: Bool, body: String) {
        Self.healthJSON(nodeInfo)
    }

    /// `NodeHealth` through `JSONEncoder`, keys sorted, so any cluster id gives valid JSON.
    static func healthJSON(_ info: NodeInfo) -> (healthy: Bool, body: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(NodeHealth(info: info))
            return (info.isHealthy, String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            // Only a non-finite Double fails to encode, and fail_rate is validated at startup.
            preconditionFailure("node \(info.replicaID): /health does not encode: \(error)")
        }
    }
}
