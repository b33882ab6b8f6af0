// Method: attacks by a peer that HOLDS the cluster secret (a buggy, old or compromised member),
// replayed against a real 3-node cluster with FakePeer speaking as member 2 to the other nodes.
// Authentication cannot stop these; the node's checks against protocol state must. Each test
// writes acknowledged keys before and after the attack and then requires:
// - every node still runs and serves writes and linearizable reads of every acknowledged key;
// - no forged value is visible anywhere;
// - after a clean shutdown, `paxos-inspect diff` over the three databases finds them identical
//   (no slot chosen with different commands) and `verify` finds each consistent.
// The attacks are the ones that broke a cluster when peers were trusted: an accept with a ballot
// at the top of the range (every node died with an overflow, and again at every restart), a
// catch-up reply nobody asked for (a follower applied a forged command and later acknowledged
// the real one without storing it), and an unsolicited snapshot (99 of 100 keys vanished).

import Foundation
import PaxosAuth
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessTests {
    @Suite("process: attacks by an authenticated peer")
    struct AuthenticatedPeerAttackTests {
        static func forgedCommand(_ key: String) -> Command {
            .batch([ClientRequest(client: ClientID(0xBAD), sequence: 1,
                                  operation: .put(key: Array(key.utf8), value: Array("forged".utf8)))])
        }

        /// Writes `keys` through every node and reads them back on every node.
        static func requireServing(_ cluster: LocalCluster, keys: [String]) throws {
            try PeerAttackTests.requireServing(cluster, keys: keys)
        }

        /// Node `id` counted at least one refused peer message for `reason` (so the forged frame
        /// did reach the core's checks, rather than being lost on the way).
        static func requireRefused(_ cluster: LocalCluster, _ id: Int, _ reason: String) throws {
            let prefix = "paxos_peer_messages_refused_total{reason=\"\(reason)\"} "
            let metrics = try cluster.metricsText(id)
            let count = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
            #expect(count > 0, "node \(id) counted no \(reason) refusal: \(metrics.split(separator: "\n").filter { $0.contains("refused") })")
        }

        @Test("process: an accept with a ballot at the top of the range is refused; nodes keep running and restart cleanly")
        func hugeBallotAccept() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-huge-ballot") { cluster in
                let leader = try cluster.waitForLeader()
                try Self.requireServing(cluster, keys: ["before-1", "before-2", "before-3"])
                let applied = try cluster.infoNumber(1, "applied_slot")
                for target in [1, 3] {
                    let fake = try FakePeer(cluster: cluster, target: target, as: 2)
                    defer { fake.close() }
                    for round in [UInt64.max, UInt64.max - 1, 1 << 63] {
                        try fake.send(.message(group: 0, .accept(
                            ballot: Ballot(round: round, replica: ReplicaID(2)),
                            entries: [AcceptEntry(slot: Slot(applied + 1), command: Self.forgedCommand("forged"))],
                            chosenThrough: Slot(applied + 1))))
                        try fake.send(.message(group: 0, .prepare(ballot: Ballot(round: round, replica: ReplicaID(2)), fromSlot: Slot(1))))
                    }
                }
                // The overflow crashed nodes within seconds of the next election; give it time.
                pause(.seconds(2))
                for id in cluster.ids { try #require(cluster.isRunning(id), "node \(id) died:\n\(cluster.logTail(id))") }
                for target in [1, 3] { try Self.requireRefused(cluster, target, "ballot_out_of_range") }
                #expect(try cluster.waitForLeader() == leader, "the forged ballot deposed the leader")
                try Self.requireServing(cluster, keys: ["after-1", "after-2", "after-3"])
                for id in cluster.ids { #expect(try cluster.client(only: id).get("forged") == nil, "node \(id) applied the forged write") }
                // A restart finds nothing out of range in its database.
                cluster.kill(1)
                try cluster.restart(1)
                try cluster.waitForCatchUp(1)
                try Self.requireServing(cluster, keys: ["restarted-1", "restarted-2", "restarted-3"])
                try cluster.expectConsistentDatabases()
            }
        }

        @Test("process: forwarded writes with forged origins: one above the log is refused as expired, one beyond the range drops the frame, neither is applied")
        func forgedOrigins() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-origin") { cluster in
                let leader = try cluster.waitForLeader()
                let impostor = cluster.ids.first { $0 != leader }!
                try Self.requireServing(cluster, keys: ["before-1", "before-2"])
                let applied = try cluster.infoNumber(leader, "applied_slot")
                let fake = try FakePeer(cluster: cluster, target: leader, as: impostor)
                defer { fake.close() }
                // In range but above every slot: no honest node has applied it, so the request is
                // refused as expired in whatever slot it lands (ClientSession.decide).
                try fake.send(.forward(group: 0, id: 1, .write(ClientRequest(
                    client: ClientID(0xBAD), sequence: 1, operation: .put(key: Array("origin-ahead".utf8), value: Array("forged".utf8)),
                    origin: Slot.max))))
                // Origin 0 is within the window while the log is short: an honest first write.
                try fake.send(.forward(group: 0, id: 2, .write(ClientRequest(
                    client: ClientID(0xBAE), sequence: 1, operation: .put(key: Array("origin-behind".utf8), value: Array("forged".utf8)),
                    origin: Slot(0)))))
                pause(.milliseconds(500))
                // Beyond Slot.max the command does not decode: the frame is refused before the core.
                let outOfRange = try FakePeer(cluster: cluster, target: leader, as: impostor)
                defer { outOfRange.close() }
                try outOfRange.send(.forward(group: 0, id: 3, .write(ClientRequest(
                    client: ClientID(0xBAF), sequence: 1, operation: .put(key: Array("origin-beyond".utf8), value: Array("forged".utf8)),
                    origin: Slot(UInt64.max - 1)))))
                pause(.milliseconds(500))
                try Self.requireServing(cluster, keys: (1...10).map { "after-\($0)" })
                #expect(try cluster.infoNumber(leader, "applied_slot") > applied)
                for id in cluster.ids {
                    let client = try cluster.client(only: id)
                    #expect(try client.get("origin-ahead") == nil, "node \(id) applied a write whose origin is above the log")
                    #expect(try client.get("origin-beyond") == nil, "node \(id) applied a write whose origin is out of range")
                    // Origin 0 is honest while the log is shorter than the session window, so this
                    // one is applied once, as from a node that had applied nothing yet.
                    #expect(try client.get("origin-behind") == "forged", "node \(id): a write with an origin within the window is applied")
                }
                try cluster.expectConsistentDatabases()
            }
        }

        @Test("process: forged answers to forwards (every small request number, every outcome) complete no client's request; the follower keeps serving within its memory bound")
        func forgedForwardReplies() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-forward-reply") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                try Self.requireServing(cluster, keys: ["before-1", "before-2"])
                let before = try cluster.residentKiB(follower)
                // Speaking as the leader to a follower that forwards its clients' writes to it: the
                // answers a node restarted with request numbers from 1 could have mistaken for its
                // own, in every shape an answer takes (GroupShell.randomFirstToken).
                let fake = try FakePeer(cluster: cluster, target: follower, as: leader)
                defer { fake.close() }
                let outcomes: [ForwardedOutcome] = [.applied(.ok), .applied(.deleted(existed: true)), .answer(.value(Array("forged".utf8))),
                                                    .answer(.value(nil)),
                                                    .answer(ReadAnswer(fields: .both, entries: [nil, ReadAnswer.Entry(value: [1], revision: .none)])), .overloaded, .unavailable, .notLeader(nil),
                                                    .applied(.reply(.integer(7))), .applied(.reply(.bulk(Array("forged".utf8)))),
                                                    .applied(.reply(.error(.overflow))), .applied(.reply(.notRemembered)),
                                                    // Answers of multi-key and keyspace reads (tags 10 and 11).
                                                    .answer(ReadAnswer(fields: .both, entries: [nil, .init(value: Array("forged".utf8), revision: .none)])),
                                                    .answer(ReadAnswer(keyspace: .page(ScanPage(keys: [Array("forged".utf8)], lastHash: 7, isGroupDone: true)))),
                                                    .answer(ReadAnswer(keyspace: .count(UInt64.max)))]
                let client = try cluster.client(only: follower)
                for round in 0..<20 {
                    for id in UInt64(round * 250)..<UInt64(round * 250 + 250) {
                        try fake.send(.forwardReply(group: 0, id: id, outcomes[Int(id) % outcomes.count]))
                    }
                    try fake.send(.forwardReply(group: 0, id: UInt64.max - UInt64(round), .applied(.ok)))
                    // A client write through the follower in the middle of the flood: it is
                    // answered by the leader's real answer, and it is really applied.
                    try client.put("during-\(round)", "value-\(round)")
                }
                try Self.requireServing(cluster, keys: (1...5).map { "after-\($0)" })
                for id in cluster.ids {
                    let reader = try cluster.client(only: id)
                    for round in 0..<20 {
                        #expect(try reader.get("during-\(round)") == "value-\(round)", "node \(id): write during-\(round) was answered OK")
                    }
                }
                let after = try cluster.residentKiB(follower)
                print("forged forward replies: 5,020 frames; follower VmRSS \(before) KiB before, \(after) KiB after")
                #expect(after - before < 50 * 1_024, "VmRSS grew from \(before) KiB to \(after) KiB")
                try cluster.expectConsistentDatabases()
            }
        }

        @Test("process: a catch-up reply nobody asked for is refused; no forged command is applied or chosen")
        func forgedCatchUpReply() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-catch-up") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader && $0 != 2 } ?? cluster.ids.first { $0 != leader }!
                let impostor = cluster.ids.first { $0 != follower }!
                try Self.requireServing(cluster, keys: ["before-1", "before-2", "before-3"])
                let applied = try cluster.infoNumber(follower, "applied_slot")
                let fake = try FakePeer(cluster: cluster, target: follower, as: impostor)
                defer { fake.close() }
                // Forged commands for the slots the follower holds and for the next ones.
                let entries = (1...(applied + 20)).map { ChosenEntry(slot: Slot($0), command: Self.forgedCommand("forged-\($0)")) }
                try fake.send(.message(group: 0, .catchUpReply(entries: entries)))
                pause(.milliseconds(500))
                try Self.requireRefused(cluster, follower, "catch_up_not_asked")
                try Self.requireServing(cluster, keys: (1...30).map { "after-\($0)" })
                for id in cluster.ids {
                    let client = try cluster.client(only: id)
                    for slot in [applied, applied + 1, applied + 5, applied + 20] {
                        #expect(try client.get("forged-\(slot)") == nil, "node \(id) applied the forged command of slot \(slot)")
                    }
                }
                try cluster.expectConsistentDatabases()
            }
        }

        /// CRC-32C is computed by the CPU's instruction where it has one (`CCRC32C`); a frame
        /// whose checksum does not match must still end the connection before anything in it
        /// reaches the core, however it was damaged: its checksum bytes changed, or a bit of its
        /// body (a forged write, a heartbeat with a huge ballot) changed under an intact checksum.
        @Test("process: frames with a wrong CRC-32C from an authenticated peer end its connection; nothing in them is applied and the node keeps serving")
        func damagedChecksums() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-bad-crc") { cluster in
                let leader = try cluster.waitForLeader()
                let targets = cluster.ids.filter { $0 != 2 }
                try Self.requireServing(cluster, keys: (1...5).map { "before-\($0)" })
                let applied = try cluster.infoNumber(targets[0], "applied_slot")
                let before = try targets.map { try cluster.residentKiB($0) }
                let frames = try [
                    PeerFrame.message(group: 0, .accept(
                        ballot: Ballot(round: 1 << 40, replica: ReplicaID(2)),
                        entries: [AcceptEntry(slot: Slot(applied + 1), command: Self.forgedCommand("crc-forged"))],
                        chosenThrough: Slot(applied + 1))),
                    PeerFrame.message(group: 0, .heartbeat(ballot: Ballot(round: UInt64.max, replica: ReplicaID(2)),
                                                          chosenThrough: Slot(applied + 1), readRound: 1)),
                ].map { try $0.encoded() }
                var sent = 0
                for target in targets {
                    for attempt in 0..<100 {
                        var bytes = frames[attempt % frames.count]
                        if attempt % 2 == 0 {
                            bytes[bytes.count - 1 - attempt % 4] ^= 0x01  // the checksum
                        } else {
                            let body = 4..<(bytes.count - 4)
                            bytes[body.lowerBound + attempt % body.count] ^= UInt8(1 << (attempt % 8))  // the body
                        }
                        let fake = try FakePeer(cluster: cluster, target: target, as: 2)
                        defer { fake.close() }
                        try fake.connection.write(bytes)
                        _ = try fake.connection.readUntilClosed()
                        sent += 1
                    }
                }
                for id in cluster.ids { try #require(cluster.isRunning(id), "node \(id) died:\n\(cluster.logTail(id))") }
                for target in targets {
                    let prefix = "paxos_peer_wire_errors_total "
                    let errors = try cluster.metricsText(target).split(separator: "\n").first { $0.hasPrefix(prefix) }
                        .flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
                    #expect(errors >= 100, "node \(target) counted \(errors) wire errors for 100 damaged frames")
                }
                #expect(try cluster.waitForLeader() == leader, "a damaged frame deposed the leader")
                try Self.requireServing(cluster, keys: (1...5).map { "after-\($0)" })
                for id in cluster.ids { #expect(try cluster.client(only: id).get("crc-forged") == nil, "node \(id) applied the forged write") }
                let after = try targets.map { try cluster.residentKiB($0) }
                print("damaged checksums: \(sent) frames on \(sent) connections; VmRSS \(before) KiB before, \(after) KiB after")
                for (start, end) in zip(before, after) { #expect(end - start < 50 * 1_024, "VmRSS grew from \(start) KiB to \(end) KiB") }
                try cluster.expectConsistentDatabases()
            }
        }

        @Test("process: an unsolicited snapshot is refused; the follower keeps every key")
        func unsolicitedSnapshot() throws {
            try LocalCluster.run(size: 3, name: "auth-peer-snapshot") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                let impostor = cluster.ids.first { $0 != follower && $0 != leader }!
                let keys = (1...100).map { "kept-\($0)" }
                try Self.requireServing(cluster, keys: keys)
                let applied = try cluster.infoNumber(follower, "applied_slot")
                let fake = try FakePeer(cluster: cluster, target: follower, as: impostor)
                defer { fake.close() }
                let data = Array("not a real snapshot, but it should never be read".utf8)
                try fake.send(.snapshotChunk(group: 0, SnapshotChunk(
                    transfer: 0xFEED, slot: Slot(applied + 1_000), index: 0, data: data, last: true, crc: CRC32C.checksum(data))))
                pause(.seconds(1))
                try #require(cluster.isRunning(follower), "node \(follower) died:\n\(cluster.logTail(follower))")
                try Self.requireRefused(cluster, follower, "snapshot_not_asked")
                // Stale reads show the follower's own applied state, which a snapshot would replace.
                var stale = PaxosClient.Configuration.patient
                stale.staleReads = true
                let local = try cluster.client(only: follower, configuration: stale)
                for key in keys { #expect(try local.get(key) == "value-\(key)", "node \(follower) lost \(key)") }
                try Self.requireServing(cluster, keys: ["after-1", "after-2", "after-3"])
                try cluster.expectConsistentDatabases()
            }
        }
    }
}
