// Helpers for driving one Replica by hand: build it, feed inputs, and pick apart its actions.
import Logging
import PaxosCore

let r1 = ReplicaID(1), r2 = ReplicaID(2), r3 = ReplicaID(3)
let threeMembers = [r1, r2, r3]
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

func configuration(_ id: ReplicaID, members: [ReplicaID] = threeMembers, _ tweak: (inout ReplicaConfiguration) -> Void = { _ in }) -> ReplicaConfiguration {
    var configuration = ReplicaConfiguration(id: id, members: members)
    configuration.heartbeatIntervalTicks = 2
    configuration.electionTimeoutTicks = 10
    configuration.retransmitTicks = 4
    tweak(&configuration)
    return configuration
}

func makeReplica(_ id: ReplicaID, durable: DurableState = .empty, seed: UInt64 = 7,
                 _ tweak: (inout ReplicaConfiguration) -> Void = { _ in }) -> Replica {
    Replica(configuration: configuration(id, tweak), durable: durable, random: SeededGenerator(seed: seed), logger: quietLogger)
}

func ballot(_ round: UInt64, _ replica: ReplicaID) -> Ballot { Ballot(round: round, replica: replica) }

func put(_ client: UInt64, _ sequence: UInt64, _ key: String, _ value: String) -> ClientRequest {
    ClientRequest(client: ClientID(client), sequence: sequence, operation: .put(key: Array(key.utf8), value: Array(value.utf8)))
}

extension [Action] {
    var persists: [PersistRecord] {
        compactMap { if case .persist(let record) = $0 { record } else { nil } }
    }
    var sends: [(to: ReplicaID, message: Message)] {
        compactMap { if case .send(let to, let message) = $0 { (to, message) } else { nil } }
    }
    var applies: [(slot: Slot, command: Command)] {
        compactMap { if case .apply(let slot, let command) = $0 { (slot, command) } else { nil } }
    }
    var replies: [ClientReply] {
        compactMap { if case .reply(let reply) = $0 { reply } else { nil } }
    }
    func messages(to peer: ReplicaID) -> [Message] { sends.filter { $0.to == peer }.map(\.message) }
    var lastPersistID: PersistID? { persists.last?.id }
}

extension Replica {
    /// Feeds inputs and returns all actions produced, in order.
    mutating func run(_ inputs: [Input]) -> [Action] { inputs.flatMap { step($0) } }

    /// Steps `input`; if that starts a pre-prepare round, answers it with yes from a majority
    /// of peers (peers that hear no leader), as the cluster around a timed-out follower does.
    /// Returns every action produced.
    mutating func stepGrantingPrePrepare(_ input: Input) -> [Action] {
        var actions = step(input)
        guard let ask = actions.sends.first(where: { if case .prePrepare = $0.message { true } else { false } }),
              case .prePrepare(let ballot, _) = ask.message else { return actions }
        for peer in peers.prefix(currentMembership.majority - 1) {
            actions += step(.message(from: peer, .prePromise(ballot: ballot, granted: true, promised: .zero)))
        }
        return actions
    }

    /// Ticks until the replica sends a prepare (granting its pre-prepare round, if it runs one),
    /// and returns the actions from the step that sent it.
    mutating func tickUntilElection(limit: Int = 1000) -> [Action] {
        for _ in 0..<limit {
            var actions = step(.tick)
            if let ask = actions.sends.first(where: { if case .prePrepare = $0.message { true } else { false } }),
               case .prePrepare(let ballot, _) = ask.message {
                for peer in peers.prefix(currentMembership.majority - 1) {
                    actions = step(.message(from: peer, .prePromise(ballot: ballot, granted: true, promised: .zero)))
                }
            }
            if actions.sends.contains(where: { if case .prepare = $0.message { true } else { false } }) { return actions }
        }
        return []
    }

    /// Makes replica 1 leader of a 3-replica cluster in `ballot 1.1`, with the given promises.
    mutating func becomeLeaderForTest(promiseFrom peer: ReplicaID = r2, entries: [LogEntry] = []) -> [Action] {
        var actions = tickUntilElection()
        guard let prepare = actions.sends.first, case .prepare(let b, _) = prepare.message else { return actions }
        actions += step(.persisted(upTo: actions.lastPersistID!))
        actions += step(.message(from: peer, .promise(ballot: b, entries: entries, compactedThrough: .zero)))
        return actions
    }
}
