import Foundation
import PaxosCore
import PaxosWire
import Testing

// The command-format gate (ARCHITECTURE "Upgrades and the command-format gate") on a real
// 3-node cluster: a member that reports an older command format (an identity frame as a build
// before key operations would send it, from FakePeer speaking as that member) makes the node
// refuse INCR with UNAVAILABLE naming it, while SET and GET go on; once the real member
// reconnects and reports its format, INCR is served again.

extension ProcessTests {
    @Suite("process: command-format gate")
    struct CommandFormatTests {
        @Test("process: a member reporting an older command format blocks key operations, not SET; its real report unblocks them")
        func olderMemberBlocksKeyOperations() throws {
            try LocalCluster.run(size: 3, name: "command-format") { cluster in
                let leader = try cluster.waitForLeader()
                let target = cluster.ids.first { $0 != leader }!
                let older = cluster.ids.first { $0 != leader && $0 != target }!
                func cli(_ words: String...) throws -> String { try cluster.redisCLI(target, words) }
                #expect(try cli("INCR", "counter") == "1")

                let fake = try FakePeer(cluster: cluster, target: target, as: older)
                try fake.send(.identity(PeerIdentity(clusterUUID: "", groups: [GroupIdentity(incarnation: Incarnation(1), epoch: 0, genesis: nil)],
                                                     commandFormat: PeerIdentity.legacyCommandFormat)))
                // The frame is handled on the node's event loop: wait until it took effect, probing
                // with a key operation that changes nothing (DELIFEQ of a missing key answers 0).
                var probe = ""
                for _ in 0..<50 {
                    probe = try cli("DELIFEQ", "missing", "x")
                    if probe.hasPrefix("UNAVAILABLE") { break }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                #expect(probe.hasPrefix("UNAVAILABLE"), "DELIFEQ answered \(probe)")
                let refused = try cli("INCR", "counter")
                #expect(refused.hasPrefix("UNAVAILABLE"), "INCR answered \(refused)")
                #expect(refused.contains("replica \(older)"), "the refusal names the member: \(refused)")
                #expect(try cli("SET", "plain", "v") == "OK", "every build decodes SET")
                #expect(try cli("GET", "plain") == "v")
                #expect(try cli("GET", "counter") == "1", "the refused INCR was not applied")
                fake.close()

                // The real member reconnects (after a restart) and reports this build's format.
                _ = cluster.kill(older)
                try cluster.restart(older)
                for _ in 0..<100 {
                    probe = try cli("DELIFEQ", "missing", "x")
                    if probe == "0" { break }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                #expect(probe == "0", "DELIFEQ after the member's real report answered \(probe)")
                #expect(try cli("INCR", "counter") == "2")
            }
        }
    }
}
