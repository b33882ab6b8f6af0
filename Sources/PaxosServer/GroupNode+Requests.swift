import CoreMetrics
import Logging
import NIOCore
public import PaxosCore
import PaxosWire

/// What a client (or a forwarding peer) gets back.
public enum RequestOutcome: Hashable, Sendable {
    case applied(OperationResult)
    case value(Bytes?)
    /// The request failed before it could be answered; `code` is the RESP error prefix.
    case failed(code: String, message: String)
}

/// A client request the node is responsible for answering, from a local connection or a peer.
struct TrackedRequest {
    enum Kind {
        case write(ClientRequest)
        case read(key: Bytes)
    }
    enum Origin {
        case local((RequestOutcome) -> Void)
        case peer(ReplicaID, forwardID: UInt64)
    }
    var kind: Kind
    var origin: Origin
    let deadline: NIODeadline
    /// Where it was last sent: ourselves as leader, a peer, or nowhere yet (no leader known).
    var routedTo: ReplicaID?
    var routedAt: NIODeadline?
    /// How often it was proposed (to our own core) or forwarded. A write routed even once may
    /// be chosen later, whatever happens to this node or this attempt.
    var routings = 0
}

extension GroupNode {
    /// Accepts a write or a linearizable read from a local connection.
    func submit(_ kind: TrackedRequest.Kind, respond: @escaping (RequestOutcome) -> Void) {
        var kind = kind
        if case .write(var request) = kind, request.origin == nil {
            // Fixed here, once: every re-forward carries the same origin (`ClientSession`).
            request.origin = replica.chosenThrough
            kind = .write(request)
        }
        track(kind, origin: .local(respond), timeoutMilliseconds: settings.requestTimeoutMilliseconds)
    }

    func track(_ kind: TrackedRequest.Kind, origin: TrackedRequest.Origin, timeoutMilliseconds: Int64) {
        guard requests.count < settings.maxOutstandingRequests else {
            deliver(.failed(code: "BUSY", message: "too many requests in flight; retry shortly"), to: origin)
            return
        }
        if failedUntil != nil {
            deliver(.failed(code: "UNAVAILABLE", message: "replica \(settings.id) is in a simulated failure (--fail-rate); try another node"), to: origin)
            return
        }
        let token = nextToken
        nextToken += 1
        requests[token] = TrackedRequest(kind: kind, origin: origin,
                                         deadline: .now() + .milliseconds(timeoutMilliseconds))
        if case .write(let request) = kind {
            // A newer write from the same client replaces a stale waiter; our connections send
            // one write at a time, so this only happens on a peer's re-forward.
            if let old = writeTokens[request.client], old != token, requests[old] != nil {
                if case .write(let previous)? = requests[old]?.kind, previous.sequence == request.sequence {
                    requests[old] = nil
                }
            }
            writeTokens[request.client] = token
        }
        route(token)
    }

    /// Sends a request where it can be served: into our own core if we lead, to the leader
    /// otherwise, or nowhere until a leader is known (the tick sweep retries).
    func route(_ token: UInt64) {
        guard var tracked = requests[token] else { return }
        let now = NIODeadline.now()
        if replica.roleName == "leader" {
            tracked.routedTo = settings.id
            tracked.routedAt = now
            tracked.routings += 1
            requests[token] = tracked
            switch tracked.kind {
            case .write(let request):
                proposalBuffer.append(request)
                scheduleProposalFlush()
            case .read:
                let id = ReadID(token)
                readTokens[id] = token
                handle(.read(id))
            }
            return
        }
        guard let leader = replica.leaderHint, leader != settings.id, node.links[leader] != nil else {
            tracked.routedTo = nil
            requests[token] = tracked
            return
        }
        tracked.routedTo = leader
        tracked.routedAt = now
        tracked.routings += 1
        requests[token] = tracked
        let forwarded: ForwardedRequest
        switch tracked.kind {
        case .write(let request): forwarded = .write(request)
        case .read(let key): forwarded = .read(key: key)
        }
        send(.forward(group: group, id: token, forwarded), to: leader)
        flushLinks()
    }

