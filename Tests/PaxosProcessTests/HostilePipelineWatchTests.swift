// Method: real 3-node clusters on 127.0.0.1, fed what a hostile or broken client can send to the
// two paths this change opened: CHANGES (malformed, oversized and far-future arguments pipelined
// on one connection; hundreds of connections that block in CHANGES and hang up at once) and
// pipelines (an oversized value, an unknown command and a transaction inside a run of 1,000
// SETs; runs from a connection that has not authenticated and from a read-only user). Each must
// be refused on its own with its error, in order, while everything else in the pipeline is
// applied and nothing refused is; the node keeps serving within its memory bound.
// Design: docs/design/watch-resp3-introspection.md §2, docs/design/performance-round-2.md §1.

import Foundation
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: hostile input to CHANGES and pipelines")
    struct HostilePipelineWatchTests {
        static func command(_ words: [String]) -> String { PipelineTests.command(words) }

        @Test("process: malformed and abandoned CHANGES, and a pipeline with an oversized value, are refused alone; the rest applies, memory stays bounded")
        func hostileClients() throws {
            try LocalCluster.run(size: 3, name: "hostile-pipeline-watch") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                let port = cluster.clientPort(follower)

                // Malformed CHANGES, pipelined: each its own error, in order; the connection serves on.
                let longPrefix = String(repeating: "p", count: 70_000)
                let malformed: [[String]] = [
                    ["CHANGES"], ["CHANGES", "-1"], ["CHANGES", "99999999999999999999999"], ["CHANGES", "0", "COUNT", "0"],
                    ["CHANGES", "0", "BLOCK", "999999999"], ["CHANGES", "0", "PREFIX", longPrefix], ["CHANGES", "0", "GROUP", "7"],
                    ["CHANGES", "0", "COUNT", "1", "COUNT", "1"], ["CHANGES", "0", "EVIL", "1"],
                    ["CHANGES", "281474976710655", "BLOCK", "50"], ["PING"], ["QUIT"],
                ]
                let connection = try RawConnection(port: port, timeout: .seconds(10))
                try connection.write(Array(malformed.map(Self.command).joined().utf8))
                let answer = String(decoding: try connection.readUntilClosed(), as: UTF8.self)
                let lines = answer.split(separator: "\r\n").map(String.init)
                #expect(lines.prefix(9).allSatisfy { $0.hasPrefix("-ERR ") }, "\(answer.prefix(2_000))")
                #expect(answer.hasSuffix("*2\r\n:281474976710655\r\n*0\r\n+PONG\r\n+OK\r\n"),
                        "a revision far ahead waits its BLOCK and answers nothing, next = the revision asked: \(answer.suffix(200))")

                // 300 connections block in CHANGES for 60 s and hang up at once.
                let baseline = try cluster.residentKiB(follower)
                for _ in 0..<300 {
                    let abandoned = try RawConnection(port: port, timeout: .seconds(5))
                    try abandoned.write(Array(Self.command(["CHANGES", "$", "BLOCK", "60000"]).utf8))
                    abandoned.close()
                }
                // A pipeline of 1,000 SETs with an oversized value, an unknown command and a
                // transaction inside: each of those answers alone, every other SET applies.
                var pipeline = ""
                for index in 0..<1_000 {
                    switch index {
                    case 300: pipeline += Self.command(["SET", "h300", String(repeating: "v", count: (1 << 20) + 1)])
                    case 500: pipeline += Self.command(["NOSUCHCOMMAND", "x"])
                    case 700: pipeline += Self.command(["MULTI"]) + Self.command(["SET", "h700", "t"]) + Self.command(["EXEC"])
                    default: pipeline += Self.command(["SET", "h\(index)", "v\(index)"])
                    }
                }
                let writer = try RawConnection(port: port, timeout: .seconds(60))
                try writer.write(Array((pipeline + Self.command(["QUIT"])).utf8))
                let replies = String(decoding: try writer.readUntilClosed(limit: 4 << 20), as: UTF8.self)
                #expect(replies.components(separatedBy: "+OK\r\n").count - 1 == 997 + 3, "997 SETs, MULTI, the SET inside EXEC and QUIT said OK")
                #expect(replies.contains("-ERR value too large"), "\(replies.prefix(500))")
                #expect(replies.contains("-ERR unknown command 'nosuchcommand'"))
                #expect(replies.contains("+QUEUED\r\n*1\r\n+OK\r\n"), "the transaction inside the pipeline ran as one")
                #expect(try cluster.redisCLI(leader, ["DBSIZE"]) == "998", "every key but the oversized one's and the unknown command's")
                #expect(try cluster.redisCLI(leader, ["EXISTS", "h300"]) == "0")
                for index in [0, 299, 301, 499, 501, 700, 999] {
                    #expect(try cluster.redisCLI(leader, ["GET", "h\(index)"]) == (index == 700 ? "t" : "v\(index)"))
                }
                // The abandoned watches woke with those writes and are gone; the node serves and
                // its memory did not grow with them.
                let fresh = try cluster.client(only: follower).changes(from: nil)
                #expect(fresh.changes.isEmpty && fresh.next > 0)
                let after = try cluster.residentKiB(follower)
                print("hostile: follower RSS \(baseline >> 10) MiB before, \(after >> 10) MiB after 300 abandoned watches and the pipeline")
                #expect(after < baseline + 48 * 1_024, "RSS \(after) KiB over baseline \(baseline) KiB")
                #expect(try cluster.role(leader) == .leader)
            }
        }

        @Test("process: a pipeline from a connection that has not authenticated, or from a read-only user, applies nothing it may not")
        func unauthenticatedPipelines() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-hostile-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let usersFile = scratch.appendingPathComponent("users.json").path
            try AuthTests.writeUsersFile(at: usersFile)
            try LocalCluster.run(size: 3, name: "hostile-pipeline-auth", arguments: ["--users-file", usersFile],
                                 credentials: ("admin", "admin-secret")) { cluster in
                let leader = try cluster.waitForLeader()
                let sets = (0..<20).map { Self.command(["SET", "u\($0)", "x"]) }.joined()

                let anonymous = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(10))
                try anonymous.write(Array((sets + Self.command(["GET", "u0"]) + Self.command(["CHANGES", "0"]) + Self.command(["QUIT"])).utf8))
                let refused = String(decoding: try anonymous.readUntilClosed(), as: UTF8.self)
                #expect(refused == String(repeating: "-NOAUTH Authentication required.\r\n", count: 22) + "+OK\r\n")

                let reader = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(10))
                try reader.write(Array((Self.command(["AUTH", "reader", "reader-secret"]) + Self.command(["SET", "r0", "x"])
                                        + Self.command(["GET", "u0"]) + Self.command(["SET", "r1", "x"]) + Self.command(["QUIT"])).utf8))
                let limited = String(decoding: try reader.readUntilClosed(), as: UTF8.self)
                let noperm = "-NOPERM this user has no permissions to run the 'set' command\r\n"
                #expect(limited == "+OK\r\n" + noperm + "$-1\r\n" + noperm + "+OK\r\n")

                let admin = try AuthTests.client(cluster, leader, user: "admin", password: "admin-secret")
                #expect(try admin.command([Array("DBSIZE".utf8)]) == .integer(0), "nothing refused was applied")
            }
        }
    }
}
