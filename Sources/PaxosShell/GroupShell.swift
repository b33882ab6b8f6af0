public import PaxosCore

/// The request half of one group's server shell, as a value: every decision paxosd makes about
/// a client request between the connection and the core — where it goes (our own core, the
/// leader, nowhere yet), when it is re-sent, when it fails and with which code, which writes
/// share a proposal — and nothing else. Inputs are method calls carrying the moment's
/// `ShellView` and time as plain numbers; outputs are `ShellEffect`s, which paxosd's
/// `GroupNode` and the simulator interpret. No clock, no socket, no database, no callback: the
/// same code runs under a seed in `paxos-sim` and in table tests (HTTP1ConnectionStateMachine
/// and SWIM.Instance are the models).
///
/// The one promise the shell keeps about failures: a write is answered with a code that says
/// "not applied" (`BUSY`, `UNAVAILABLE`) only when no routing of it was ever proposed or
/// forwarded; otherwise it may still be chosen, and the answer is `TIMEOUT` ("may or may not
/// have been applied"; `NOLEADER` and `SHUTDOWN` promise nothing either).
///
/// - Invariant: every token in `writeTokens` and `readTokens` names a tracked request of that
///   kind (`invariantViolations`).
public struct GroupShell: Sendable {
    public let settings: ShellSettings
    /// Requests in flight, by token. Tokens are never reused, in this life or the next: a
    /// token is also the id of a forward, and the leader's answer to a forward sent before a
    /// restart can arrive after it, over the new link (`init(settings:firstToken:)`).
    public internal(set) var requests: [UInt64: TrackedRequest] = [:]
    var nextToken: UInt64
    /// The write each client id waits for: one at a time per client.
    var writeTokens: [ClientID: UInt64] = [:]
    /// Linearizable reads handed to our core, by the id the core answers with.
    var readTokens: [ReadID: UInt64] = [:]
    /// Writes to propose at the next flush, so they share a slot.
    var proposalBuffer: [ClientRequest] = []
    var proposalFlushScheduled = false
    /// The last time this shell stamped a proposal with (`GroupShell+Time.swift`): its own
    /// stamps never go back, whatever its wall clock does.
    var lastStamp: LeaderTime?
    /// The clock slot proposed for background expiry and not yet seen applied: its stamp and
    /// when it was proposed (`now`).
    var clockSlotInFlight: (stamp: LeaderTime, proposedAt: UInt64)?
    /// The leader's lease, timed by this shell's clock (`LeaderLease`).
    public internal(set) var lease: LeaderLease

    /// - Parameter firstToken: where this life's tokens start. Pass a fresh random number at
    ///   every start (`randomFirstToken`): a restarted node that counted from 1 again would take
    ///   the leader's late answer to its previous life's forward number 5 for its new request
    ///   number 5, and answer a client with another request's result.
    public init(settings: ShellSettings, firstToken: UInt64) {
        self.settings = settings
        self.nextToken = settings.plantedBug == .reuseTokensAfterRestart ? 1 : max(1, firstToken)
        self.lease = LeaderLease(milliseconds: settings.leaseMilliseconds, neverExpires: settings.plantedBug == .leaseNeverExpires)
    }

    /// Every core step's actions, before the interpreter sends them: the lease notes when each
    /// read round went out.
    public mutating func coreStepped(_ actions: [Action], now: UInt64) {
        lease.noteSent(actions, now: now)
    }

    /// A first token for a new life: the upper half of the 64-bit space is drawn, so two lives
    /// share a token only if they draw the same 2^32-wide band (about one in 2^31).
    public static func randomFirstToken<G: RandomNumberGenerator>(using random: inout G) -> UInt64 {
        UInt64.random(in: 1...UInt64(UInt32.max) - 1, using: &random) << 32
    }

    /// How many requests are in flight (`INFO tracked_requests`).
    public var trackedCount: Int { requests.count }

