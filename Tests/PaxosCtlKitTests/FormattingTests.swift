// Method: the text paxosctl prints, checked value by value: redis-cli's reply style, quoting that
// round-trips through the shell's splitter, aligned tables, and status JSON that scripts parse.

import Foundation
import PaxosClient
import PaxosCore
import PaxosCtlKit
import PaxosWire
import Testing

@Suite("formatting")
struct FormattingTests {
    @Test("reply: redis-cli terminal style", arguments: [
        (RESPValue.simpleString("OK"), "OK"),
        (.error("ERR nope"), "(error) ERR nope"),
        (.integer(1), "(integer) 1"),
        (.bulkString(nil), "(nil)"),
        (.bulkString(Array("hello world".utf8)), "\"hello world\""),
        (.bulkString([]), "\"\""),
        (.bulkString([0x22, 0x5C, 0x0A, 0xFF]), "\"\\\"\\\\\\n\\xff\""),
        (.array([]), "(empty array)"),
        (.array([.bulkString(Array("a".utf8)), .integer(2)]), "1) \"a\"\n2) (integer) 2"),
    ])
    func terminal(reply: RESPValue, expected: String) {
        #expect(ReplyFormat.terminal(reply) == expected)
    }

    @Test("reply: quoted bytes split back to the same bytes")
    func quotingRoundTrips() throws {
        let samples: [[UInt8]] = [[], Array("plain".utf8), Array(0...255), Array("tab\tquote\"back\\slash".utf8)]
        for bytes in samples {
            #expect(try ShellLine.split("PUT k " + ReplyFormat.quoted(bytes)) == [Array("PUT".utf8), Array("k".utf8), bytes])
        }
    }

    @Test("table: columns aligned to the widest cell, no trailing spaces")
    func table() {
        let lines = TextTable.render([["node", "role"], ["1", "leader"], ["12", "-"]])
        #expect(lines == ["node  role", "1     leader", "12    -"])
    }

    /// A group as INFO reports it; only the fields the status table shows vary.
    static func group(_ group: GroupID, _ role: Role, leader: UInt32?, preferred: UInt32? = nil, ballot: String,
                      chosen: UInt64, applied: UInt64) -> GroupInfo {
        GroupInfo(
            group: group, role: role, leader: leader, preferredLeader: preferred, ballot: ballot, chosenFrontier: chosen,
            appliedSlot: applied, snapshotSlot: 0, inflightSlots: 0, pendingRequests: 0, trackedRequests: 0, incarnation: "1",
            membershipEpoch: nil, voters: [], learners: [], voter: false, membershipNext: nil, databaseBytes: 0,
            compactions: 0, snapshotsInstalled: 0, transfers: nil)
    }

    static func node(_ id: UInt32, _ groups: [GroupInfo]) -> NodeInfo {
        NodeInfo(
            replicaID: id, clusterID: "test", clusterUUID: nil, members: [1, 2, 3], peersConnected: [], peers: [],
            retainSlots: 0, retainBytes: 0, databaseBytes: 0, failRate: 0, synchronous: .full, tickMilliseconds: 10,
            groups: groups)
    }

    static func sampleReport() -> StatusReport {
        let one = NodeAddress(id: 1, endpoint: .init(host: "127.0.0.1", port: 6381))
        let two = NodeAddress(id: nil, endpoint: .init(host: "127.0.0.1", port: 6382))
        let three = NodeAddress(id: 3, endpoint: .init(host: "127.0.0.1", port: 6383))
        return StatusReport(nodes: [
            NodeStatus(node: one, info: node(1, [group(0, .leader, leader: 1, ballot: "4.1", chosen: 17, applied: 17)])),
            NodeStatus(node: two, info: node(2, [group(0, .follower, leader: nil, ballot: "4.1", chosen: 16, applied: 15)])),
            NodeStatus(node: three, error: "127.0.0.1:6383: connection refused"),
        ])
    }

