// Method: real 3-node clusters on 127.0.0.1. redis-py 8 with its defaults (RESP3) subscribes on
// one node while 1,000 SETs go through the nodes in turn, and must receive every keyspace and
// keyevent message in write order (tools/compat/keyspace_notifications.py, which also checks
// Redis's event names for the other commands, `expired` from the sweep, the setting being per
// node, and a RESP2 subscriber). Raw connections check RESP2 subscribed mode's refusals byte for
// byte, and RESP3's pushes with a command alongside. A subscriber that never reads, under a
// 1 MiB output limit, is cut off while far more than that is published to it, with a logged
// reason, the node's memory staying bounded, and the node still serving.
// Design: docs/design/watch-resp3-introspection.md §2.

import Foundation
import PaxosCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessTests {
    @Suite("process: keyspace notifications")
    struct KeyspaceNotificationTests {
        @Test("process: redis-py 8 receives the keyspace and keyevent messages of 1,000 SETs through different nodes, in order")
        func redisPyOrdered() throws {
            try LocalCluster.run(size: 3, name: "notify-py") { cluster in
                _ = try cluster.waitForLeader()
                let nodes = cluster.ids.map { "\(cluster.host($0)):\(cluster.clientPort($0))" }
                let run = try MultiKeyTests.compat("keyspace_notifications.py", nodes, timeout: .seconds(300))
                print("compat: keyspace_notifications.py:\n\(run.standardOutput)")
                #expect(run.status == 0, "\(run)")
                #expect(run.standardOutput.contains("failures: 0"), "\(run)")
            }
        }

        @Test("process: a RESP2 subscriber may run only pub/sub commands, PING and QUIT, with Redis's answers; a RESP3 one anything")
        func subscribedMode() throws {
            try LocalCluster.run(size: 3, name: "notify-resp2") { cluster in
                let id = try cluster.waitForLeader()
                let connection = try RawConnection(port: cluster.clientPort(id), timeout: .seconds(5))
                try connection.write(Self.command(["SUBSCRIBE", "__keyspace@0__:a"]) + Self.command(["GET", "a"])
                                     + Self.command(["PING"]) + Self.command(["UNSUBSCRIBE"]) + Self.command(["GET", "a"])
                                     + Self.command(["QUIT"]))
                let answer = String(decoding: try connection.readUntilClosed(), as: UTF8.self)
                let expected = "*3\r\n$9\r\nsubscribe\r\n$16\r\n__keyspace@0__:a\r\n:1\r\n"
                    + "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
                    + "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
                    + "*3\r\n$11\r\nunsubscribe\r\n$16\r\n__keyspace@0__:a\r\n:0\r\n"
                    + "$-1\r\n+OK\r\n"
                #expect(answer == expected)

                // RESP3: confirmations are pushes and any command runs alongside.
                let resp3 = try RawConnection(port: cluster.clientPort(id), timeout: .seconds(5))
                try resp3.write(Self.command(["HELLO", "3"]) + Self.command(["SUBSCRIBE", "__keyspace@0__:a"])
                                + Self.command(["GET", "a"]) + Self.command(["QUIT"]))
                let answer3 = String(decoding: try resp3.readUntilClosed(), as: UTF8.self)
                #expect(answer3.hasSuffix(">3\r\n$9\r\nsubscribe\r\n$16\r\n__keyspace@0__:a\r\n:1\r\n_\r\n+OK\r\n"), "\(answer3)")
            }
        }

        @Test("process: a subscriber that never reads is cut off at the output limit while writes flow; memory stays bounded and the node serves")
        func stalledSubscriber() throws {
            try LocalCluster.run(size: 3, name: "notify-stalled", arguments: ["--client-output-hard-mib", "1"]) { cluster in
                let node = try cluster.waitForLeader()
                #expect(try cluster.redisCLI(node, ["CONFIG", "SET", "notify-keyspace-events", "KEA"]) == "OK")
                // MSETs of the same 64 keys of 1,000 bytes, so the store stays small. A first
                // round without a subscriber warms the node up (SQLite's cache, malloc's arenas),
                // so the baseline after it holds what the writes themselves cost.
                let keys = (0..<64).map { "k\($0)-" + String(repeating: "x", count: 1_000 - 6) }
                let mset = Self.command(["MSET"] + keys.flatMap { [$0, "v"] })
                let warmUp = try Self.flood(cluster, node, mset, count: 40)
                #expect(warmUp.answered == 41, "every warm-up MSET and the QUIT answered")
                let baseline = try cluster.residentKiB(node)

                // Three patterns match every channel, so each MSET publishes 64 × 2 × 3 messages of
                // about 1 KiB to the subscriber: about 37 MiB over 100 MSETs, 37 times its limit.
                let stalled = try RawConnection(port: cluster.clientPort(node), timeout: .seconds(10))
                var small: Int32 = 4_096
                _ = setsockopt(stalled.descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                try stalled.write(Self.command(["PSUBSCRIBE", "*", "__key*", "__*__:*"]))
                pause(.milliseconds(200))
                let run = try Self.flood(cluster, node, mset, count: 100)
                #expect(run.answered == 101, "every MSET and the QUIT answered")

                // The node dropped the subscriber: its patterns are gone and no connection has any.
                // (Its socket is not drained: what the kernel already holds trickles through the
                // 4 KiB window at tens of KiB/s, which says nothing about the node.)
                print("notify stalled: RSS after warm-up \(baseline >> 10) MiB, peak \(run.peakKiB >> 10) MiB with the stalled subscriber (warm-up peak \(warmUp.peakKiB >> 10) MiB); \(run.seconds) s")
                #expect(try cluster.redisCLI(node, ["PUBSUB", "NUMPAT"]) == "0")
                let clients = try cluster.redisCLI(node, ["CLIENT", "LIST"])
                #expect(!clients.contains(" psub=3 "), "\(clients)")
                #expect(run.peakKiB < baseline + 16 * 1_024, "peak RSS \(run.peakKiB) KiB over baseline \(baseline) KiB")
                let log = (try? String(contentsOfFile: cluster.logPath(node), encoding: .utf8)) ?? ""
                #expect(log.contains("subscriber disconnected: its unread keyspace notifications passed the output limit"))
                #expect(try cluster.redisCLI(node, ["SET", "after", "1"]) == "OK")
                #expect(try cluster.redisCLI(node, ["GET", "after"]) == "1")
                stalled.close()
            }
        }

        @Test("process: hostile pub/sub input (bad flags, oversized and too many patterns, PUBLISH, worst-case globs) is refused or bounded; the node keeps serving")
        func hostileSubscribers() throws {
            try LocalCluster.run(size: 3, name: "notify-hostile") { cluster in
                // Patterns of 2,035 bytes: 32 fit the node's budget (65,120 of 65,536 bytes).
                let node = try cluster.waitForLeader()
                // Refusals, pipelined on one connection, each with its error and nothing taken.
                // 1,025 patterns go in two commands: one command of more than 1,024 arguments is
                // a protocol error that closes the connection (RESPDecoder's limit), tested apart.
                let connection = try RawConnection(port: cluster.clientPort(node), timeout: .seconds(10))
                let patterns = (0...1_024).map { "p\($0)" }
                try connection.write(Self.command(["CONFIG", "SET", "notify-keyspace-events", "K!?"])
                                     + Self.command(["PSUBSCRIBE", String(repeating: "x", count: 10_000)])
                                     + Self.command(["PUBLISH", "__keyspace@0__:k", "forged"])
                                     + Self.command(["SUBSCRIBE"])
                                     + Self.command(["PSUBSCRIBE"] + patterns.prefix(1_000))
                                     + Self.command(["PSUBSCRIBE"] + patterns.dropFirst(1_000))
                                     + Self.command(["PUBSUB", "NUMPAT"]) + Self.command(["QUIT"]))
                let answer = String(decoding: try connection.readUntilClosed(limit: 1 << 22), as: UTF8.self)
                let errors = answer.components(separatedBy: "\r\n").filter { $0.hasPrefix("-") }
                // Bad flags, a long pattern, PUBLISH, SUBSCRIBE of nothing, the 1,025th pattern, and
                // PUBSUB in RESP2's subscribed mode (Redis refuses it there too).
                #expect(errors.count == 6, "\(errors)")
                #expect(errors.dropLast().last?.contains("at most 1024 channels and patterns") == true, "\(errors)")
                #expect(answer.hasSuffix("+OK\r\n"), "QUIT answered: \(answer.suffix(200))")
                #expect(try cluster.redisCLI(node, ["CONFIG", "GET", "notify-keyspace-events"]).contains("notify-keyspace-events"))

                let oversized = try RawConnection(port: cluster.clientPort(node), timeout: .seconds(10))
                try oversized.write(Self.command(["PSUBSCRIBE"] + patterns))
                let refused = String(decoding: try oversized.readUntilClosed(), as: UTF8.self)
                #expect(refused.hasPrefix("-ERR Protocol error: too many array elements"), "\(refused)")
                #expect(try cluster.redisCLI(node, ["PUBSUB", "NUMPAT"]) == "0", "nothing left behind by either connection")

                // The worst patterns: ~2 KiB each, shaped `*a*a…*b<n>` (Redis's matcher is
                // O(pattern × channel) on them), against channels of 1 KiB keys of `a`s, the
                // longest key allowed. 1,024 of them held each SET ~10 ms (release) before the
                // node-wide budget of pattern bytes; now a 1,023-pattern PSUBSCRIBE is refused
                // whole, 32 fit, a 33rd is refused, and every SET answers.
                #expect(try cluster.redisCLI(node, ["CONFIG", "SET", "notify-keyspace-events", "KEA"]) == "OK")
                let subscriber = try RawConnection(port: cluster.clientPort(node), timeout: .seconds(10))
                let worst = (0..<1_024).map { String(repeating: "*a", count: 1_010) + "*b\($0)" }
                try subscriber.write(Self.command(["PSUBSCRIBE"] + worst.prefix(1_023)) + Self.command(["PSUBSCRIBE"] + worst.prefix(32))
                                     + Self.command(["PSUBSCRIBE", worst[32]]))
                pause(.milliseconds(500))
                #expect(try cluster.redisCLI(node, ["PUBSUB", "NUMPAT"]) == "32")
                let baseline = try cluster.residentKiB(node)
                let key = String(repeating: "a", count: 1_000)
                let run = try Self.flood(cluster, node, Self.command(["SET", key, "v"]), count: 20)
                print("notify hostile: 20 SETs against 32 worst-case patterns took \(run.seconds) s; RSS \(baseline >> 10) → peak \(run.peakKiB >> 10) MiB")
                #expect(run.answered == 21, "every SET and the QUIT answered")
                #expect(run.peakKiB < baseline + 32 * 1_024, "peak RSS \(run.peakKiB) KiB over baseline \(baseline) KiB")
                #expect(try cluster.redisCLI(node, ["SET", "after", "1"]) == "OK")
                #expect(try cluster.redisCLI(node, ["GET", "after"]) == "1")
                subscriber.close()
            }
        }

        /// Pipelines `count` copies of `command` and a QUIT on a new connection to `node`, and
        /// samples the node's RSS until the node has answered them all and closed.
        static func flood(_ cluster: LocalCluster, _ node: Int, _ command: [UInt8], count: Int) throws
            -> (answered: Int, peakKiB: Int, seconds: Int) {
            let connection = try RawConnection(port: cluster.clientPort(node), timeout: .seconds(60))
            defer { connection.close() }
            let fd = connection.descriptor
            let sender = ThreadGroup<Bool>(1, name: "notify-writer") { _ in
                var bytes: [UInt8] = []
                for _ in 0..<count { bytes += command }
                return RawSocket.sendAll(fd, bytes + Self.command(["QUIT"]))
            }
            let replies = ThreadGroup<[UInt8]>(1, name: "notify-replies") { _ in Self.readUntilClosed(fd) }
            var peak = try cluster.residentKiB(node)
            let started = ContinuousClock.now
            while !(sender.isFinished && replies.isFinished), ContinuousClock.now - started < .seconds(300) {
                peak = max(peak, try cluster.residentKiB(node))
                pause(.milliseconds(50))
            }
            #expect(sender.join() == [true])
            let answered = String(decoding: replies.join()[0], as: UTF8.self).components(separatedBy: "+OK\r\n").count - 1
            return (answered, peak, Int((ContinuousClock.now - started).components.seconds))
        }

        /// Everything received on `fd` until the peer closes it (or an error or timeout ends it).
        static func readUntilClosed(_ fd: Int32) -> [UInt8] {
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return received }
                received += chunk[0..<count]
            }
        }

        static func command(_ words: [String]) -> [UInt8] {
            var text = "*\(words.count)\r\n"
            for word in words { text += "$\(word.utf8.count)\r\n\(word)\r\n" }
            return Array(text.utf8)
        }
    }
}
