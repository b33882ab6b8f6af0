// Method: hostile and faulty inputs against real processes; each test then shows the node (or
// the cluster) still serves. What a unit test of the parsers cannot show is that the node as a
// whole survives: the decoders are tested in PaxosWireTests, here they run inside paxosd.
// - Client limits (key 1 KiB, value 1 MiB by default) answer `-ERR … too large` and leave the
//   connection usable; malformed RESP gets one `-ERR` and closes only that connection.
// - The peer port refuses a hello from another cluster with `helloReject`, and closes on bytes
//   that are no frame; neither affects the node's peers or clients.
// - `--fail-rate`: acceptors that fail and recover from their own databases at random do not
//   stop a cluster whose majority is up most of the time, and no acknowledged write is lost.

import Foundation
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: robustness")
    struct RobustnessTests {
        @Test("process: oversized keys and values are refused with a clear error; the connection stays usable")
        func limits() throws {
            try LocalCluster.run(size: 3, name: "limits") { cluster in
                try cluster.waitForLeader()
                let connection = try RESPConnection(endpoint: cluster.endpoint(1))
                let longKey = [UInt8](repeating: UInt8(ascii: "k"), count: 1_025)
                let keyReply = try connection.request([Array("SET".utf8), longKey, Array("v".utf8)])
                try #require(Self.errorText(keyReply)?.hasPrefix("ERR key too large") == true, "\(keyReply)")

                let bigValue = [UInt8](repeating: UInt8(ascii: "v"), count: (1 << 20) + 1)
                let valueReply = try connection.request([Array("SET".utf8), Array("k".utf8), bigValue])
                try #require(Self.errorText(valueReply)?.hasPrefix("ERR value too large") == true, "\(valueReply)")

                let unknown = try connection.request([Array("FLUSHALL".utf8)])
                try #require(Self.errorText(unknown)?.hasPrefix("ERR") == true, "\(unknown)")
                // Same connection, still fine; and the largest allowed value goes through.
                try #require(try connection.request([Array("PING".utf8)]) == .simpleString("PONG"))
                let maxValue = [UInt8](repeating: UInt8(ascii: "m"), count: 1 << 20)
                let client = try cluster.client(only: 2)
                try client.put(Array("big".utf8), maxValue)
                try #require(try cluster.client(only: 3).get(Array("big".utf8)) == maxValue)
            }
        }

        @Test("process: malformed RESP closes only that connection")
        func malformedRequest() throws {
            try LocalCluster.run(size: 3, name: "malformed") { cluster in
                try cluster.waitForLeader()
                let bystander = try RESPConnection(endpoint: cluster.endpoint(1))
                try #require(try bystander.request([Array("SET".utf8), Array("before".utf8), Array("1".utf8)]) == .simpleString("OK"))

                let offender = try RawConnection(port: cluster.clientPort(1))
                try offender.write(Array("*2\r\n$3\r\nGET\r\n$notanumber\r\n".utf8))
                let answer = String(decoding: try offender.readUntilClosed(), as: UTF8.self)
                try #require(answer.hasPrefix("-ERR"), "the node answered \(answer.debugDescription) before closing")

                try #require(try bystander.request([Array("GET".utf8), Array("before".utf8)]) == .bulkString(Array("1".utf8)))
                try #require(cluster.isRunning(1))
            }
        }

        @Test("process: a peer of another cluster and garbage on the peer port are refused; the node keeps serving")
        func hostilePeers() throws {
            try LocalCluster.run(size: 3, name: "hostile-peer") { cluster in
                try cluster.waitForLeader()
                let peerPort = cluster.clientPort(1) + 1

                let foreign = try RawConnection(port: peerPort)
                try foreign.write(try PeerFrame.hello(.request(clusterID: "someone-else", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                               nonce: [UInt8](repeating: 7, count: 32))).encoded())
                let reply = try PeerFrame.decode(try foreign.readUntilClosed())
                guard case .helloReject(let reason) = reply else {
                    Issue.record("expected helloReject, got \(reply)")
                    return
                }
                try #require(reason.contains("cluster id"), "reason: \(reason)")

                let garbage = try RawConnection(port: peerPort)
                try garbage.write([0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xAB, count: 60))
                _ = try garbage.readUntilClosed()

                let client = try cluster.client(only: 1)
                try client.put("after-hostile-peers", "still-serving")
                try #require(try cluster.client(only: 3).get("after-hostile-peers") == "still-serving")
                try #require(cluster.logTail(1, lines: 200).contains("refusing peer connection"))
            }
        }

        @Test("process: nodes with --fail-rate keep the cluster serving, lose no acknowledged write, and apply no write they refused")
        func failRate() throws {
            // Each node fails with probability 0.3 in every second: over 10 s of writes the chance
            // that none of the three fails is 0.7^30, about 2e-5.
            try LocalCluster.run(size: 3, name: "fail-rate", arguments: ["--fail-rate", "0.3"]) { cluster in
                try cluster.waitForLeader()
                // A failed node is restarted within a second or two, and while one is down its
                // connects are refused at once, so attempts, not time, run out: this client is
                // bounded by its deadline (30 s), not by `.patient`'s 40 attempts.
                var enduring = PaxosClient.Configuration.patient
                enduring.maxAttempts = 1_000
                enduring.retryDeadline = .seconds(30)
                let client = try cluster.client(configuration: enduring)
                // Beside the patient client, one that tries each write once, through the nodes in
                // turn: a failed write it is told was not applied (BUSY, UNAVAILABLE, refused)
                // MUST NOT be applied later, even when a node fails with it in flight.
                let stop = StopFlag()
                let endpoints = cluster.endpoints
                let once = ThreadGroup(1, name: "fail-rate-once") { _ in Self.writeOnce(endpoints: endpoints, stop: stop) }
                // And one that deletes 16 keys per DEL, once: a DEL that fails after deleting
                // some of them MUST NOT answer with a code that says nothing was applied.
                let deletes = ThreadGroup(1, name: "fail-rate-del") { _ in Self.deleteOnce(endpoints: endpoints, stop: stop) }
                let started = ContinuousClock.now
                var writes = 0
                do {
                    while ContinuousClock.now - started < .seconds(10) {
                        try client.put("fail-rate-\(writes)", "value-\(writes)")
                        writes += 1
                    }
                } catch {
                    stop.raise()
                    _ = once.join()
                    _ = deletes.join()
                    throw error
                }
                stop.raise()
                let attempts = once.join().flatMap { $0 }
                let dels = deletes.join().flatMap { $0 }
                let counts = Dictionary(grouping: attempts, by: \.outcome).mapValues(\.count)
                try #require(counts[.acknowledged, default: 0] > 0, "the one-attempt writer got nothing acknowledged: \(attempts.prefix(3))")
                print("fail-rate: one-attempt writes: \(counts[.acknowledged] ?? 0) acknowledged, \(counts[.refused] ?? 0) refused, \(counts[.unknown] ?? 0) unknown")
                for attempt in attempts {
                    let value = try client.get(attempt.key)
                    switch attempt.outcome {
                    case .acknowledged: try #require(value == "once", "acknowledged \(attempt.key) reads \(value ?? "absent")")
                    case .refused: try #require(value == nil, "\(attempt.key) was refused (\(attempt.error)) but reads \(value ?? "absent")")
                    case .unknown: try #require(value == nil || value == "once", "\(attempt.key) reads \(value ?? "absent")")
                    }
                }
                let delCounts = Dictionary(grouping: dels, by: \.outcome).mapValues(\.count)
                print("fail-rate: one-attempt DELs of \(Self.keysPerDel) keys: \(delCounts[.acknowledged] ?? 0) answered, \(delCounts[.refused] ?? 0) refused, \(delCounts[.unknown] ?? 0) unknown")
                try #require(delCounts[.acknowledged, default: 0] > 0, "no multi-key DEL was answered: \(dels.prefix(3))")
                for del in dels where del.outcome != .unknown {
                    let present = try del.keys.filter { try client.get($0) != nil }
                    switch del.outcome {
                    case .acknowledged: try #require(present.isEmpty && del.count == del.keys.count, "DEL answered \(del.count), left \(present)")
                    case .refused: try #require(present.count == del.keys.count, "DEL refused (\(del.error)) but deleted \(del.keys.count - present.count) keys")
                    case .unknown: break
                    }
                }
                let logs = cluster.ids.map { cluster.logTail($0, lines: 100_000) }
                let failures = logs.map { $0.components(separatedBy: "simulated acceptor failure").count - 1 }
                let recoveries = logs.map { $0.components(separatedBy: "recovered from simulated failure").count - 1 }
                print("fail-rate: \(writes) writes acknowledged in 10 s with --fail-rate 0.3 on every node; simulated failures per node \(failures), recoveries \(recoveries)")
                try #require(failures.reduce(0, +) > 0, "no node simulated a failure")
                try #require(recoveries.reduce(0, +) > 0, "no node recovered from a simulated failure")
                for index in stride(from: 0, to: writes, by: max(1, writes / 200)) {
                    try #require(try client.get("fail-rate-\(index)") == "value-\(index)")
                }
            }
        }

        struct OnceWrite: Sendable {
            var key: String
            var outcome: WriteOutcome
            var error: String
        }

        static let keysPerDel = 16

        struct OnceDelete: Sendable {
            var keys: [String]
            var outcome: WriteOutcome
            var count: Int
            var error: String
        }

        /// Rounds of: write `keysPerDel` fresh keys (patiently), then DEL them all in one
        /// command, one attempt, until `stop`.
        static func deleteOnce(endpoints: [Endpoint], stop: StopFlag) -> [OnceDelete] {
            var configuration = PaxosClient.Configuration.patient
            configuration.maxAttempts = 1
            guard let writer = try? PaxosClient(endpoints: endpoints),
                  let deleter = try? PaxosClient(endpoints: endpoints, configuration: configuration, startingAt: 1)
            else { return [] }
            var done: [OnceDelete] = []
            while !stop.isRaised {
                let keys = (0..<keysPerDel).map { "multi-\(done.count)-\($0)" }
                do throws(PaxosClientError) {
                    for key in keys { try writer.put(key, "x") }
                } catch {
                    continue  // a later round uses fresh keys
                }
                do throws(PaxosClientError) {
                    let reply = try deleter.command(["DEL"] + keys)
                    guard case .integer(let count) = reply else {
                        done.append(OnceDelete(keys: keys, outcome: .unknown, count: -1, error: "reply \(reply)"))
                        continue
                    }
                    done.append(OnceDelete(keys: keys, outcome: .acknowledged, count: Int(count), error: ""))
                } catch {
                    done.append(OnceDelete(keys: keys, outcome: WriteOutcome(failure: error), count: 0, error: "\(error)"))
                    pause(.milliseconds(20))
                }
            }
            return done
        }

        /// Distinct keys, one attempt each, until `stop`. After a failure the client moves on
        /// to the next node by itself.
        static func writeOnce(endpoints: [Endpoint], stop: StopFlag) -> [OnceWrite] {
            var configuration = PaxosClient.Configuration.patient
            configuration.maxAttempts = 1
            guard let client = try? PaxosClient(endpoints: endpoints, configuration: configuration) else { return [] }
            var written: [OnceWrite] = []
            while !stop.isRaised {
                let key = "once-\(written.count)"
                do throws(PaxosClientError) {
                    try client.put(key, "once")
                    written.append(OnceWrite(key: key, outcome: .acknowledged, error: ""))
                } catch {
                    written.append(OnceWrite(key: key, outcome: WriteOutcome(failure: error), error: "\(error)"))
                    pause(.milliseconds(20))
                }
            }
            return written
        }

        static func errorText(_ value: RESPValue) -> String? {
            if case .error(let text) = value { return text }
            return nil
        }
    }
}
