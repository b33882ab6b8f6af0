public import PaxosCore

// MARK: - Inputs: answers from the core, storage and peers

extension GroupShell {
    /// The leader's answer to a request we forwarded (`id` is our token).
    public mutating func forwardReplyReceived(id token: UInt64, _ outcome: ForwardedOutcome, now: UInt64,
                                              view: ShellView) -> [ShellEffect] {
        guard let tracked = requests[token] else { return [] }
        // An answer that does not fit the request (a value for a write, a write's result for a
        // read) is not about it: an honest leader never sends one, so it is ignored.
        switch (tracked.kind, outcome) {
        case (.write, .answer), (.read, .applied), (.localRead, _):
            // (The planted bug is the shell as it was: numbering from 1, and no such check.)
            if settings.plantedBug != .reuseTokensAfterRestart { return [] }
        case (.read(let query), .answer(let answer)) where !query.accepts(answer):
            // An answer to some other query: one entry per key asked, of the fields asked, or
            // the keyspace answer of the query's kind.
            if settings.plantedBug != .reuseTokensAfterRestart { return [] }
        default: break
        }
        var effects: [ShellEffect] = []
        switch outcome {
        case .applied(let result): resolve(token, .applied(result), effects: &effects)
        case .answer(let answer): resolve(token, .answer(answer), effects: &effects)
        case .notLeader, .unavailable:
            // Route again at the next sweep; the hint may be stale, our own view decides.
            requests[token]?.routedTo = nil
        case .overloaded:
            failNotApplied(token, code: .busy, message: "the leader is overloaded; retry shortly", thisRoutingProposed: false,
                           effects: &effects)
        }
        return effects
    }

    /// A request applied on this node: answers whoever waits for exactly that (client, sequence).
    public mutating func applied(_ request: ClientRequest, _ result: OperationResult) -> [ShellEffect] {
        guard let token = writeTokens[request.client], case .write(let waiting)? = requests[token]?.kind,
              waiting.sequence == request.sequence || settings.plantedBug == .ignoreSequenceOnApply else { return [] }
        var effects: [ShellEffect] = []
        resolve(token, .applied(result), effects: &effects)
        return effects
    }

    /// The answer a `ShellEffect.readState` read.
    public mutating func readAnswer(token: UInt64, _ answer: ReadAnswer) -> [ShellEffect] {
        var effects: [ShellEffect] = []
        resolve(token, .answer(answer), effects: &effects)
        return effects
    }

    /// What a `ShellEffect.readState` read gave: an answer, or a deadline the log's clock must
    /// reach first (`GroupShell+Time.swift`).
    public mutating func readResult(token: UInt64, _ result: ReadResult, now: UInt64, view: ShellView) -> [ShellEffect] {
        switch result {
        case .answer(let answer): readAnswer(token: token, answer)
        case .expiryDue(let deadline): expiryDue(token: token, deadline: deadline, now: now, view: view)
        }
    }

    /// A core reply about a client request; membership replies are not the shell's.
    public mutating func coreReply(_ reply: ClientReply, now: UInt64, view: ShellView) -> [ShellEffect] {
        var effects: [ShellEffect] = []
        switch reply {
        case .readReady(let id):
            guard let token = readTokens.removeValue(forKey: id), case .read(let query)? = requests[token]?.kind else { break }
            effects.append(.readState(query, token: token, readTime: readTime(view)))
        case .readRejected(let id, let reason):
            guard let token = readTokens.removeValue(forKey: id) else { break }
            rejected(token, reason, now: now, view: view, effects: &effects)
        case .proposalRejected(let request, let reason):
            guard let token = writeTokens[request.client], case .write(let waiting)? = requests[token]?.kind,
                  waiting.sequence == request.sequence else { break }
            rejected(token, reason, now: now, view: view, effects: &effects)
        case .membershipChangeProposed, .membershipChangeRefused:
            break
        }
        return effects
    }

    /// The replica fails (a simulated crash): everything waiting on it is lost with it. A write
    /// it already proposed or forwarded may still be chosen by the others: that one's outcome is
    /// unknown.
    public mutating func failAll(message: String) -> [ShellEffect] {
        var effects: [ShellEffect] = []
        for token in requests.keys.sorted() {
            failNotApplied(token, code: .unavailable, message: message, thisRoutingProposed: true, effects: &effects)
        }
        proposalBuffer = []
        readTokens = [:]
        return effects
    }

