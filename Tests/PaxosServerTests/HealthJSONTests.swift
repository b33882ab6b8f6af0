// Method: render /health for NodeInfo values and read the bytes back with JSONSerialization:
// the body must be valid JSON whatever the cluster id holds, carry numbers as numbers, and say
// `degraded` while a group is failed or knows no leader (the metrics server then answers 503).

import Foundation
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("server: /health JSON")
struct HealthJSONTests {
    static func info(clusterID: String, role: Role?, leader: UInt32?) -> NodeInfo {
        let group = GroupInfo(
            group: 0, role: role, leader: leader, preferredLeader: 1, ballot: "3.1", chosenFrontier: 9, appliedSlot: 8,
            snapshotSlot: 0, inflightSlots: 0, pendingRequests: 0, trackedRequests: 0, incarnation: "1", membershipEpoch: 1,
            voters: [1, 2, 3], learners: [], voter: true, membershipNext: nil, databaseBytes: 512, compactions: 0,
            snapshotsInstalled: 0,
            transfers: .init(sent: 0, received: 0, lastInstalled: nil, aborted: 0, sendingTo: [], receivingFrom: nil))
        return NodeInfo(
            replicaID: 1, clusterID: clusterID, clusterUUID: nil, members: [1, 2, 3], peersConnected: [2],
            peers: [.init(id: 2, connected: true), .init(id: 3, connected: false)], retainSlots: 100, retainBytes: 1024,
            databaseBytes: 512, failRate: 0.25, synchronous: .normal, tickMilliseconds: 10, groups: [group])
    }

    static func object(_ body: String) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test("health: a cluster id with quotes and backslashes still gives valid JSON that round-trips")
    func escaping() throws {
        let id = #"we"ird\cluster"#
        let health = Node.healthJSON(Self.info(clusterID: id, role: .leader, leader: 1))
        #expect(health.healthy)
        let top = try Self.object(health.body)
        #expect(top["cluster_id"] as? String == id)
        #expect(top["status"] as? String == "ok")
    }

    @Test("health: numbers are JSON numbers and the keys are INFO's names")
    func numbers() throws {
        let top = try Self.object(Node.healthJSON(Self.info(clusterID: "c", role: .follower, leader: 2)).body)
        #expect(top["replica_id"] as? Int == 1)
        #expect(top["fail_rate"] as? Double == 0.25)
        #expect(top["synchronous"] as? String == "normal")
        let groups = try #require(top["groups"] as? [[String: Any]])
        #expect(groups[0]["applied_slot"] as? Int == 8)
        #expect(groups[0]["leader_id"] as? Int == 2)
        #expect(groups[0]["role"] as? String == "follower")
        #expect(groups[0]["voters"] as? [Int] == [1, 2, 3])
        // A random 64-bit id stays text: readers that hold numbers as doubles would round it.
        #expect(groups[0]["incarnation"] as? String == "1")
    }

    @Test("health: degraded while a group is failed or knows no leader", arguments: [
        (Role?.some(.follower), UInt32?.none), (Role?.none, UInt32?.some(2)),
    ])
    func degraded(role: Role?, leader: UInt32?) throws {
        let health = Node.healthJSON(Self.info(clusterID: "c", role: role, leader: leader))
        #expect(!health.healthy)
        #expect(try Self.object(health.body)["status"] as? String == "degraded")
    }

    @Test("health: the body's keys are sorted")
    func sortedKeys() {
        let body = Node.healthJSON(Self.info(clusterID: "c", role: .leader, leader: 1)).body
        #expect(body.hasPrefix(#"{"cluster_id":"c","database_bytes":512,"#))
        #expect(body.hasSuffix("}\n"))
    }
}