    /// Breaches of the invariants written on the fields; empty when all hold.
    public func invariantViolations() -> [String] {
        var violations: [String] = []
        for (client, token) in writeTokens {
            guard case .write(let request)? = requests[token]?.kind, request.client == client else {
                violations.append("write token \(token) of client \(client) names no write of that client")
                continue
            }
        }
        for (id, token) in readTokens {
            guard case .read? = requests[token]?.kind else {
                violations.append("read \(id) names token \(token), which is no linearizable read")
                continue
            }
        }
        if let stale = requests.keys.first(where: { $0 >= nextToken }) {  // Tokens only grow.
            violations.append("token \(stale) was never handed out")
        }
        return violations
    }
}

// MARK: - Inputs: new requests

extension GroupShell {
    /// A write or linearizable read from a local connection. Returns the token the answer
    /// (`ShellEffect.answer`) will carry; register the waiter before running the effects.
    public mutating func submit(_ kind: TrackedRequest.Kind, now: UInt64, view: ShellView) -> (token: UInt64, effects: [ShellEffect]) {
        var kind = kind
        if case .write(var request) = kind, request.origin == nil {
            // Fixed here, once: every re-forward carries the same origin (`ClientSession`).
            request.origin = view.chosenThrough
            kind = .write(request)
        }
        var effects: [ShellEffect] = []
        let token = track(kind, origin: .local, now: now, view: view, effects: &effects)
        return (token, effects)
    }

    /// A stale read: served from this node's applied state without asking the leader, queued
    /// behind every apply already submitted, so it is at least as fresh as this node's own writes.
    public mutating func submitStaleRead(_ query: ReadQuery, now: UInt64, view: ShellView) -> (token: UInt64, effects: [ShellEffect]) {
        let token = takeToken()
        guard !view.failed else {
            return (token, [.answer(token: token, .failed(code: .unavailable, message: "replica \(settings.me) is in a simulated failure"))])
        }
        requests[token] = TrackedRequest(kind: .localRead(query), origin: .local,
                                         deadline: now + settings.requestTimeoutMilliseconds,
                                         routedTo: settings.me, routedAt: now)
        return (token, [.readState(query, token: token)])
    }

    /// A request a peer forwarded to us: served as if a local client sent it, answered to the peer.
    public mutating func forwardReceived(from peer: ReplicaID, id: UInt64, _ request: ForwardedRequest,
                                         now: UInt64, view: ShellView) -> [ShellEffect] {
        guard view.isLeader else {
            return [.forwardReply(to: peer, id: id, .notLeader(view.leaderHint))]
        }
        let kind: TrackedRequest.Kind
        switch request {
        case .write(let write): kind = .write(write)
        case .query(let query): kind = .read(query)
        }
        var effects: [ShellEffect] = []
        _ = track(kind, origin: .peer(peer, forwardID: id), now: now, view: view, effects: &effects)
        return effects
    }

    mutating func takeToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    mutating func track(_ kind: TrackedRequest.Kind, origin: TrackedRequest.Origin, now: UInt64, view: ShellView,
                        effects: inout [ShellEffect]) -> UInt64 {
        let token = takeToken()
        guard requests.count < settings.maxOutstandingRequests else {
            effects.append(Self.deliver(.failed(code: .busy, message: "too many requests in flight; retry shortly"), token: token, to: origin))
            return token
        }
        guard !view.failed else {
            effects.append(Self.deliver(.failed(code: .unavailable, message: "replica \(settings.me) is in a simulated failure (--fail-rate); try another node"),
                                        token: token, to: origin))
            return token
        }
        requests[token] = TrackedRequest(kind: kind, origin: origin, deadline: now + settings.requestTimeoutMilliseconds)
        if case .write(let request) = kind {
            // A newer copy of the same write replaces a stale waiter; our connections send one
            // write at a time, so this only happens on a peer's re-forward.
            if let old = writeTokens[request.client], case .write(let previous)? = requests[old]?.kind,
               previous.sequence == request.sequence {
                requests[old] = nil
            }
            writeTokens[request.client] = token
        }
        route(token, now: now, view: view, effects: &effects)
        return token
    }
}