    /// The node shuts down: everything in flight is answered.
    public mutating func stop(message: String) -> [ShellEffect] {
        var effects: [ShellEffect] = []
        for token in requests.keys.sorted() { resolve(token, .failed(code: .shutdown, message: message), effects: &effects) }
        return effects
    }

    mutating func rejected(_ token: UInt64, _ reason: RejectReason, now: UInt64, view: ShellView, effects: inout [ShellEffect]) {
        switch reason {
        case .notLeader:
            requests[token]?.routedTo = nil
            route(token, now: now, view: view, effects: &effects)
        case .overloaded:
            failNotApplied(token, code: .busy, message: "the leader's queue is full; retry shortly", thisRoutingProposed: false,
                           effects: &effects)
        }
    }

    /// Fails a request with a code that tells the client it was *not* applied (`BUSY`,
    /// `UNAVAILABLE`: clients retry and count the write as not done) when that is certain. A
    /// write that some routing proposed or forwarded may still be chosen (a majority may hold
    /// it; the next leader recovers it in phase 1), so it fails as `TIMEOUT` instead, which
    /// clients read as "may or may not have been applied". `thisRoutingProposed` is false when
    /// the current routing was refused before it could be proposed (the leader was overloaded).
    mutating func failNotApplied(_ token: UInt64, code: ServerErrorCode, message: String, thisRoutingProposed: Bool,
                                 effects: inout [ShellEffect]) {
        guard let tracked = requests[token] else { return }
        let earlierRoutings = tracked.routings - (thisRoutingProposed ? 0 : 1)
        if case .write = tracked.kind, earlierRoutings > 0, settings.plantedBug != .busyAfterProposal {
            resolve(token, .failed(code: .timeout, message: "\(message); it was already proposed, so it may or may not have been applied"),
                    effects: &effects)
        } else {
            resolve(token, .failed(code: code, message: message), effects: &effects)
        }
    }

    /// Answers a request and forgets it.
    mutating func resolve(_ token: UInt64, _ outcome: RequestOutcome, effects: inout [ShellEffect]) {
        guard let tracked = requests.removeValue(forKey: token) else { return }
        if case .write(let request) = tracked.kind, writeTokens[request.client] == token {
            writeTokens[request.client] = nil
        }
        effects.append(Self.deliver(outcome, token: token, to: tracked.origin))
    }

    static func deliver(_ outcome: RequestOutcome, token: UInt64, to origin: TrackedRequest.Origin) -> ShellEffect {
        switch origin {
        case .local:
            return .answer(token: token, clientOutcome(outcome))
        case .peer(let peer, let id):
            let forwarded: ForwardedOutcome
            switch outcome {
            case .applied(let result): forwarded = .applied(result)
            case .answer(let answer): forwarded = .answer(answer)
            case .failed(let code, _): forwarded = code == .busy ? .overloaded : .unavailable
            }
            return .forwardReply(to: peer, id: id, forwarded)
        }
    }

    /// What a client connection is told of an outcome; a peer that forwarded the request gets
    /// the result as it is and tells its client.
    public static func clientOutcome(_ outcome: RequestOutcome) -> RequestOutcome {
        guard case .applied(let result) = outcome else { return outcome }
        return switch result {
        case .superseded:
            // Impossible for our connections (one write at a time). Superseded means a copy was
            // applied long ago and its result forgotten: not a wrong command (ERR), an outcome
            // the client cannot learn any more.
            .failed(code: .timeout, message: "request superseded by a newer one from the same client; it may or may not have been applied")
        case .expired:
            // Refused in this slot, but an earlier copy may have been applied (ClientSession).
            .failed(code: .timeout, message: "the request was retried for too long and expired; it may or may not have been applied")
        case .reply(.notRemembered):
            // A retry of a request whose reply was too large to keep (ClientSession.remembered).
            .failed(code: .timeout, message: "the request was applied but its reply (over 1 MiB) was not kept for retries; read the key")
        case .ok, .deleted, .reply:
            .applied(result)
        }
    }
}
