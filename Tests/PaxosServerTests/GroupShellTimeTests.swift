// Method: drive the request shell's time half (`GroupShell+Time.swift`) with plain numbers, as
// GroupNode does: a wall time and a view carrying the log clock and the earliest deadline.
// Checks the stamp (max of wall time, log clock and the shell's last stamp), that nothing is
// stamped without a wall time or off the leader, and clock slots for background expiry: one in
// flight until the log clock reaches its stamp or the reroute interval passes.
// docs/design/coordination-api.md §3 ("Stamping", "Background expiry").
import PaxosCore
import PaxosShell
import Testing

@Suite("server: the shell stamps time and asks for clock slots")
struct GroupShellTimeTests {
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }
    static func view(leader: Bool = true, logClock: UInt64 = 0, nextDeadline: UInt64? = nil, wallTime: UInt64? = nil) -> ShellView {
        ShellView(isLeader: leader, leaderHint: leader ? GroupShellTests.me : GroupShellTests.leader, leaderLinked: true,
                  chosenThrough: Slot(7), logClock: t(logClock), nextDeadline: nextDeadline.map(t), wallTime: wallTime.map(t))
    }
    static func stampOfFlush(_ shell: inout GroupShell, wallTime: UInt64?, view: ShellView, client: UInt64) -> LeaderTime?? {
        _ = shell.submit(.write(GroupShellTests.write(client)), now: 0, view: view)
        guard case .propose(_, let time)? = shell.flushProposals(wallTime: wallTime.map(t), view: view).first else { return nil }
        return .some(time)
    }

    @Test("stamping: the max of the wall clock, the log clock and the shell's last stamp")
    func stamps() {
        var shell = GroupShellTests.shell()
        #expect(Self.stampOfFlush(&shell, wallTime: 5_000, view: Self.view(logClock: 4_000), client: 1) == .some(Self.t(5_000)))
        #expect(Self.stampOfFlush(&shell, wallTime: 5_000, view: Self.view(logClock: 6_000), client: 2) == .some(Self.t(6_000)),
                "a wall clock behind the log's: the log's clock")
        #expect(Self.stampOfFlush(&shell, wallTime: 3_000, view: Self.view(logClock: 0), client: 3) == .some(Self.t(6_000)),
                "a wall clock stepped back: never behind our own last stamp")
        #expect(Self.stampOfFlush(&shell, wallTime: 7_000, view: Self.view(logClock: 0), client: 4) == .some(Self.t(7_000)))
    }

    @Test("stamping: no wall time (the simulator's plain runs) proposes untimed, as before")
    func untimed() {
        var shell = GroupShellTests.shell()
        #expect(Self.stampOfFlush(&shell, wallTime: nil, view: Self.view(logClock: 4_000), client: 1) == .some(nil))
    }

    @Test("background expiry: a leader past the earliest deadline proposes one clock slot until the log clock reaches it")
    func clockSlots() {
        var shell = GroupShellTests.shell()
        let due = Self.view(logClock: 900, nextDeadline: 1_000)
        #expect(shell.tick(now: 0, view: Self.view(logClock: 900, nextDeadline: 1_001), wallTime: Self.t(1_000)) == [], "not due yet")
        #expect(shell.tick(now: 10, view: due, wallTime: Self.t(1_000)) == [.propose([], time: Self.t(1_000))])
        #expect(shell.tick(now: 20, view: due, wallTime: Self.t(1_010)) == [], "one clock slot in flight")
        // Applied: the log clock reached the stamp, and a later deadline is due.
        let applied = Self.view(logClock: 1_000, nextDeadline: 1_005)
        #expect(shell.tick(now: 30, view: applied, wallTime: Self.t(1_020)) == [.propose([], time: Self.t(1_020))])
        // Lost (no apply within the reroute interval): proposed again.
        #expect(shell.tick(now: 30 + GroupShellTests.settings.rerouteMilliseconds - 1, view: applied, wallTime: Self.t(1_100)) == [])
        #expect(shell.tick(now: 30 + GroupShellTests.settings.rerouteMilliseconds, view: applied, wallTime: Self.t(1_130))
                == [.propose([], time: Self.t(1_130))])
    }

    @Test("background expiry: a follower, or a leader without a wall time or a deadline, proposes no clock slot")
    func noClockSlots() {
        var shell = GroupShellTests.shell()
        #expect(shell.tick(now: 0, view: Self.view(leader: false, nextDeadline: 10), wallTime: Self.t(1_000)) == [])
        #expect(shell.tick(now: 0, view: Self.view(nextDeadline: 10), wallTime: nil) == [])
        #expect(shell.tick(now: 0, view: Self.view(nextDeadline: nil), wallTime: Self.t(1_000)) == [])
    }

    @Test("reads on the leader: answered as of max(wall clock, log clock); none without a wall time or with the planted bug")
    func readTime() {
        var shell = GroupShellTests.shell()
        let (token, _) = shell.submit(.read(.value(of: [7])), now: 0, view: Self.view(logClock: 900, wallTime: 1_000))
        #expect(shell.coreReply(.readReady(ReadID(token)), now: 1, view: Self.view(logClock: 900, wallTime: 1_000))
                == [.readState(.value(of: [7]), token: token, readTime: Self.t(1_000))])
        let behind = shell.submit(.read(.value(of: [7])), now: 2, view: Self.view(logClock: 900, wallTime: 800))
        #expect(shell.coreReply(.readReady(ReadID(behind.token)), now: 3, view: Self.view(logClock: 900, wallTime: 800))
                == [.readState(.value(of: [7]), token: behind.token, readTime: Self.t(900))], "a wall clock behind the log's: the log's")
        let untimed = shell.submit(.read(.value(of: [7])), now: 4, view: Self.view(logClock: 900))
        #expect(shell.coreReply(.readReady(ReadID(untimed.token)), now: 5, view: Self.view(logClock: 900))
                == [.readState(.value(of: [7]), token: untimed.token, readTime: nil)])
        var buggy = GroupShell(settings: ShellSettings(me: GroupShellTests.me, requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                                       maxOutstandingRequests: 4, plantedBug: .readIgnoresExpiry), firstToken: 1)
        let planted = buggy.submit(.read(.value(of: [7])), now: 0, view: Self.view(logClock: 900, wallTime: 1_000))
        #expect(buggy.coreReply(.readReady(ReadID(planted.token)), now: 1, view: Self.view(logClock: 900, wallTime: 1_000))
                == [.readState(.value(of: [7]), token: planted.token, readTime: nil)])
    }

    @Test("reads on the leader: a key due by the leader's clock waits for a clock slot reaching it, then is read again")
    func expiryDue() {
        var shell = GroupShellTests.shell()
        let view = Self.view(logClock: 900, nextDeadline: 950, wallTime: 1_000)
        let (token, _) = shell.submit(.read(.value(of: [7])), now: 0, view: view)
        _ = shell.coreReply(.readReady(ReadID(token)), now: 1, view: view)
        // The store holds the key until 950: propose a clock slot and route the read again.
        #expect(shell.readResult(token: token, .expiryDue(Self.t(950)), now: 2, view: view)
                == [.propose([], time: Self.t(1_000)), .read(ReadID(token))])
        // Not applied yet when the read comes back: no second slot while one reaching 950 is in flight.
        _ = shell.coreReply(.readReady(ReadID(token)), now: 3, view: view)
        #expect(shell.readResult(token: token, .expiryDue(Self.t(950)), now: 4, view: view) == [.read(ReadID(token))])
        #expect(shell.tick(now: 5, view: view, wallTime: Self.t(1_001)) == [], "the background sweep sees the same slot in flight")
        // Applied: the read is answered, the key absent.
        let applied = Self.view(logClock: 1_000, wallTime: 1_002)
        #expect(shell.coreReply(.readReady(ReadID(token)), now: 6, view: applied)
                == [.readState(.value(of: [7]), token: token, readTime: Self.t(1_002))])
        #expect(shell.readResult(token: token, .answer(.value(nil)), now: 7, view: applied) == [.answer(token: token, .answer(.value(nil)))])
        #expect(shell.invariantViolations() == [])
    }

    @Test("reads on the leader: a slot in flight that falls short of the due deadline does not hold the read back")
    func expiryDueBeyondSlotInFlight() {
        var shell = GroupShellTests.shell()
        #expect(shell.tick(now: 0, view: Self.view(logClock: 900, nextDeadline: 950), wallTime: Self.t(960)) == [.propose([], time: Self.t(960))])
        let view = Self.view(logClock: 900, nextDeadline: 950, wallTime: 1_000)
        let (token, _) = shell.submit(.read(.value(of: [7])), now: 1, view: view)
        _ = shell.coreReply(.readReady(ReadID(token)), now: 2, view: view)
        #expect(shell.readResult(token: token, .expiryDue(Self.t(990)), now: 3, view: view)
                == [.propose([], time: Self.t(1_000)), .read(ReadID(token))])
    }
}
