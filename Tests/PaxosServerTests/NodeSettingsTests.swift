// Method: NodeSettings is resolved once at start-up from the cluster file and flags; these tests
// build it directly and check the paths and core configuration a node derives from it.
import PaxosCore
import Testing

@testable import PaxosServer

@Suite("node settings")
struct NodeSettingsTests {
    static func settings(groups: UInt32) -> NodeSettings {
        let cluster = ClusterConfiguration(
            clusterID: "test", dataDirectory: "/tmp/data",
            replicas: (1...3).map { .init(id: $0, host: "127.0.0.1", clientPort: 6380 + Int($0), peerPort: 7380 + Int($0), metricsPort: 9380 + Int($0)) })
        var settings = NodeSettings(cluster: cluster, id: ReplicaID(2), host: "127.0.0.1", clientPort: 6382, peerPort: 7382,
                                    metricsPort: 9382, databasePath: "/tmp/data/2/paxos.sqlite", seed: 1)
        settings.groups = groups
        return settings
    }

    @Test("one group keeps paxos.sqlite; several use group-<g>.sqlite in the same directory")
    func databasePaths() {
        #expect(Self.settings(groups: 1).databasePath(group: 0) == "/tmp/data/2/paxos.sqlite")
        let four = Self.settings(groups: 4)
        #expect(four.databasePath(group: 3).hasPrefix("/tmp/data/2/"))
        #expect(four.databasePath(group: 3) != four.databasePath(group: 2))
        #expect(four.databasePath(group: 0) != "/tmp/data/2/paxos.sqlite")
    }

    @Test("the core's configuration names this node, its database's incarnation and the bootstrap members")
    func replicaConfiguration() {
        let configuration = Self.settings(groups: 1).replicaConfiguration(group: 0, incarnation: Incarnation(77))
        #expect(configuration.id == ReplicaID(2))
        #expect(configuration.incarnation == Incarnation(77))
        #expect(configuration.members == [ReplicaID(1), ReplicaID(2), ReplicaID(3)])
    }
}
