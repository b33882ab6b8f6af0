// Method: drive the request shell (`GroupShell`) as paxosd's GroupNode does, with plain
// millisecond times and a view of the core, and check the effects it returns: where each
// request goes, when it is re-sent, and above all which failure code a client gets — "not
// applied" (BUSY, UNAVAILABLE) only when no routing was ever proposed or forwarded.
import PaxosCore
import PaxosShell
import Testing

@Suite("server: the request shell's decisions")
struct GroupShellTests {
    static let me = ReplicaID(1)
    static let leader = ReplicaID(2)
    static let settings = ShellSettings(me: me, requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                        maxOutstandingRequests: 4)
    static let leading = ShellView(isLeader: true, leaderHint: me, leaderLinked: false, chosenThrough: Slot(7))
    static let following = ShellView(isLeader: false, leaderHint: leader, leaderLinked: true, chosenThrough: Slot(5))
    static let leaderless = ShellView(isLeader: false, leaderHint: nil, leaderLinked: false, chosenThrough: Slot(5))

    static func write(_ client: UInt64 = 9, _ sequence: UInt64 = 1, origin: Slot? = nil) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: .put(key: [1], value: [2]), origin: origin)
    }

    /// Runs `body` on a fresh shell and checks the shell's invariants afterwards.
    static func shell(_ settings: ShellSettings = settings) -> GroupShell { GroupShell(settings: settings, firstToken: 1) }

    static func code(_ effects: [ShellEffect]) -> String? {
        for effect in effects {
            if case .answer(_, .failed(let code, _)) = effect { return code.rawValue }
        }
        return nil
    }

    static func codes(_ effects: [ShellEffect]) -> [UInt64: String] {
        var codes: [UInt64: String] = [:]
        for case .answer(let token, .failed(let code, _)) in effects { codes[token] = code.rawValue }
        return codes
    }

    @Test("a leader batches the writes of one burst into one proposal, each stamped with its origin")
    func leaderBatches() {
        var shell = Self.shell()
        let first = shell.submit(.write(Self.write(9)), now: 0, view: Self.leading)
        #expect(first.effects == [.scheduleProposalFlush])
        let second = shell.submit(.write(Self.write(10)), now: 0, view: Self.leading)
        #expect(second.effects == [], "the flush is already scheduled")
        #expect(shell.flushProposals() == [.propose([Self.write(9, origin: Slot(7)), Self.write(10, origin: Slot(7))])])
        #expect(shell.flushProposals() == [], "a flush with nothing buffered proposes nothing")
        #expect(shell.applied(Self.write(9, origin: Slot(7)), .ok) == [.answer(token: first.token, .applied(.ok))])
        #expect(shell.trackedCount == 1)
        #expect(shell.invariantViolations() == [])
    }

    @Test("a follower forwards to the leader, keeps the origin on every re-send, and answers what the leader answers")
    func followerForwards() {
        var shell = Self.shell()
        let (token, effects) = shell.submit(.write(Self.write()), now: 0, view: Self.following)
        let forwarded = ShellEffect.forward(to: Self.leader, id: token, .write(Self.write(origin: Slot(5))))
        #expect(effects == [forwarded])
        // Unanswered for less than the reroute interval: nothing; at it: sent again, same origin
        // although the frontier moved.
        var later = Self.following
        later.chosenThrough = Slot(50)
        #expect(shell.tick(now: 99, view: later) == [])
        #expect(shell.tick(now: 100, view: later) == [forwarded])
        // The leadership moves: re-sent to the new leader at once.
        var moved = later
        moved.leaderHint = ReplicaID(3)
        #expect(shell.tick(now: 101, view: moved) == [.forward(to: ReplicaID(3), id: token, .write(Self.write(origin: Slot(5))))])
        #expect(shell.forwardReplyReceived(id: token, .applied(.deleted(existed: true)), now: 102, view: moved)
                == [.answer(token: token, .applied(.deleted(existed: true)))])
        #expect(shell.trackedCount == 0)
        #expect(shell.invariantViolations() == [])
    }

    @Test("a key operation's reply reaches the client the same through a follower; a forgotten one is a TIMEOUT")
    func forwardedReply() {
        for reply in [OpReply.integer(7), .bulk([1]), .null, .error(.notInteger)] {
            var shell = Self.shell()
            let (token, _) = shell.submit(.write(Self.write()), now: 0, view: Self.following)
            #expect(shell.forwardReplyReceived(id: token, .applied(.reply(reply)), now: 1, view: Self.following)
                    == [.answer(token: token, .applied(.reply(reply)))])
        }
        var shell = Self.shell()
        let (token, _) = shell.submit(.write(Self.write()), now: 0, view: Self.following)
        let effects = shell.forwardReplyReceived(id: token, .applied(.reply(.notRemembered)), now: 1, view: Self.following)
        #expect(Self.code(effects) == "TIMEOUT")
        // The leader forwards the result as it is; the follower decides what its client hears.
        var leader = Self.shell()
        _ = leader.forwardReceived(from: ReplicaID(3), id: 44, .write(Self.write(origin: Slot(2))), now: 0, view: Self.leading)
        _ = leader.flushProposals()
        #expect(leader.applied(Self.write(origin: Slot(2)), .reply(.integer(3)))
                == [.forwardReply(to: ReplicaID(3), id: 44, .applied(.reply(.integer(3))))])
    }

    /// (what happened to the write, what the client must hear)
    static let failureCodes: [(String, @Sendable (inout GroupShell) -> [ShellEffect], String)] = [
        ("never routed (no leader), deadline passes", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leaderless)
            return shell.tick(now: 1_000, view: leaderless)
        }, "NOLEADER"),
        ("forwarded, deadline passes", { shell in
            _ = shell.submit(.write(write()), now: 0, view: following)
            return shell.tick(now: 1_000, view: following)
        }, "TIMEOUT"),
        ("forwarded once, leader overloaded", { shell in
            let (token, _) = shell.submit(.write(write()), now: 0, view: following)
            return shell.forwardReplyReceived(id: token, .overloaded, now: 1, view: following)
        }, "BUSY"),
        ("forwarded twice, then leader overloaded", { shell in
            let (token, _) = shell.submit(.write(write()), now: 0, view: following)
            _ = shell.tick(now: 100, view: following)
            return shell.forwardReplyReceived(id: token, .overloaded, now: 101, view: following)
        }, "TIMEOUT"),
        ("proposed once, core queue full", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leading)
            _ = shell.flushProposals()
            return shell.coreReply(.proposalRejected(write(origin: Slot(7)), .overloaded), now: 1, view: leading)
        }, "BUSY"),
        ("proposed, then the replica fails", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leading)
            return shell.failAll(message: "down")
        }, "TIMEOUT"),
        ("not routed, then the replica fails", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leaderless)
            return shell.failAll(message: "down")
        }, "UNAVAILABLE"),
        ("refused: the replica is down", { shell in
            var down = leading
            down.failed = true
            return shell.submit(.write(write()), now: 0, view: down).effects
        }, "UNAVAILABLE"),
        ("applied, but expired in its slot", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leading)
            return shell.applied(write(origin: Slot(7)), .expired)
        }, "TIMEOUT"),
        ("applied as superseded (a copy was applied long ago, its result forgotten)", { shell in
            _ = shell.submit(.write(write()), now: 0, view: leading)
            return shell.applied(write(origin: Slot(7)), .superseded)
        }, "TIMEOUT"),
        ("shut down with a write in flight", { shell in
            _ = shell.submit(.write(write()), now: 0, view: following)
            return shell.stop(message: "bye")
        }, "SHUTDOWN"),
    ]

    @Test("the failure code says 'not applied' only when no routing was proposed or forwarded", arguments: failureCodes.indices)
    func failureCode(_ index: Int) {
        let (name, run, expected) = Self.failureCodes[index]
        var shell = Self.shell()
        let effects = run(&shell)
        #expect(Self.code(effects) == expected, "\(name)")
        #expect(shell.invariantViolations() == [], "\(name)")
        // The planted bug answers "not applied" for a write that was proposed or forwarded.
        var buggy = Self.shell(ShellSettings(me: Self.me, requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                             maxOutstandingRequests: 4, plantedBug: .busyAfterProposal))
        let buggyCode = Self.code(run(&buggy))
        if name.hasPrefix("forwarded twice") { #expect(buggyCode == "BUSY") }
        if name.hasPrefix("proposed, then") { #expect(buggyCode == "UNAVAILABLE") }
    }

    @Test("a write a peer forwarded is answered to the peer: BUSY as overloaded, every other failure as unavailable")
    func peerOutcomes() {
        var shell = Self.shell()
        #expect(shell.forwardReceived(from: ReplicaID(3), id: 44, .write(Self.write()), now: 0, view: Self.following)
                == [.forwardReply(to: ReplicaID(3), id: 44, .notLeader(Self.leader))])
        #expect(shell.forwardReceived(from: ReplicaID(3), id: 44, .write(Self.write(origin: Slot(2))), now: 0, view: Self.leading)
                == [.scheduleProposalFlush])
        #expect(shell.flushProposals() == [.propose([Self.write(origin: Slot(2))])], "a forwarded write keeps its origin")
        // The peer re-forwards the same write (its answer was slow): the newer copy replaces the waiter.
        _ = shell.forwardReceived(from: ReplicaID(3), id: 45, .write(Self.write(origin: Slot(2))), now: 1, view: Self.leading)
        #expect(shell.trackedCount == 1)
        #expect(shell.coreReply(.proposalRejected(Self.write(origin: Slot(2)), .overloaded), now: 2, view: Self.leading)
                == [.forwardReply(to: ReplicaID(3), id: 45, .overloaded)])
        _ = shell.forwardReceived(from: ReplicaID(3), id: 46, .write(Self.write(9, 2)), now: 3, view: Self.leading)
        #expect(shell.tick(now: 1_003, view: Self.leading) == [.forwardReply(to: ReplicaID(3), id: 46, .unavailable)])
        #expect(shell.invariantViolations() == [])
    }

    @Test("only the awaited (client, sequence) is answered by an apply")
    func appliedMatchesSequence() {
        var shell = Self.shell()
        let (token, _) = shell.submit(.write(Self.write(9, 2)), now: 0, view: Self.leading)
        #expect(shell.applied(Self.write(9, 1), .ok) == [], "a late copy of the client's previous write")
        #expect(shell.applied(Self.write(8, 2), .ok) == [], "another client")
        #expect(shell.applied(Self.write(9, 2), .ok) == [.answer(token: token, .applied(.ok))])
    }

    @Test("reads: served through the core when leading, forwarded otherwise; stale reads never leave the node")
    func reads() {
        var shell = Self.shell()
        let (token, effects) = shell.submit(.read(.value(of: [7])), now: 0, view: Self.leading)
        #expect(effects == [.read(ReadID(token))])
        #expect(shell.coreReply(.readReady(ReadID(token)), now: 1, view: Self.leading) == [.readState(.value(of: [7]), token: token)])
        #expect(shell.readAnswer(token: token, .value([8])) == [.answer(token: token, .answer(.value([8])))])
        // A rejected read (we lost the lead) is routed again, to the new leader.
        let second = shell.submit(.read(.value(of: [7])), now: 2, view: Self.leading)
        #expect(shell.coreReply(.readRejected(ReadID(second.token), .notLeader(leader: Self.leader)), now: 3, view: Self.following)
                == [.forward(to: Self.leader, id: second.token, .query(.value(of: [7])))])
        #expect(shell.invariantViolations() == [])
        let stale = shell.submitStaleRead(.value(of: [7]), now: 4, view: Self.following)
        #expect(stale.effects == [.readState(.value(of: [7]), token: stale.token)])
        #expect(shell.tick(now: 500, view: Self.leaderless) == [], "a stale read is never routed, and the forward has no leader to go to")
        // Both time out. The forwarded read found no leader to re-send to at the sweep, so it
        // ends unrouted: NOLEADER; the stale read was served by this node: TIMEOUT.
        let answers = Self.codes(shell.tick(now: 1_004, view: Self.leaderless))
        #expect(answers == [second.token: "NOLEADER", stale.token: "TIMEOUT"])
    }

    @Test("more requests than the limit are refused as BUSY without being routed")
    func outstandingLimit() {
        var shell = Self.shell()
        for client in 1...4 as ClosedRange<UInt64> { _ = shell.submit(.write(Self.write(client)), now: 0, view: Self.leaderless) }
        let refused = shell.submit(.write(Self.write(5)), now: 0, view: Self.following)
        #expect(refused.effects == [.answer(token: refused.token, .failed(code: .busy, message: "too many requests in flight; retry shortly"))])
        #expect(shell.trackedCount == 4)
    }

    @Test("a planted fresh-origin bug restamps the origin on every routing")
    func freshOriginBug() {
        var shell = Self.shell(ShellSettings(me: Self.me, requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                             maxOutstandingRequests: 4, plantedBug: .freshOriginOnRoute))
        let (token, _) = shell.submit(.write(Self.write()), now: 0, view: Self.following)
        var later = Self.following
        later.chosenThrough = Slot(50)
        #expect(shell.tick(now: 100, view: later) == [.forward(to: Self.leader, id: token, .write(Self.write(origin: Slot(50))))])
    }

    @Test("a restarted shell numbers its requests afresh, so a late answer to the previous life's forward finds nothing")
    func tokensDoNotRepeatAcrossLives() {
        var firstLife = GroupShell(settings: Self.settings, firstToken: 1)
        let (oldToken, _) = firstLife.submit(.write(Self.write(9, 1)), now: 0, view: Self.following)
        var random = SeededGenerator(seed: 7)
        var secondLife = GroupShell(settings: Self.settings, firstToken: GroupShell.randomFirstToken(using: &random))
        let (newToken, _) = secondLife.submit(.write(Self.write(10, 1)), now: 0, view: Self.following)
        #expect(newToken != oldToken)
        #expect(secondLife.forwardReplyReceived(id: oldToken, .applied(.ok), now: 1, view: Self.following) == [])
        #expect(secondLife.trackedCount == 1, "the new request still waits for its own answer")
        // An answer that does not fit the request is not about it.
        #expect(secondLife.forwardReplyReceived(id: newToken, .answer(.value([1])), now: 1, view: Self.following) == [])
        let (readToken, _) = secondLife.submit(.read(.keys([[1], [2]], fields: .value)), now: 0, view: Self.following)
        #expect(secondLife.forwardReplyReceived(id: readToken, .answer(.value([1])), now: 1, view: Self.following) == [],
                "an answer of one entry is not the answer to a query of two keys")
        #expect(secondLife.forwardReplyReceived(id: readToken, .answer(ReadAnswer(fields: .revision, entries: [nil, nil])), now: 1,
                                                view: Self.following) == [], "nor one of other fields")
        let fitting = ReadAnswer(fields: .value, entries: [nil, ReadAnswer.Entry(value: [3], revision: .none)])
        #expect(secondLife.forwardReplyReceived(id: readToken, .answer(fitting), now: 1, view: Self.following)
                == [.answer(token: readToken, .answer(fitting))])
        #expect(secondLife.trackedCount == 1)
        // The planted bug: both lives count from 1, and the old answer completes the new write.
        let buggy = ShellSettings(me: Self.me, requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                  maxOutstandingRequests: 4, plantedBug: .reuseTokensAfterRestart)
        var reborn = GroupShell(settings: buggy, firstToken: GroupShell.randomFirstToken(using: &random))
        let (reused, _) = reborn.submit(.write(Self.write(10, 1)), now: 0, view: Self.following)
        #expect(reused == oldToken)
        #expect(reborn.forwardReplyReceived(id: oldToken, .applied(.ok), now: 1, view: Self.following)
                == [.answer(token: reused, .applied(.ok))])
    }
}