    @Test("status: the table has tools/cluster's columns and says why a node is unreachable")
    func statusTable() {
        let lines = Self.sampleReport().table.split(separator: "\n").map(String.init)
        #expect(lines[0].split(separator: " ", omittingEmptySubsequences: true)
            == ["node", "endpoint", "state", "role", "leader", "ballot", "chosen", "applied"])
        #expect(lines[1].split(separator: " ") == ["1", "127.0.0.1:6381", "reachable", "leader", "1", "4.1", "17", "17"])
        // The id of a node given by endpoint comes from its INFO.
        #expect(lines[2].split(separator: " ") == ["2", "127.0.0.1:6382", "reachable", "follower", "unknown", "4.1", "16", "15"])
        #expect(lines[3].split(separator: " ") == ["3", "127.0.0.1:6383", "unreachable", "-", "-", "-", "-", "-"])
        #expect(lines[4] == "node 3: 127.0.0.1:6383: connection refused")
        #expect(lines[5] == "2 of 3 nodes reachable; leader: node 1 (named by 1)")
    }

    @Test("status: JSON has every key on every node, null when unknown")
    func statusJSON() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.sampleReport().json.utf8))
        let top = try #require(object as? [String: Any])
        #expect(top["reachable"] as? Int == 2)
        #expect(top["total"] as? Int == 3)
        #expect(top["leader"] as? Int == 1)
        let nodes = try #require(top["nodes"] as? [[String: Any]])
        let keys: Set = ["id", "endpoint", "reachable", "role", "leader", "ballot", "chosen_frontier", "applied_slot", "error", "groups", "info"]
        for node in nodes { #expect(Set(node.keys) == keys) }
        // The node's whole report is under "info", with INFO's names and numbers as numbers.
        let info = try #require(nodes[0]["info"] as? [String: Any])
        #expect(info["replica_id"] as? Int == 1)
        #expect((info["groups"] as? [[String: Any]])?.first?["applied_slot"] as? Int == 17)
        #expect(nodes[2]["info"] is NSNull)
        #expect(nodes[0]["chosen_frontier"] as? Int == 17)
        #expect(nodes[1]["leader"] is NSNull)
        #expect(nodes[2]["reachable"] as? Bool == false)
        #expect(nodes[2]["error"] as? String == "127.0.0.1:6383: connection refused")
    }

    static func multiGroupReport() -> StatusReport {
        let one = NodeAddress(id: 1, endpoint: .init(host: "127.0.0.1", port: 6381))
        let two = NodeAddress(id: 2, endpoint: .init(host: "127.0.0.1", port: 6382))
        func line(_ index: GroupID, _ role: Role, _ leader: UInt32, _ chosen: UInt64) -> GroupInfo {
            group(index, role, leader: leader, preferred: leader, ballot: "2.\(leader)", chosen: chosen, applied: chosen)
        }
        return StatusReport(nodes: [
            NodeStatus(node: one, info: node(1, [line(0, .leader, 1, 9), line(1, .follower, 2, 4)])),
            NodeStatus(node: two, info: node(2, [line(0, .follower, 1, 9), line(1, .leader, 2, 5)])),
        ])
    }

    @Test("status: a multi-group cluster gets one row per node and group, with each group's leader")
    func multiGroupTable() {
        let report = Self.multiGroupReport()
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines[0].split(separator: " ") == ["node", "endpoint", "state", "group", "role", "leader", "preferred", "ballot", "chosen", "applied"])
        #expect(lines[1].split(separator: " ") == ["1", "127.0.0.1:6381", "reachable", "0", "leader", "1", "1", "2.1", "9", "9"])
        #expect(lines[4].split(separator: " ") == ["2", "127.0.0.1:6382", "reachable", "1", "leader", "2", "2", "2.2", "5", "5"])
        #expect(lines.count == 6)
        #expect(lines[5] == "2 of 2 nodes reachable; 2 groups; leaders: group 0 node 1, group 1 node 2")
    }

    @Test("status: multi-group JSON lists every group of every node and the leader of each group")
    func multiGroupJSON() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.multiGroupReport().json.utf8))
        let top = try #require(object as? [String: Any])
        #expect(top["group_leaders"] as? [String: Int] == ["0": 1, "1": 2])
        let nodes = try #require(top["nodes"] as? [[String: Any]])
        let groups = try #require(nodes[1]["groups"] as? [[String: Any]])
        #expect(groups.count == 2)
        #expect(groups[1]["role"] as? String == "leader")
        #expect(groups[1]["preferred_leader"] as? Int == 2)
        #expect(groups[1]["applied_slot"] as? Int == 5)
    }
}
