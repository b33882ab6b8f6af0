import ArgumentParser
import Foundation
import PaxosClient
import PaxosCtlKit
import PaxosWire

/// `paxosctl member …`: the replicated membership (docs/ARCHITECTURE.md, "Membership").
struct MemberCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "List and change who votes: add, promote, remove or replace a replica.",
        discussion: """
            Membership is replicated state: a change is a command chosen in each consensus \
            group's log, proposed by that group's leader (this command finds it). Changes go one \
            at a time. A replica to add or replace must be running: its incarnation (the identity \
            of its database) is what the membership records. Give an added replica's address \
            (host and client, peer and metrics ports) and the membership records it, so every \
            node learns where it is; without one it must be listed in every node's cluster file \
            (a spare, "bootstrap": false). Its own cluster file lists the members it first dials.

            Examples:
              paxosctl member list
              paxosctl member add 4 10.0.0.4 6379 7379 9379   # a learner, caught up, then promoted
              paxosctl member add 4          # replica 4 is listed in every node's cluster file
              paxosctl member remove 3
              paxosctl member replace 3      # re-admit replica 3 after its disk was replaced
            """,
        subcommands: [ListMembers.self, AddMember.self, PromoteMember.self, RemoveMember.self, ReplaceMember.self])
}

struct ListMembers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Print each group's membership.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        for line in try MemberRunner(connection).list() { StandardStream.output.write(line + "\n") }
    }
}

struct AddMember: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a replica: as a learner, then, once caught up, as a voter.",
        discussion: """
            The replica must be running. With its address, the membership records where it \
            listens and every node dials it; without, every node's cluster file must list it.
            """)
    @Argument(help: "The replica id to add.") var id: UInt32
    @Argument(help: ArgumentHelp("Its address: host client-port peer-port metrics-port (optional).",
                                 valueName: "host client-port peer-port metrics-port"))
    var address: [String] = []
    @Flag(help: "Leave it a learner; promote it later with `paxosctl member promote`.") var learnerOnly = false
    @Option(help: "Promote once its applied slot is within this many slots of the leader's chosen frontier in every group.")
    var catchUpBound: UInt64 = 1_000
    @Option(help: "Seconds to wait for it to catch up before giving up (it stays a learner).") var wait: Double = 600
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard address.isEmpty || address.count == 4 else {
            throw ValidationError("give the address as <host> <client-port> <peer-port> <metrics-port>, or nothing; got \(address.count) word(s)")
        }
        for (name, word) in zip(["client", "peer", "metrics"], address.dropFirst()) {
            guard let port = UInt16(word), port != 0 else { throw ValidationError("the \(name) port must be 1 to 65535, not '\(word)'") }
        }
    }

    func run() throws {
        var runner = try MemberRunner(connection)
        if address.count == 4, let port = Int(address[1]) {
            // Watch its catch-up at the address given, whatever the cluster file says.
            runner.nodes.removeAll { $0.id == Int(id) }
            runner.nodes.append(NodeAddress(id: Int(id), endpoint: Endpoint(host: address[0], port: port)))
        }
        try runner.change("ADD", id, extra: address)
        guard !learnerOnly else { return }
        try runner.waitForCatchUp(id, bound: catchUpBound, seconds: wait)
        try runner.change("PROMOTE", id)
    }
}

struct PromoteMember: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make a learner a voter.")
    @Argument(help: "The learner's replica id.") var id: UInt32
    @OptionGroup var connection: ConnectionOptions
    func run() throws { try MemberRunner(connection).change("PROMOTE", id) }
}

struct RemoveMember: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a voter or learner (a leader removing itself hands over first).")
    @Argument(help: "The replica id to remove.") var id: UInt32
    @OptionGroup var connection: ConnectionOptions
    func run() throws { try MemberRunner(connection).change("REMOVE", id) }
}

struct ReplaceMember: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace",
        abstract: "Re-admit a voter whose database was replaced (a new, empty disk) under its new incarnation.",
        discussion: "Until then the replica follows the log as a learner and never votes: its old promises are gone.")
    @Argument(help: "The replica id to re-admit.") var id: UInt32
    @OptionGroup var connection: ConnectionOptions
    func run() throws { try MemberRunner(connection).change("REPLACE", id) }
}

/// Sends MEMBER commands to each group's leader: a follower answers `-NOTLEADER <id> at
/// host:port`, and the command goes there; a change in progress or one that lost its slot to a
/// leader change is tried again, for up to the connection timeout (at least 30 s).
struct MemberRunner {
    var nodes: [NodeAddress]
    let settings: ClientSettings
    let deadline: Date

    init(_ connection: ConnectionOptions) throws {
        nodes = try connection.resolvedNodes(includeSpares: true)
        settings = try connection.clientSettings()
        deadline = Date().addingTimeInterval(max(connection.timeout, 30))
    }