    func scheduleProposalFlush() {
        guard !proposalFlushScheduled else { return }
        proposalFlushScheduled = true
        // Everything proposed during this loop iteration shares one step, so it can share a slot.
        loop.execute { [self] in
            proposalFlushScheduled = false
            let batch = proposalBuffer
            proposalBuffer = []
            guard !batch.isEmpty else { return }
            metrics.proposals.increment(by: batch.count)
            handle(.propose(batch))
        }
    }

    /// A forwarded request from a peer: serve it as if a local client sent it, and answer the peer.
    func onForward(from peer: ReplicaID, id: UInt64, _ request: ForwardedRequest) {
        guard replica.roleName == "leader" else {
            send(.forwardReply(group: group, id: id, .notLeader(replica.leaderHint)), to: peer)
            flushLinks()
            return
        }
        let kind: TrackedRequest.Kind
        switch request {
        case .write(let write): kind = .write(write)
        case .read(let key): kind = .read(key: key)
        }
        track(kind, origin: .peer(peer, forwardID: id), timeoutMilliseconds: settings.requestTimeoutMilliseconds)
    }

    func onForwardReply(id token: UInt64, _ outcome: ForwardedOutcome) {
        guard requests[token] != nil else { return }
        switch outcome {
        case .applied(let result): resolve(token, .applied(result))
        case .value(let value): resolve(token, .value(value))
        case .notLeader:
            // Route again at the next sweep; the hint may be stale, our own view decides.
            requests[token]?.routedTo = nil
        case .overloaded:
            failNotApplied(token, code: "BUSY", message: "the leader is overloaded; retry shortly", thisRoutingProposed: false)
        case .unavailable: requests[token]?.routedTo = nil
        }
    }

    /// A request applied on this node: answer whoever waits for exactly that (client, sequence).
    func onApplied(_ request: ClientRequest, _ result: OperationResult) {
        guard let token = writeTokens[request.client], let tracked = requests[token],
              case .write(let waiting) = tracked.kind, waiting.sequence == request.sequence else { return }
        resolve(token, .applied(result))
    }

    /// What a client connection is told of an outcome; a peer that forwarded the request gets
    /// the result as it is and tells its client.
    static func clientOutcome(_ outcome: RequestOutcome) -> RequestOutcome {
        guard case .applied(let result) = outcome else { return outcome }
        return switch result {
        case .superseded:
            // Impossible for our connections (one write at a time); answer honestly if it happens.
            .failed(code: "ERR", message: "request superseded by a newer one from the same client")
        case .expired:
            // Refused in this slot, but an earlier copy may have been applied (ClientSession).
            .failed(code: "TIMEOUT", message: "the request was retried for too long and expired; it may or may not have been applied")
        case .ok, .deleted:
            .applied(result)
        }
    }

    func onCoreReply(_ reply: ClientReply, jobs: inout [StorageJob]) {
        switch reply {
        case .readReady(let id):
            guard let token = readTokens.removeValue(forKey: id), let tracked = requests[token],
                  case .read(let key) = tracked.kind else { return }
            // Queued behind every apply already submitted, so the value includes them.
            jobs.append(.read(key: key, token: token))
        case .readRejected(let id, let reason):
            guard let token = readTokens.removeValue(forKey: id) else { return }
            rejected(token, reason)
        case .proposalRejected(let request, let reason):
            guard let token = writeTokens[request.client], case .write(let waiting)? = requests[token]?.kind,
                  waiting.sequence == request.sequence else { return }
            rejected(token, reason)
        case .membershipChangeProposed, .membershipChangeRefused:
            onMembershipReply(reply)
        }
    }