// MARK: - Routing

extension GroupShell {
    /// Sends a request where it can be served: into our own core if we lead, to the leader
    /// otherwise, or nowhere until a leader is known (the tick sweep retries).
    mutating func route(_ token: UInt64, now: UInt64, view: ShellView, effects: inout [ShellEffect]) {
        guard var tracked = requests[token] else { return }
        if settings.plantedBug == .freshOriginOnRoute, case .write(var request) = tracked.kind {
            request.origin = view.chosenThrough
            tracked.kind = .write(request)
        }
        if view.isLeader {
            tracked.routedTo = settings.me
            tracked.routedAt = now
            tracked.routings += 1
            requests[token] = tracked
            switch tracked.kind {
            case .write(let request):
                proposalBuffer.append(request)
                if !proposalFlushScheduled {
                    proposalFlushScheduled = true
                    effects.append(.scheduleProposalFlush)
                }
            case .read:
                let id = ReadID(token)
                readTokens[id] = token
                effects.append(.read(id, leased: lease.covers(view.leaseBasis, now: now)))
            case .localRead:
                break
            }
            return
        }
        guard let leader = view.leaderHint, leader != settings.me, view.leaderLinked else {
            tracked.routedTo = nil
            requests[token] = tracked
            return
        }
        let forwarded: ForwardedRequest
        switch tracked.kind {
        case .write(let request): forwarded = .write(request)
        case .read(let query): forwarded = .query(query)
        case .localRead: return
        }
        tracked.routedTo = leader
        tracked.routedAt = now
        tracked.routings += 1
        requests[token] = tracked
        effects.append(.forward(to: leader, id: token, forwarded))
    }

    /// The writes routed since the last flush, as one proposal (`ShellEffect.scheduleProposalFlush`).
    public mutating func flushProposals() -> [ShellEffect] {
        proposalFlushScheduled = false
        guard !proposalBuffer.isEmpty else { return [] }
        let batch = proposalBuffer
        proposalBuffer = []
        return [.propose(batch)]
    }

    /// Runs every tick: fails requests past their deadline, routes unrouted ones, and re-sends
    /// forwards that went unanswered (the leader may have changed or died).
    public mutating func tick(now: UInt64, view: ShellView) -> [ShellEffect] {
        guard !requests.isEmpty else { return [] }
        var expired: [(UInt64, RequestOutcome)] = []
        var retry: [UInt64] = []
        // Where a request would go now. When that is not where it went, the leadership moved:
        // re-route at once rather than after `reroute` (a client then sees the election, not the
        // election plus the re-forward interval). Re-sending is safe: (client, sequence) makes a
        // write apply once wherever it lands.
        let target: ReplicaID? = view.isLeader ? settings.me : view.leaderHint
        for (token, tracked) in requests {
            if now >= tracked.deadline {
                let outcome: RequestOutcome = tracked.routedTo == nil
                    ? .failed(code: .noLeader, message: "no leader is known; the cluster may be electing one or lack a majority")
                    : .failed(code: .timeout, message: "no answer in time; the request may or may not have been applied")
                expired.append((token, outcome))
            } else if case .localRead = tracked.kind {
                continue
            } else if tracked.routedTo == nil {
                retry.append(token)
            } else if let target, target != tracked.routedTo {
                retry.append(token)
            } else if let routedAt = tracked.routedAt, now - routedAt >= settings.rerouteMilliseconds,
                      tracked.routedTo != settings.me || !view.isLeader {
                retry.append(token)
            }
        }
        var effects: [ShellEffect] = []
        // Sorted, so the effects (and a simulated run) do not depend on dictionary order.
        for (token, outcome) in expired.sorted(by: { $0.0 < $1.0 }) { resolve(token, outcome, effects: &effects) }
        for token in retry.sorted() { route(token, now: now, view: view, effects: &effects) }
        return effects
    }
}
