import CoreMetrics
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// The interpreter of this group's request shell (`GroupShell`, where every decision about a
/// client request is made): it hands the shell its inputs with the moment's view and time, and
/// carries out the effects the shell returns. Nothing here decides anything.
extension GroupNode {
    /// The shell's clock: milliseconds of the monotonic clock.
    static var nowMilliseconds: UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    /// The leader's stamp source (`GroupShell+Time.swift`): CLOCK_REALTIME in Unix
    /// milliseconds. Unlike `nowMilliseconds` it may step; the shell and the state machine
    /// take maxima, so a step back only pauses the log's clock.
    static var wallTime: LeaderTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LeaderTime(rawValue: UInt64(max(0, spec.tv_sec)) * 1_000 + UInt64(max(0, spec.tv_nsec)) / 1_000_000)
    }

    /// What the shell needs of the core and links now.
    var shellView: ShellView {
        let hint = replica.leaderHint
        return ShellView(isLeader: replica.role == .leader, leaderHint: hint,
                         leaderLinked: hint.map { node.links[$0] != nil } ?? false,
                         chosenThrough: replica.chosenThrough, failed: failures.isFailed,
                         logClock: logClock, nextDeadline: nextDeadline, wallTime: Self.wallTime,
                         leaseBasis: replica.leaseBasis)
    }

    /// Accepts a write or a linearizable read from a local connection.
    func submit(_ kind: TrackedRequest.Kind, respond: @escaping (RequestOutcome) -> Void) {
        let (token, effects) = shell.submit(kind, now: Self.nowMilliseconds, view: shellView)
        waiters[token] = respond
        perform(effects)
    }

    /// A stale read (`READONLY` connections): served from this node's applied state.
    func staleRead(_ query: ReadQuery, respond: @escaping (RequestOutcome) -> Void) {
        let (token, effects) = shell.submitStaleRead(query, now: Self.nowMilliseconds, view: shellView)
        waiters[token] = respond
        perform(effects)
    }

    func onForward(from peer: ReplicaID, id: UInt64, _ request: ForwardedRequest) {
        perform(shell.forwardReceived(from: peer, id: id, request, now: Self.nowMilliseconds, view: shellView))
    }

    func onForwardReply(id token: UInt64, _ outcome: ForwardedOutcome) {
        perform(shell.forwardReplyReceived(id: token, outcome, now: Self.nowMilliseconds, view: shellView))
    }

    func sweepRequests() {
        perform(shell.tick(now: Self.nowMilliseconds, view: shellView, wallTime: Self.wallTime))
    }

    /// Runs effects outside a core step: storage jobs are submitted, then links flushed, and
    /// only then are clients answered, so an answer that starts a connection's next command
    /// finds this work already queued.
    func perform(_ effects: [ShellEffect]) {
        guard !effects.isEmpty else { return }
        var jobs: [StorageJob] = []
        var answers: [(UInt64, RequestOutcome)] = []
        perform(effects, jobs: &jobs, answers: &answers)
        submit(&jobs)
        flushLinks()
        answer(answers)
    }

    /// Carries out effects in order; storage jobs and client answers are collected for the caller.
    func perform(_ effects: [ShellEffect], jobs: inout [StorageJob], answers: inout [(UInt64, RequestOutcome)]) {
        for effect in effects {
            switch effect {
            case .propose(let batch, let time):
                metrics.proposals.increment(by: batch.count)
                handle(.propose(batch, time: time))
            case .read(let id, let leased):
                if leased { metrics.leasedReads.increment() }
                handle(.read(id, leased: leased))
            case .readState(let query, let token, let readTime):
                jobs.append(.read(query, token: token, readTime: readTime))
            case .forward(let peer, let id, let request):
                send(.forward(group: group, id: id, request), to: peer)
            case .forwardReply(let peer, let id, let outcome):
                send(.forwardReply(group: group, id: id, outcome), to: peer)
            case .answer(let token, let outcome):
                answers.append((token, outcome))
            case .scheduleProposalFlush:
                // Everything proposed during this loop iteration shares one step, so it can share a slot.
                loop.execute { [self] in perform(shell.flushProposals(wallTime: Self.wallTime, view: shellView)) }
            }
        }
    }

    func answer(_ answers: [(UInt64, RequestOutcome)]) {
        for (token, outcome) in answers {
            waiters.removeValue(forKey: token)?(outcome)
        }
    }
}
