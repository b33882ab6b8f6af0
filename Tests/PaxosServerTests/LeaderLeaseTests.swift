// The leader's side of a lease in the shell (LeaderLease, LeaseTiming): how long it is, when it
// starts (the first send of the confirmed round, never its acknowledgement), when it ends, and
// which reads the shell hands to the core as leased. The acceptor's side is in PaxosCoreTests
// (LeaseTests); the whole under faults and drift in the simulator (LeaseSimulationTests).
import PaxosCore
import PaxosShell
import Testing

@Suite("server: the leader's lease in the shell")
struct LeaderLeaseTests {
    static let b = Ballot(round: 3, replica: ReplicaID(1))

    static func heartbeat(_ ballot: Ballot = b, round: UInt64) -> [Action] {
        [.send(to: ReplicaID(2), .heartbeat(ballot: ballot, chosenThrough: .zero, readRound: round)),
         .send(to: ReplicaID(3), .heartbeat(ballot: ballot, chosenThrough: .zero, readRound: round))]
    }

    @Test("timing: the acceptor's ticks, less the drift bound and two ticks, for the leader")
    func timing() {
        // paxosd's largest lease: 30 ticks of 10 ms → 300 ms · 0.99 − 20 ms.
        #expect(LeaseTiming(leaseTicks: 30, tickMilliseconds: 10).leaderMilliseconds == 277)
        #expect(LeaseTiming(leaseTicks: 6, tickMilliseconds: 10).leaderMilliseconds == 40)
        // A lease too short to outlast the margins is none.
        #expect(LeaseTiming(leaseTicks: 2, tickMilliseconds: 10).leaderMilliseconds == 0)
        #expect(LeaseTiming(leaseTicks: 0, tickMilliseconds: 10).leaderMilliseconds == 0)
        // A wider drift bound shortens it.
        #expect(LeaseTiming(leaseTicks: 30, tickMilliseconds: 10, driftBoundPPM: 100_000).leaderMilliseconds == 250)
    }

    @Test("a lease runs from the round's first send, for its length, and not a millisecond more")
    func runsFromSend() {
        var lease = LeaderLease(milliseconds: 100)
        let basis = LeaseBasis(ballot: Self.b, round: 4)
        #expect(!lease.covers(basis, now: 0), "no round sent yet")
        lease.noteSent(Self.heartbeat(round: 4), now: 1_000)
        // The same round sent again later (a retransmission) does not move the start.
        lease.noteSent(Self.heartbeat(round: 4), now: 1_050)
        #expect(lease.covers(basis, now: 1_000))
        #expect(lease.covers(basis, now: 1_099))
        #expect(!lease.covers(basis, now: 1_100))
        #expect(!lease.covers(nil, now: 1_010), "no basis: the core has no confirmed round")
        #expect(!lease.covers(LeaseBasis(ballot: Self.b, round: 5), now: 1_010), "round 5 was never sent")
    }

    @Test("a new ballot forgets the old leadership's rounds")
    func newBallotForgets() {
        var lease = LeaderLease(milliseconds: 100)
        lease.noteSent(Self.heartbeat(round: 4), now: 1_000)
        let next = Ballot(round: 5, replica: ReplicaID(1))
        lease.noteSent(Self.heartbeat(next, round: 1), now: 1_010)
        #expect(!lease.covers(LeaseBasis(ballot: Self.b, round: 4), now: 1_020))
        #expect(lease.covers(LeaseBasis(ballot: next, round: 1), now: 1_020))
    }

    @Test("off, it covers nothing; it keeps a bounded number of rounds")
    func offAndBounded() {
        var off = LeaderLease(milliseconds: 0)
        off.noteSent(Self.heartbeat(round: 1), now: 0)
        #expect(!off.covers(LeaseBasis(ballot: Self.b, round: 1), now: 0))
        var lease = LeaderLease(milliseconds: 100)
        for round in UInt64(1)...1_000 { lease.noteSent(Self.heartbeat(round: round), now: round) }
        #expect(lease.covers(LeaseBasis(ballot: Self.b, round: 1_000), now: 1_000))
        #expect(!lease.covers(LeaseBasis(ballot: Self.b, round: 1), now: 50), "round 1 should have been forgotten")
    }

    @Test("the shell hands a leader's read to the core as leased only while its lease covers the basis")
    func shellMarksLeasedReads() {
        var shell = GroupShell(settings: ShellSettings(me: ReplicaID(1), requestTimeoutMilliseconds: 1_000, rerouteMilliseconds: 100,
                                                       maxOutstandingRequests: 8, leaseMilliseconds: 100), firstToken: 1)
        shell.coreStepped(Self.heartbeat(round: 2), now: 500)
        var view = ShellView(isLeader: true, leaderHint: ReplicaID(1), leaderLinked: false, chosenThrough: Slot(3))
        view.leaseBasis = LeaseBasis(ballot: Self.b, round: 2)
        let inside = shell.submit(.read(.value(of: [1])), now: 550, view: view)
        #expect(inside.effects == [.read(ReadID(inside.token), leased: true)])
        let after = shell.submit(.read(.value(of: [1])), now: 600, view: view)
        #expect(after.effects == [.read(ReadID(after.token), leased: false)])
        view.leaseBasis = nil
        let without = shell.submit(.read(.value(of: [1])), now: 550, view: view)
        #expect(without.effects == [.read(ReadID(without.token), leased: false)])
    }
}