    func list() throws -> [String] {
        let reply = try send(["MEMBER", "LIST"], preferring: nil).reply
        guard case .array(let lines?) = reply else { throw PaxosCtlError.failed("MEMBER LIST answered \(reply)") }
        return lines.compactMap { if case .bulkString(let bytes?) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    /// `MEMBER <verb> <id> [extra…] GROUP g` for every group, each at its leader.
    func change(_ verb: String, _ id: UInt32, extra: [String] = []) throws {
        let groups = try list().count
        for group in 0..<groups {
            let answer = try send(["MEMBER", verb, "\(id)"] + extra + ["GROUP", "\(group)"], preferring: nil, retryBusy: true)
            StandardStream.output.write("OK \(answer.text) (by \(answer.endpoint))\n")
        }
    }

    /// Waits until replica `id` applied, in every group, to within `bound` of the chosen frontier
    /// some other node reports, printing progress.
    func waitForCatchUp(_ id: UInt32, bound: UInt64, seconds: Double) throws {
        guard let learner = nodes.first(where: { $0.id == Int(id) }) else {
            throw PaxosCtlError.failed("replica \(id) is not in the cluster file, so its progress cannot be watched; promote it with `paxosctl member promote \(id)` once it has caught up")
        }
        let until = Date().addingTimeInterval(seconds)
        var lastPrinted = Date.distantPast
        while true {
            let theirs = (try? progress(of: learner)) ?? []
            let reference = nodes.filter { $0.id != Int(id) }.compactMap { try? progress(of: $0) }
            guard !theirs.isEmpty, !reference.isEmpty else {
                // A node too busy to answer INFO within the probe's timeout proves nothing.
                guard Date() < until else {
                    throw PaxosCtlError.failed("replica \(id) or its peers did not answer INFO within \(Int(seconds)) s; it stays a learner")
                }
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            let frontier = reference.reduce(into: [UInt64](repeating: 0, count: theirs.count)) { best, node in
                for index in node.indices where index < best.count { best[index] = max(best[index], node[index].chosen) }
            }
            let behind = zip(theirs, frontier).map { $1 > $0.applied ? $1 - $0.applied : 0 }
            if behind.allSatisfy({ $0 <= bound }) {
                StandardStream.output.write("replica \(id) caught up (behind by \(behind.map(String.init).joined(separator: ",")) slots)\n")
                return
            }
            if Date().timeIntervalSince(lastPrinted) >= 2 {
                StandardStream.output.write("replica \(id) catching up: behind by \(behind.map(String.init).joined(separator: ",")) slots\n")
                lastPrinted = Date()
            }
            guard Date() < until else {
                throw PaxosCtlError.failed("replica \(id) did not catch up within \(Int(seconds)) s; it stays a learner (promote it later)")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// (applied, chosen) per group from a node's INFO.
    private func progress(of node: NodeAddress) throws -> [(applied: UInt64, chosen: UInt64)] {
        let client = try PaxosClient(endpoints: [node.endpoint], configuration: settings.probe)
        defer { client.close() }
        return try client.info().groups.map { ($0.appliedSlot, $0.chosenFrontier) }
    }

    /// One command, following -NOTLEADER to the leader and rotating over nodes that do not answer.
    private func send(_ words: [String], preferring first: NodeAddress?, retryBusy: Bool = false) throws
        -> (reply: RESPValue, text: String, endpoint: String) {
        var candidates = nodes
        var index = 0
        var lastError = "no node answered"
        // A round of nodes that all refuse takes microseconds: pause between such rounds.
        var unanswered = 0
        var backoff = RetryBackoff(initial: .milliseconds(50), max: .seconds(1))
        while Date() < deadline {
            let node = candidates[index % candidates.count]
            index += 1
            do {
                let client = try PaxosClient(endpoints: [node.endpoint], configuration: settings.singleAttempt)
                defer { client.close() }
                let reply = try client.command(words.map { Array($0.utf8) })
                if case .simpleString(let text) = reply { return (reply, text, "\(node)") }
                return (reply, "", "\(node)")
            } catch {
                let message = error.serverMessage ?? "\(error)"
                lastError = "\(node): \(message)"
                if error.serverMessage != nil { unanswered = 0; backoff.succeeded() }
                if message.hasPrefix("NOTLEADER") {
                    // "NOTLEADER 2 at 127.0.0.1:6382": go to the leader next.
                    let words = message.split(separator: " ")
                    if words.count >= 4, let endpoint = try? Endpoint(parsing: String(words[3])) {
                        candidates.insert(NodeAddress(id: Int(words[1]), endpoint: endpoint), at: index % (candidates.count + 1))
                    } else {
                        Thread.sleep(forTimeInterval: 0.3)
                    }
                    continue
                }
                if error.serverMessage != nil {
                    // "has not connected": a replica just added by address is being dialled.
                    let transient = ["in progress", "was not chosen", "timed out", "pipeline is full", "simulated failure", "no membership yet",
                                     "has not connected"]
                    if retryBusy, transient.contains(where: { message.contains($0) }) {
                        Thread.sleep(forTimeInterval: 0.5)
                        continue
                    }
                    throw PaxosCtlError.failed(lastError)
                }
                // The node did not answer: try the next, after a pause once none of them has.
                unanswered += 1
                if unanswered >= candidates.count {
                    unanswered = 0
                    PaxosClient.Failover.sleep(min(backoff.pause(), .seconds(max(0, deadline.timeIntervalSinceNow))))
                }
            }
        }
        throw PaxosCtlError.failed("gave up: \(lastError)")
    }
}
