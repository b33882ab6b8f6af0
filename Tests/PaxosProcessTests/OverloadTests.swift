// Method: greedy clients against a real 3-node cluster on 127.0.0.1, each attack on one raw
// connection to the leader, with well-behaved clients alongside. Covers ARCHITECTURE.md "Bounded,
// fair client serving": a per-connection budget per loop turn (the flood does not depose the
// leader or stall other clients), bounded output (a client that does not read is cut off and
// the memory comes back), backpressure instead of cut pipelines, an error reply for an oversized
// value, and --max-clients with peers still able to rejoin.

import Foundation
import PaxosClient
import PaxosCore
import PaxosWire
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessTests {
    @Suite("process: overload")
    struct OverloadTests {
        @Test("overload: 100,000 pipelined PINGs keep the leader and other clients' latency, and all replies arrive in order")
        func pingFloodKeepsLeadership() throws {
            try LocalCluster.run(size: 3, name: "overload-flood") { cluster in
                let leader = try cluster.waitForLeader()
                let before = try cluster.info(leader)
                let flood = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(30))
                let fd = flood.descriptor
                let count = 100_000
                let endpoint = cluster.endpoint(leader)
                // The same writers for 2 s without a flood, for comparison on this machine.
                let quiet = Flag()
                let baselineWriters = Self.writers(endpoint, until: quiet, prefix: "q")
                pause(.seconds(2))
                quiet.value.store(true, ordering: .releasing)
                let baseline = baselineWriters.join().flatMap { $0 }.sorted()
                let floodDone = Flag()
                let writers = Self.writers(endpoint, until: floodDone, prefix: "w")
                let sender = ThreadGroup<Bool>(1, name: "flood-sender") { _ in
                    var bytes: [UInt8] = []
                    for i in 0..<count { bytes += Array("PING \(i)\r\n".utf8) }
                    return RawSocket.sendAll(fd, bytes)
                }
                var expected: [UInt8] = []
                for i in 0..<count {
                    let text = "\(i)"
                    expected += Array("$\(text.utf8.count)\r\n\(text)\r\n".utf8)
                }
                let received = RawSocket.receive(fd, bytes: expected.count)
                floodDone.value.store(true, ordering: .releasing)
                let sent = sender.join()
                let latencies = writers.join().flatMap { $0 }.sorted()
                flood.close()
                #expect(sent == [true])
                #expect(received == expected, "the flood's \(count) replies arrive whole and in order (got \(received.count) of \(expected.count) bytes)")
                let after = try cluster.info(leader)
                #expect(try cluster.role(leader) == .leader, "the flooded leader keeps its role")
                #expect(after["ballot"] == before["ballot"], "no election during the flood: ballot \(before["ballot"] ?? "?") → \(after["ballot"] ?? "?")")
                try #require(!latencies.isEmpty)
                let p50 = latencies[latencies.count / 2]
                let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
                if !baseline.isEmpty {
                    print("overload flood: without a flood, \(baseline.count) SETs in 2 s, p50 \(baseline[baseline.count / 2]), p99 \(baseline[min(baseline.count - 1, baseline.count * 99 / 100)])")
                }
                print("overload flood: \(latencies.count) SETs by 4 other clients during the flood, p50 \(p50), p99 \(p99), max \(latencies.last!)")
                // Leadership is the strict check. The latency bounds only catch a starved loop (before
                // fair serving, p50 was 743 ms); the 50 ms goal is measured by benchmark, not by a
                // timed test on a shared 2-core machine.
                #expect(p50 < .milliseconds(150), "other clients' p50 during the flood: \(p50)")
                #expect(p99 < .milliseconds(600), "other clients' p99 during the flood: \(p99)")
            }
        }

        /// Four clients writing to `endpoint` one SET at a time until `flag` is set (and at least
        /// 20 each), returning their latencies.
        static func writers(_ endpoint: Endpoint, until flag: Flag, prefix: String) -> ThreadGroup<[Duration]> {
            ThreadGroup<[Duration]>(4, name: "\(prefix)-writer") { index in
                guard let client = try? PaxosClient(endpoints: [endpoint], configuration: .patient) else { return [] }
                var latencies: [Duration] = []
                var n = 0
                while !flag.value.load(ordering: .acquiring) || latencies.count < 20 {
                    let started = ContinuousClock.now
                    guard (try? client.put("\(prefix)\(index)-\(n)", "v\(n)")) != nil else { return latencies + [.seconds(99)] }
                    latencies.append(ContinuousClock.now - started)
                    n += 1
                }
                return latencies
            }
        }

        @Test("overload: a client that never reads its 1 MiB GETs is cut off, and the leader's memory stays bounded")
        func unreadRepliesAreBounded() throws {
            // A 32 MiB hard limit (the default is 64) shows the flag works and leaves room under the
            // bounds below. glibc keeps freed heap memory resident unless asked: the node calls
            // malloc_trim once it has cut the client off, so RSS falls back near the baseline
            // (measured: 77 MiB after the disconnect over a 49 MiB baseline without it, 46 with it).
            try LocalCluster.run(size: 3, name: "overload-unread", arguments: ["--client-output-hard-mib", "32"]) { cluster in
                let leader = try cluster.waitForLeader()
                let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
                try cluster.client(only: leader).put(Array("big".utf8), value)
                _ = try cluster.client(only: leader).get(Array("big".utf8))
                let baseline = try cluster.residentKiB(leader)
                let greedy = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(5))
                let fd = greedy.descriptor
                var small: Int32 = 4_096
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                let sender = ThreadGroup<Bool>(1, name: "greedy-sender") { _ in
                    let one = Array("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".utf8)
                    var bytes: [UInt8] = []
                    for _ in 0..<2_000 { bytes += one }
                    return RawSocket.sendAll(fd, bytes)
                }
                var peak = baseline
                let watched = ContinuousClock.now
                while ContinuousClock.now - watched < .seconds(4) {
                    peak = max(peak, try cluster.residentKiB(leader))
                    pause(.milliseconds(50))
                }
                // Only now read: the node must have closed the connection after the hard limit.
                let drained = try greedy.readUntilClosed(limit: 256 << 20)
                _ = sender.join()
                greedy.close()
                #expect(drained.count < 200 << 20, "the greedy client got \(drained.count >> 20) MiB before the node cut it off, not all 2,000 MiB")
                try cluster.client(only: leader).ping()
                var settled = try cluster.residentKiB(leader)
                try? waitUntil("RSS back near the baseline", timeout: .seconds(5)) {
                    settled = try cluster.residentKiB(leader)
                    return settled < baseline + 24 * 1_024
                }
                print("overload unread: leader RSS baseline \(baseline / 1_024) MiB, peak \(peak / 1_024) MiB, after disconnect \(settled / 1_024) MiB")
                #expect(peak < baseline + 128 * 1_024, "peak RSS \(peak) KiB over baseline \(baseline) KiB")
                #expect(settled < baseline + 24 * 1_024, "RSS after disconnect \(settled) KiB, not back near the baseline \(baseline) KiB")
                #expect(try cluster.role(leader) == .leader)
            }
        }

        // 12,000 rather than redis-cli's 50,000 of the report: one connection's writes run one at
        // a time, about 2 ms each in a debug build (50,000 took 108 s), and anything over the
        // old 10,000-command cap shows the pipeline is no longer cut.
        @Test("overload: a 12,000-command SET pipeline is never cut: every reply arrives and every key is applied")
        func longPipelineCompletes() throws {
            try LocalCluster.run(size: 3, name: "overload-pipe", arguments: ["--sync", "normal"]) { cluster in
                let leader = try cluster.waitForLeader()
                let count = 12_000
                let pipe = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(60))
                let fd = pipe.descriptor
                let sender = ThreadGroup<Bool>(1, name: "pipe-sender") { _ in
                    var bytes: [UInt8] = []
                    for i in 0..<count {
                        let key = "pipe-\(i)", value = "value-\(i)"
                        bytes += Array("*3\r\n$3\r\nSET\r\n$\(key.utf8.count)\r\n\(key)\r\n$\(value.utf8.count)\r\n\(value)\r\n".utf8)
                    }
                    return RawSocket.sendAll(fd, bytes)
                }
                let started = ContinuousClock.now
                let replies = RawSocket.receive(fd, bytes: 5 * count)
                let elapsed = ContinuousClock.now - started
                #expect(sender.join() == [true])
                pipe.close()
                #expect(replies == Array(String(repeating: "+OK\r\n", count: count).utf8),
                        "\(count) +OK replies (got \(replies.count) bytes: \(String(decoding: replies.prefix(80), as: UTF8.self)))")
                print("overload pipeline: \(count) SETs on one connection in \(elapsed)")
                let client = try cluster.client(only: leader)
                for start in stride(from: 0, to: count, by: 64) {
                    let keys = (start..<min(count, start + 64)).map { "pipe-\($0)" }
                    let reply = try client.command(["EXISTS"] + keys)
                    guard case .integer(let found) = reply, found == keys.count else {
                        throw HarnessError("keys pipe-\(start)... not all applied: EXISTS answered \(reply)")
                    }
                }
                #expect(try client.get("pipe-\(count - 1)") == "value-\(count - 1)")
            }
        }

        // The report's case: 600 pipelined 1 MiB SETs grew the leader by 700 MB in 2 s, because
        // the pipeline cap counted commands, not bytes. Now the connection's queue holds at most
        // 4 MiB of arguments and the node stops reading the socket while it is full, so the
        // client's pipeline waits in its own send buffer. 300 rather than 600 keeps the test
        // short in a debug build; every SET after the first few is held back just the same.
        @Test("overload: 300 pipelined 1 MiB SETs are read at the pace they apply: the leader stays within +64 MiB and every one is acknowledged")
        func pipelinedLargeValuesAreBounded() throws {
            try LocalCluster.run(size: 3, name: "overload-bigpipe") { cluster in
                let leader = try cluster.waitForLeader()
                let count = 300
                try cluster.client(only: leader).ping()
                let baseline = try cluster.residentKiB(leader)
                let pipe = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(240))
                let fd = pipe.descriptor
                let sender = ThreadGroup<Bool>(1, name: "bigpipe-sender") { _ in
                    for i in 0..<count {
                        let value = [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: 1 << 20)
                        let head = Array("*3\r\n$3\r\nSET\r\n$6\r\nbigkey\r\n$\(value.count)\r\n".utf8)
                        guard RawSocket.sendAll(fd, head + value + Array("\r\n".utf8)) else { return false }
                    }
                    return true
                }
                let done = StopFlag()
                let receiver = ThreadGroup<[UInt8]>(1, name: "bigpipe-receiver") { _ in
                    defer { done.raise() }
                    return RawSocket.receive(fd, bytes: 5 * count)
                }
                var peak = baseline
                while !done.isRaised {
                    peak = max(peak, try cluster.residentKiB(leader))
                    pause(.milliseconds(50))
                }
                let replies = receiver.join()[0]
                #expect(sender.join() == [true])
                pipe.close()
                print("overload big pipeline: leader RSS baseline \(baseline / 1_024) MiB, peak \(peak / 1_024) MiB over \(count) 1 MiB SETs")
                #expect(replies == Array(String(repeating: "+OK\r\n", count: count).utf8),
                        "\(count) +OK replies (got \(replies.count) bytes: \(String(decoding: replies.prefix(80), as: UTF8.self)))")
                #expect(peak < baseline + 64 * 1_024, "peak RSS \(peak) KiB over baseline \(baseline) KiB")
                let last = UInt8(ascii: "a") + UInt8((count - 1) % 26)
                #expect(try cluster.client(only: leader).get(Array("bigkey".utf8)) == [UInt8](repeating: last, count: 1 << 20))
                #expect(try cluster.role(leader) == .leader)
            }
        }

        @Test("overload: a value over the limit gets an error reply and the connection serves the next command")
        func oversizedValueIsRefused() throws {
            try LocalCluster.run(size: 3, name: "overload-big") { cluster in
                let leader = try cluster.waitForLeader()
                let connection = try RawConnection(port: cluster.clientPort(leader), timeout: .seconds(10))
                let fd = connection.descriptor
                let size = 3 << 20
                var request = Array("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$\(size)\r\n".utf8)
                request += [UInt8](repeating: 0x61, count: size) + Array("\r\nSET after ok\r\nGET after\r\n".utf8)
                let whole = request
                let sender = ThreadGroup<Bool>(1, name: "big-sender") { _ in RawSocket.sendAll(fd, whole) }
                let first = RawSocket.receiveLine(fd)
                #expect(first.hasPrefix("-ERR value too large"), "reply to a \(size)-byte value: \(first)")
                #expect(RawSocket.receiveLine(fd) == "+OK")
                #expect(RawSocket.receiveLine(fd) == "$2")
                #expect(RawSocket.receiveLine(fd) == "ok")
                #expect(sender.join() == [true])
                #expect(try cluster.client(only: leader).get("big") == nil, "the refused value was not written")
            }
        }

        @Test("overload: --max-clients 8 refuses the 9th client cleanly; the others keep working and a restarted peer rejoins")
        func maxClients() throws {
            try LocalCluster.run(size: 3, name: "overload-maxclients", arguments: ["--max-clients", "8"]) { cluster in
                try Self.checkMaxClients(cluster)
            }
        }

        static func checkMaxClients(_ cluster: LocalCluster) throws {
            let leader = try cluster.waitForLeader()
            let follower = leader == 1 ? 2 : 1
            var held: [RawConnection] = []
            for _ in 0..<8 {
                let connection = try RawConnection(port: cluster.clientPort(leader))
                try connection.write(Array("PING\r\n".utf8))
                #expect(RawSocket.receiveLine(connection.descriptor) == "+PONG")
                held.append(connection)
            }
            let ninth = try RawConnection(port: cluster.clientPort(leader))
            let refusal = try ninth.readUntilClosed()
            #expect(refusal == Array("-ERR max number of clients reached\r\n".utf8))
            for connection in held {
                try connection.write(Array("PING\r\n".utf8))
                let pong = RawSocket.receiveLine(connection.descriptor)
                #expect(pong == "+PONG")
            }
            // The leader is full of clients; a restarted follower must still reach it as a peer.
            _ = cluster.kill(follower)
            try cluster.start(follower)
            try held[0].write(Array("SET rejoin yes\r\n".utf8))
            let stored = RawSocket.receiveLine(held[0].descriptor)
            #expect(stored == "+OK")
            try waitUntil("node \(follower) follows \(leader) and reads through it", timeout: .seconds(15)) {
                try Self.readsThrough(cluster, follower: follower, leader: leader)
            }
            try held[1].write(Array("INFO\r\n".utf8))
            let header = RawSocket.receiveLine(held[1].descriptor)
            let body = RawSocket.receive(held[1].descriptor, bytes: (Int(header.dropFirst()) ?? 0) + 2)
            #expect(String(decoding: body, as: UTF8.self).contains("role:leader"), "the leader keeps its role")
            for connection in held { connection.close() }
            // The harness checks every node when the test ends: wait until the leader has seen
            // the closes and has room again.
            try waitUntil("the leader admits clients again") { (try? cluster.info(leader)) != nil }
        }

        static func readsThrough(_ cluster: LocalCluster, follower: Int, leader: Int) throws -> Bool {
            let info = try cluster.info(follower)
            guard info["leader_id"] == "\(leader)" else { return false }
            let value = try cluster.client(only: follower, configuration: .probe).get("rejoin")
            return value == "yes"
        }
    }
}

/// A flag set by one thread and polled by others.
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Blocking socket calls on a raw descriptor, for a sender and a reader on different threads.
enum RawSocket {
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, min($0.count, 1 << 16), Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Reads until `bytes` have arrived, the peer closes, or a read times out.
    static func receive(_ fd: Int32, bytes: Int) -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(bytes)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while received.count < bytes {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, bytes - received.count), 0) }
            guard count > 0 else { return received }
            received += chunk[0..<count]
        }
        return received
    }

    /// One CRLF-terminated line, without the CRLF; "" if the connection ends first.
    static func receiveLine(_ fd: Int32) -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == 0x0A, line.last == 0x0D { return String(decoding: line.dropLast(), as: UTF8.self) }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }
}