    func rejected(_ token: UInt64, _ reason: RejectReason) {
        switch reason {
        case .notLeader:
            requests[token]?.routedTo = nil
            route(token)
        case .overloaded:
            failNotApplied(token, code: "BUSY", message: "the leader's queue is full; retry shortly", thisRoutingProposed: false)
        }
    }

    /// Fails a request with a code that tells the client it was *not* applied (`BUSY`,
    /// `UNAVAILABLE`: clients retry and count the write as not done) when that is certain. A
    /// write that some routing proposed or forwarded may still be chosen (a majority may hold
    /// it; the next leader recovers it in phase 1), so it fails as `TIMEOUT` instead, which
    /// clients read as "may or may not have been applied". `thisRoutingProposed` is false when
    /// the current routing was refused before it could be proposed (the leader was overloaded).
    func failNotApplied(_ token: UInt64, code: String, message: String, thisRoutingProposed: Bool) {
        guard let tracked = requests[token] else { return }
        let earlierRoutings = tracked.routings - (thisRoutingProposed ? 0 : 1)
        if case .write = tracked.kind, earlierRoutings > 0 {
            resolve(token, .failed(code: "TIMEOUT", message: "\(message); it was already proposed, so it may or may not have been applied"))
        } else {
            resolve(token, .failed(code: code, message: message))
        }
    }

    /// Answers a request and forgets it.
    func resolve(_ token: UInt64, _ outcome: RequestOutcome) {
        guard let tracked = requests.removeValue(forKey: token) else { return }
        if case .write(let request) = tracked.kind, writeTokens[request.client] == token {
            writeTokens[request.client] = nil
        }
        deliver(outcome, to: tracked.origin)
    }

    func deliver(_ outcome: RequestOutcome, to origin: TrackedRequest.Origin) {
        switch origin {
        case .local(let respond):
            respond(Self.clientOutcome(outcome))
        case .peer(let peer, let id):
            let forwarded: ForwardedOutcome
            switch outcome {
            case .applied(let result): forwarded = .applied(result)
            case .value(let value): forwarded = .value(value)
            case .failed(let code, _): forwarded = code == "BUSY" ? .overloaded : .unavailable
            }
            send(.forwardReply(group: group, id: id, forwarded), to: peer)
            flushLinks()
        }
    }

    /// Runs every tick: fails requests past their deadline, routes unrouted ones, and re-sends
    /// forwards that went unanswered (the leader may have changed or died).
    func sweepRequests() {
        guard !requests.isEmpty else { return }
        let now = NIODeadline.now()
        let reroute = TimeAmount.milliseconds(settings.rerouteMilliseconds)
        var expired: [(UInt64, RequestOutcome)] = []
        var retry: [UInt64] = []
        // Where a request would go now. When that is not where it went, the leadership moved:
        // re-route at once rather than after `reroute` (a client then sees the election, not the
        // election plus the re-forward interval). Re-sending is safe: (client, sequence) makes a
        // write apply once wherever it lands.
        let target: ReplicaID? = replica.roleName == "leader" ? settings.id : replica.leaderHint
        for (token, tracked) in requests {
            if now >= tracked.deadline {
                let outcome: RequestOutcome = tracked.routedTo == nil
                    ? .failed(code: "NOLEADER", message: "no leader is known; the cluster may be electing one or lack a majority")
                    : .failed(code: "TIMEOUT", message: "no answer in time; the request may or may not have been applied")
                expired.append((token, outcome))
            } else if tracked.routedTo == nil {
                retry.append(token)
            } else if let target, target != tracked.routedTo {
                retry.append(token)
            } else if let routedAt = tracked.routedAt, now - routedAt >= reroute,
                      tracked.routedTo != settings.id || replica.roleName != "leader" {
                retry.append(token)
            }
        }
        for (token, outcome) in expired { resolve(token, outcome) }
        for token in retry.sorted() { route(token) }
    }
}
