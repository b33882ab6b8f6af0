// Method: attacks on the peer port by a process that can reach it but does not hold the cluster
// secret, replayed against a real 3-node cluster over raw TCP (RawConnection, FakePeer). Each
// test checks what the attacker sees (a helloReject with a reason, then a closed connection),
// what the operator sees (a rate-limited warning in the node's log), and that the cluster is
// unharmed: the attacked node runs, writes through it and its peers are acknowledged, and every
// node answers with the acknowledged values. The handshake itself is described in
// docs/ARCHITECTURE.md, "Peer authentication and the threat model".
// - a forged handshake (right cluster id, a member's id, a proof made without the secret)
//   with a Paxos frame pipelined behind it: refused; the frame never reaches the core;
// - 20 connections announcing 60 MiB frames and streaming: each cut off after 4 bytes; the
//   attacked node's resident memory stays within 50 MiB of its value before the attack;
// - a connection that stalls in the handshake: closed at the deadline (3 s);
// - more idle connections than the cap on unauthenticated ones: the excess refused at once;
// - a FakePeer with the secret: authenticated, and kept open past the deadline (the tool later
//   tests use to replay attacks by an authenticated but misbehaving member).

import Foundation
import PaxosAuth
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: peer attacks without the secret")
    struct PeerAttackTests {
        /// Writes `keys` through every node in turn and checks every node reads them all back.
        static func requireServing(_ cluster: LocalCluster, keys: [String]) throws {
            for (index, key) in keys.enumerated() {
                try cluster.client(only: 1 + index % cluster.size).put(key, "value-\(key)")
            }
            try cluster.waitForAllCaughtUp()
            for id in 1...cluster.size {
                let client = try cluster.client(only: id)
                for key in keys { try #require(try client.get(key) == "value-\(key)", "node \(id), key \(key)") }
            }
        }

        static func refusalLines(_ cluster: LocalCluster, _ id: Int) -> [Substring] {
            cluster.logTail(id, lines: 10_000).split(separator: "\n").filter { $0.contains("refusing peer connection") }
        }

        @Test("process: a forged handshake without the secret is refused and nothing it sent reaches the core")
        func forgedHandshake() throws {
            try LocalCluster.run(size: 3, name: "peer-forged-hello") { cluster in
                try cluster.waitForLeader()
                try Self.requireServing(cluster, keys: ["before-1", "before-2", "before-3"])

                let attacker = try RawConnection(port: cluster.peerPort(1), timeout: .seconds(5))
                try attacker.write(try PeerFrame.hello(.request(
                    clusterID: cluster.clusterID, dialer: ReplicaID(2), acceptor: ReplicaID(1),
                    nonce: PeerHandshake.makeNonce())).encoded())
                guard case .hello(.challenge) = try attacker.readFrame() else {
                    Issue.record("the node did not challenge a well-formed hello")
                    return
                }
                // A guessed proof, and behind it the accept that killed the cluster when hellos
                // were unauthenticated: a ballot at the top of the range, choosing a forged write.
                let forged = Command.batch([ClientRequest(client: ClientID(77), sequence: 1,
                                                          operation: .put(key: Array("forged".utf8), value: Array("yes".utf8)))])
                let accept = PeerFrame.message(group: 0, .accept(
                    ballot: Ballot(round: .max, replica: ReplicaID(2)),
                    entries: [AcceptEntry(slot: Slot(1_000), command: forged)], chosenThrough: Slot(1_000)))
                try attacker.write(try PeerFrame.hello(.proof(PeerHandshake.makeNonce())).encoded() + accept.encoded())
                let reply = try attacker.readFrame()
                guard case .helloReject(let reason) = reply else {
                    Issue.record("expected helloReject, got \(reply)")
                    return
                }
                try #require(reason == "authentication failed", "reason: \(reason)")
                _ = try attacker.readUntilClosed()

                // The forged accept would have deposed the leader or crashed the node within
                // seconds (ballot overflow); give it that time, then check nothing happened.
                pause(.seconds(2))
                try #require(cluster.isRunning(1), "the attacked node died:\n\(cluster.logTail(1))")
                try Self.requireServing(cluster, keys: ["after-1", "after-2", "after-3"])
                for id in 1...3 { try #require(try cluster.client(only: id).get("forged") == nil, "node \(id) applied the forged write") }
                let lines = Self.refusalLines(cluster, 1)
                try #require(lines.contains { $0.contains("bad_proof") }, "no refusal logged:\n\(cluster.logTail(1))")
                let metrics = try cluster.metricsText(1)
                try #require(metrics.contains("paxos_peer_handshakes_refused_total{reason=\"bad_proof\"} 1"),
                             "\(metrics.split(separator: "\n").filter { $0.contains("refused") })")
            }
        }

        @Test("process: 20 connections announcing 60 MiB frames are cut off; the node's memory stays flat")
        func hugeLengthPrefixes() throws {
            try LocalCluster.run(size: 3, name: "peer-huge-prefix") { cluster in
                try cluster.waitForLeader()
                try Self.requireServing(cluster, keys: ["before"])
                let before = try cluster.residentKiB(1)

                let attackers = try (0..<20).map { _ in try RawConnection(port: cluster.peerPort(1), timeout: .seconds(5)) }
                let stream = [UInt8](repeating: 0x5A, count: 1 << 20)
                var streamedMiB = 0
                for attacker in attackers {
                    // A length field for 60 MiB, then as much of the body as the node will take.
                    guard attacker.writeUntilRefused(withUnsafeBytes(of: UInt32(60 << 20).bigEndian) { Array($0) }) else { continue }
                    for _ in 0..<60 {
                        guard attacker.writeUntilRefused(stream) else { break }
                        streamedMiB += 1
                    }
                }
                for attacker in attackers { _ = try attacker.readUntilClosed(limit: 64 * 1_024) }
                let after = try cluster.residentKiB(1)
                print("peer attack: 20 connections announcing 60 MiB: \(streamedMiB) MiB accepted by the socket; "
                    + "node 1 VmRSS \(before) KiB before, \(after) KiB after (\((after - before) / 1_024) MiB more)")
                try #require(after - before < 50 * 1_024, "VmRSS grew from \(before) KiB to \(after) KiB")

                try #require(cluster.isRunning(1))
                try Self.requireServing(cluster, keys: ["after-1", "after-2", "after-3"])
                // One warning for the burst, the other refusals from this host counted into the next.
                let lines = Self.refusalLines(cluster, 1)
                try #require(lines.count == 1, "expected one rate-limited warning, got \(lines.count):\n\(lines.joined(separator: "\n"))")
                try #require(lines[0].contains("malformed"), "\(lines[0])")
            }
        }

        @Test("process: a connection that stalls in the handshake is closed at the deadline")
        func stalledHandshake() throws {
            try LocalCluster.run(size: 3, name: "peer-stalled") { cluster in
                try cluster.waitForLeader()
                let silent = try RawConnection(port: cluster.peerPort(2), timeout: .seconds(10))
                let halfway = try RawConnection(port: cluster.peerPort(2), timeout: .seconds(10))
                let start = ContinuousClock.now
                try halfway.write(try PeerFrame.hello(.request(
                    clusterID: cluster.clusterID, dialer: ReplicaID(3), acceptor: ReplicaID(2),
                    nonce: PeerHandshake.makeNonce())).encoded())
                guard case .hello(.challenge) = try halfway.readFrame() else {
                    Issue.record("the node did not challenge a well-formed hello")
                    return
                }
                // Never answer the challenge; trickle nothing. The node must give up by itself.
                guard case .helloReject(let reason) = try halfway.readFrame() else {
                    Issue.record("expected helloReject at the deadline")
                    return
                }
                _ = try halfway.readUntilClosed()
                let elapsed = ContinuousClock.now - start
                try #require(reason.contains("in time"), "reason: \(reason)")
                _ = try silent.readUntilClosed()
                print("peer attack: a stalled handshake was closed after \(elapsed)")
                try #require(elapsed >= .milliseconds(2_500) && elapsed < .seconds(8), "closed after \(elapsed)")
                try Self.requireServing(cluster, keys: ["after-stall"])
            }
        }

        @Test("process: idle connections beyond the cap of 64 unauthenticated ones are refused at once")
        func connectionCap() throws {
            try LocalCluster.run(size: 3, name: "peer-cap") { cluster in
                try cluster.waitForLeader()
                let idle = try (0..<64).map { _ in try RawConnection(port: cluster.peerPort(3), timeout: .seconds(2)) }
                // The accepts are asynchronous: by the time the extra one is refused, all 64 hold a slot.
                let extra = try RawConnection(port: cluster.peerPort(3), timeout: .seconds(2))
                guard case .helloReject(let reason) = try extra.readFrame() else {
                    Issue.record("the 65th connection was not refused")
                    return
                }
                try #require(reason.contains("too many"), "reason: \(reason)")
                // Meanwhile the real peers, already authenticated, are unaffected.
                try Self.requireServing(cluster, keys: ["during-cap"])
                for connection in idle { connection.close() }
            }
        }

        @Test("process: a FakePeer with the secret authenticates, stays connected past the deadline while it pings, and is closed once silent")
        func fakePeerAuthenticates() throws {
            try LocalCluster.run(size: 3, name: "peer-fake") { cluster in
                try cluster.waitForLeader()
                let fake = try FakePeer(cluster: cluster, target: 1, as: 2)
                // Link liveness: the node answers each ping with a pong and keeps the connection.
                for _ in 0..<20 {
                    try fake.send(.ping)
                    try #require(try fake.connection.readFrame() == .pong, "no pong")
                    pause(.milliseconds(200))
                }
                try #require(!fake.connection.isClosedByPeer, "the node closed an authenticated connection:\n\(cluster.logTail(1))")
                try #require(Self.refusalLines(cluster, 1).isEmpty, "\(Self.refusalLines(cluster, 1))")
                // Silent for longer than the liveness timeout (1 s): the node closes it.
                try waitUntil("node 1 closes a silent authenticated connection", timeout: .seconds(5)) {
                    fake.connection.isClosedByPeer
                }
                fake.close()

                // The same handshake with another secret is refused.
                let wrong = try ClusterSecret(Array("wrong-wrong-wrong-wrong-wrong-wrong".utf8))
                let impostor = try FakePeer(cluster: cluster, target: 1, as: 2, secret: wrong, verifyAcceptor: false)
                guard case .helloReject(let reason) = try impostor.connection.readFrame() else {
                    Issue.record("a proof made with another secret was not refused")
                    return
                }
                try #require(reason == "authentication failed", "reason: \(reason)")
                try Self.requireServing(cluster, keys: ["after-fake"])
            }
        }
    }
}
