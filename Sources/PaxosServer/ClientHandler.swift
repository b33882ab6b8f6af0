import CoreMetrics
import Logging
import CMalloc
import NIOCore
import PaxosAuth
import PaxosCore
import PaxosShell
import PaxosWire

/// One RESP client connection. Commands are answered strictly in order, one at a time: a
/// connection has one client id and sends its writes with increasing sequence numbers, so it
/// must not have two writes in flight (a retry of the older one would look superseded).
/// Throughput comes from many connections, as with Redis clients in a pool.
///
/// Fair and bounded (docs/ARCHITECTURE.md, "Bounded, fair client serving"): a connection runs at
/// most `clientCommandsPerTurn` commands, then yields the loop to ticks, peers and other
/// connections; replies written in one turn go out in one flush. Its queue of parsed commands is
/// bounded by count and bytes, and while it is full, or while more than the soft limit of
/// replies wait to be sent, the handler holds back `read()` so the socket is not read
/// (backpressure: a pipeline is slowed, never cut). A client whose unsent replies pass the hard
/// limit does not read them, and is disconnected.
///
/// - Invariant: used only on the node's event loop.
final class ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPCommand
    typealias OutboundIn = RESPValue
    typealias OutboundOut = ClientOutbound

    let node: Node
    let clientID: ClientID
    private var sequence: UInt64 = 0
    /// Parsed commands; the ones before `queueHead` ran and are nil, so their arguments (a
    /// pipeline of 1 MiB SETs) are freed at once rather than when the prefix is cut off.
    private var queue: [RESPCommand?] = []
    private var queueHead = 0
    /// Argument bytes of the commands in `queue[queueHead...]`.
    private(set) var queuedBytes = 0
    private var busy = false
    /// READONLY mode: reads are served from this node's applied state, possibly stale.
    var staleReads = false
    private(set) var context: ChannelHandlerContext?
    /// True while `processNext` runs its loop.
    private var draining = false
    /// Commands this connection may still run in the current turn.
    private var budget: Int
    /// The largest reply of one command of this connection's last pipeline run, in bytes (a
    /// guess of 4 KiB before the first): a run's reply is held whole and written at once, so a
    /// run is cut to about `PipelineRun.maxBytes` of replies (`PipelineRun.commandLimit`). A
    /// pipeline of 1 MiB GETs goes one at a time after its first run of 16.
    var pipelineReplyBytes = 4 << 10
    /// A continuation of this connection's queue is scheduled on the loop.
    private var resumeScheduled = false
    /// Replies were written in this turn and not flushed yet.
    private var unflushed = false
    /// A `read()` from the pipeline held back while the connection is paused.
    private var readHeld = false
    /// Admitted under `maxClients` (and so counted in `node.clientsConnected`).
    private var admitted = false
    /// The users file's verifier; nil when the node has none (protected mode), and then every
    /// client may run every command.
    let authenticator: ClientAuthenticator?
    /// The role this connection authenticated as. - Invariant: nil until an AUTH succeeds.
    var role: ClientRole?
    /// What CLIENT LIST shows (`ClientHandler+Connection.swift`): the RESP version (2 until
    /// `HELLO 3`), the user, the name and library the client gave, and when it last ran what.
    var protocolVersion = 2
    var userName = UsersFile.defaultUserName
    var connectionName = ""
    var libraryName = ""
    var libraryVersion = ""
    let connectedAt = NIODeadline.now()
    /// CLIENT ID: this node's count of connections, from 1, as Redis numbers them (the client id
    /// of the sessions is a 64-bit number that RESP's signed integers cannot always carry).
    let connectionNumber: Int64
    var lastCommandAt = NIODeadline.now()
    var lastCommandName = "NULL"
    var lastSubcommand: Bytes?
    /// MULTI/EXEC/WATCH (`ClientHandler+Transactions.swift`).
    var transaction = TransactionState()
    /// SUBSCRIBE/PSUBSCRIBE (`ClientHandler+PubSub.swift`). - Invariant: mirrored in `node.pubSub`.
    var subscribedChannels: Set<Bytes> = []
    var subscribedPatterns: Set<Bytes> = []

    init(node: Node, authenticator: ClientAuthenticator?) {
        self.node = node
        self.clientID = node.makeClientID()
        node.connectionsAccepted += 1
        self.connectionNumber = node.connectionsAccepted
        self.authenticator = authenticator
        self.budget = node.settings.clientCommandsPerTurn
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Admits the connection under `maxClients`, or answers as Redis does and closes it.
    func channelActive(context: ChannelHandlerContext) {
        guard node.clientsConnected < node.maxClients else {
            node.metrics.clientsRejectedMaxClients.increment()
            node.connectionsRejected &+= 1
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.value(.error(.err, "max number of clients reached")))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        admitted = true
        node.clientHandlers[clientID] = self
        node.clientsConnected += 1
        node.metrics.clientsConnected.record(node.clientsConnected)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            admitted = false
            node.clientHandlers[clientID] = nil
            node.clientsConnected -= 1
            node.metrics.clientsConnected.record(node.clientsConnected)
        }
        leavePubSub()
        // Nothing more will run: let the queued commands (and their bytes) go now.
        queue = []
        queueHead = 0
        queuedBytes = 0
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        let command = unwrapInboundIn(data)
        queue.append(command)
        queuedBytes += Self.size(of: command)
        if !busy { processNext() }
    }

    /// The end of a read is the end of a turn for this connection, unless a continuation of its
    /// queue is already scheduled.
    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
        if !resumeScheduled { budget = node.settings.clientCommandsPerTurn }
    }

    /// Holds back reads while the queue or the output is over its limit (backpressure).
    func read(context: ChannelHandlerContext) {
        if shouldPauseReading {
            if !readHeld { node.metrics.clientReadsPaused.increment() }
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfPossible()
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all, !busy {
            node.metrics.clientsDisconnectedIdle.increment()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed RESP: tell the client why, then close only this connection.
        node.logger.debug("closing client connection after a protocol error", metadata: ["error": "\(error)"])
        // Close through the channel, which is Sendable, once the error reply is written.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.value(.error(.err, "Protocol error: \(error)")))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private var shouldPauseReading: Bool {
        guard let context else { return false }
        return queue.count - queueHead >= node.settings.clientQueueMaxCommands
            || queuedBytes >= node.settings.clientQueueMaxBytes
            || !context.channel.isWritable
    }

    private func resumeReadingIfPossible() {
        guard readHeld, !shouldPauseReading, let context else { return }
        readHeld = false
        context.read()
    }

    /// How long a connection that used its budget waits before its next turn. Measured with a
    /// 100,000-PING flood against a debug build on a loaded 2-core machine: at 0.5 ms other
    /// clients' SETs took p99 144 ms, at 2 ms 39 ms (11.6 ms with no flood). It caps one
    /// connection's synchronous commands (PING, ECHO, errors) at `clientCommandsPerTurn` per
    /// 2 ms; commands answered by the cluster start a new turn when their answer arrives.
    static let yieldDelay = TimeAmount.milliseconds(2)

    /// Bytes a queued command holds, for the queue's byte bound.
    private static func size(of command: RESPCommand) -> Int {
        command.arguments.reduce(command.name.utf8.count) { $0 + $1.count }
    }

    /// Starts queued commands one at a time, at most `budget` in this turn. Commands answered
    /// synchronously (PING, errors) loop here instead of recursing, so a long pipeline cannot
    /// grow the stack; their replies are flushed together when the loop stops.
    private func processNext() {
        guard !draining else { return }
        draining = true
        defer {
            draining = false
            flushIfNeeded()
            resumeReadingIfPossible()
        }
        while !busy, queueHead < queue.count, let context, context.channel.isActive {
            guard budget > 0 else {
                yieldTurn(context: context)
                return
            }
            budget -= 1
            guard let raw = queue[queueHead] else { preconditionFailure("a queued command ran twice") }
            queue[queueHead] = nil
            queueHead += 1
            queuedBytes -= Self.size(of: raw)
            if queueHead > 1_024 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            busy = true
            if !runCoalesced(raw) { run(raw) }
        }
    }

    /// Runs `raw` with the commands queued after it as one request when they make a
    /// `PipelineRun` (a write first, then data commands of its group; ClientHandler+Pipeline.swift);
    /// false when `raw` runs alone. Each command joining the run counts against the turn's budget.
    private func runCoalesced(_ raw: RESPCommand) -> Bool {
        guard queueHead < queue.count, budget > 0, let first = pipelineMember(raw) else { return false }
        if case .get(let key) = first.parsed { return runCoalescedReads(raw, key: key, group: first.group) }
        // Only a write starts a run of writes: one starting at a read would be looked ahead at
        // again for every read before the first write.
        guard first.isWrite else { return false }
        var run = PipelineRun()
        _ = run.add(first.command, size: Self.size(of: raw), group: first.group, isWrite: true)
        var raws = [raw]
        var end = queueHead
        let limit = PipelineRun.commandLimit(replyBytes: pipelineReplyBytes)
        while end < queue.count, raws.count <= budget, raws.count < limit, let next = queue[end], let member = pipelineMember(next),
              run.add(member.command, size: Self.size(of: next), group: member.group, isWrite: member.isWrite) {
            raws.append(next)
            end += 1
        }
        guard let operation = run.operation, node.commandFormatRefusal(operation, in: node.groups[Int(first.group.rawValue)]) == nil else {
            return false
        }
        takeQueued(upTo: end)
        runPipeline(run, operation: operation, raws: raws)
        return true
    }

    /// Takes the queued commands before `end` (they joined the run the head command started),
    /// each against the turn's budget.
    private func takeQueued(upTo end: Int) {
        for index in queueHead..<end {
            if let taken = queue[index] { queuedBytes -= Self.size(of: taken) }
            queue[index] = nil
        }
        budget -= end - queueHead
        queueHead = end
    }

    /// Runs the GET `raw` with the GETs of its group queued right after it as one read
    /// (ClientHandler+Pipeline.swift); false when no GET follows it.
    private func runCoalescedReads(_ raw: RESPCommand, key: Bytes, group: GroupID) -> Bool {
        var keys = [key]
        var raws = [raw]
        var end = queueHead
        let limit = PipelineRun.commandLimit(replyBytes: pipelineReplyBytes)
        while end < queue.count, raws.count <= budget, raws.count < limit, let next = queue[end],
              let member = pipelineMember(next), case .get(let nextKey) = member.parsed, member.group == group {
            keys.append(nextKey)
            raws.append(next)
            end += 1
        }
        guard raws.count > 1 else { return false }
        takeQueued(upTo: end)
        runPipelinedReads(keys, raws: raws)
        return true
    }

    /// Leaves the rest of the queue for a later turn, so ticks, peers and other connections
    /// run in between; the continuation starts with a fresh budget.
    private func yieldTurn(context: ChannelHandlerContext) {
        guard !resumeScheduled else { return }
        resumeScheduled = true
        node.metrics.clientCommandsDeferred.increment()
        // Not `execute`: NIO runs tasks until none is ready before it polls sockets again, so a
        // chain of immediate continuations would keep peers and other clients unread for the
        // whole backlog. A continuation due a little later is not ready when the loop looks
        // for tasks again, so the loop polls sockets (peer acks, other clients) first.
        context.eventLoop.scheduleTask(in: Self.yieldDelay) { [self] in
            resumeScheduled = false
            budget = node.settings.clientCommandsPerTurn
            if !busy { processNext() }
        }
    }

    /// Runs one command; calls `finish` with its answer, now or later.
    private func run(_ raw: RESPCommand) {
        noteCommand(raw)
        node.commandsProcessed &+= 1
        if let refusal = raw.refusal {
            transaction.refused()
            return finish(.error(.err, "value too large: \(refusal)"))
        }
        if authenticator != nil, role == nil, !ClientCommand.allowedBeforeAuthentication.contains(raw.name) {
            return finish(.error(.noAuth, "Authentication required."))
        }
        if let refusal = subscribedModeRefusal(raw.name) {
            transaction.refused()
            return finish(.error(refusal))
        }
        let command: ClientCommand
        do {
            command = try ClientCommand.parse(name: raw.name, arguments: raw.arguments,
                                              maxKeyBytes: node.settings.maxKeyBytes,
                                              maxValueBytes: node.settings.maxValueBytes)
        } catch {
            transaction.refused()
            return finish(.error(error.description))
        }
        if let refusal = refusal(of: command, name: raw.name) {
            transaction.refused()
            return finish(.error(refusal))
        }
        let started = NIODeadline.now()
        execute(command, size: Self.size(of: raw)) { [self] value in
            node.metrics.recordRequest(raw.name, since: started)
            finish(value)
        }
    }

    /// Sends the answer, then moves on. Inside `processNext` the reply waits for the turn's
    /// flush; an answer that arrives later (from the cluster) is flushed at once.
    func finish(_ value: RESPValue, close: Bool = false) {
        reply(value)
        if close {
            flushIfNeeded()
            context?.close(promise: nil)
            return
        }
        busy = false
        if draining { return }
        // An answer from the cluster arrives in a task of its own: a new turn.
        flushIfNeeded()
        if !resumeScheduled { budget = node.settings.clientCommandsPerTurn }
        processNext()
    }

    func reply(_ value: RESPValue) {
        guard let context, context.channel.isActive else { return }
        context.write(wrapOutboundOut(.value(value.forProtocol(protocolVersion))), promise: nil)
        unflushed = true
    }

    /// Writes bytes encoded for this connection's protocol (`Node.publish`), like `reply`.
    func write(encoded bytes: ByteBuffer) {
        guard let context, context.channel.isActive else { return }
        context.write(wrapOutboundOut(.encoded(bytes)), promise: nil)
        unflushed = true
    }

    /// Flushes this turn's replies, then enforces the hard output limit: what the socket has not
    /// taken is still buffered here, and a client that lets it grow past the limit is not
    /// reading its replies.
    private func flushIfNeeded() {
        guard unflushed, let context, context.channel.isActive else { return }
        unflushed = false
        context.flush()
        if let buffered = outputOverLimit(context) {
            disconnectForOutput(context: context, bufferedBytes: buffered)
        }
    }

    /// After a flush: the bytes the socket has not taken, if they pass the hard limit.
    func outputOverLimit(_ context: ChannelHandlerContext) -> Int? {
        let buffered: Int
        do {
            buffered = try context.channel.syncOptions?.getOption(.bufferedWritableBytes) ?? 0
        } catch {
            return nil  // The channel closed: nothing is buffered any more.
        }
        return buffered > node.settings.clientOutputHardBytes ? buffered : nil
    }

    /// Closes a connection over the hard output limit: one log line per 10 s per node (with the
    /// count of unlogged ones) and a metric for every one.
    func disconnectForOutput(context: ChannelHandlerContext, bufferedBytes: Int,
                             reason: String = "client disconnected: its unread replies passed the output limit") {
        node.metrics.clientsDisconnectedOutputBuffer.increment()
        let (log, unlogged) = node.outputLimitLog.shouldLog(now: .now())
        if log {
            node.logger.warning("\(reason)", metadata: [
                "client.id": "\(clientID.rawValue)", "client.address": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                "client.output_bytes": "\(bufferedBytes)", "client.output_limit_bytes": "\(node.settings.clientOutputHardBytes)",
                "client.unlogged": "\(unlogged)",
            ])
        }
        queue = []
        queueHead = 0
        queuedBytes = 0
        let closed = context.eventLoop.makePromise(of: Void.self)
        closed.futureResult.whenComplete { _ in
            // The unread replies were up to the hard limit of heap; glibc keeps freed memory
            // resident unless asked to give it back (measured: RSS after the cut-off 77 MiB over
            // a 49 MiB baseline without this, see the note of issue 12).
            _ = malloc_trim(0)
        }
        context.close(promise: closed)
    }

    private func execute(_ command: ClientCommand, size: Int, done: @escaping (RESPValue) -> Void) {
        guard !runTransactionStep(command, size: size, done: done) else { return }
        switch command {
        case .ping(let message) where inSubscribedMode: done(PubSubReply.pong(message))
        case .ping(let message): done(message.map { .bulkString($0) } ?? .simpleString("PONG"))
        case .echo(let message): done(.bulkString(message))
        case .info(let sections): node.info(sections: sections) { done(.verbatim(format: "txt", text: $0)) }
        case .readonly: staleReads = true; done(.simpleString("OK"))
        case .readwrite: staleReads = false; done(.simpleString("OK"))
        case .quit: finish(.simpleString("OK"), close: true)
        case .backup(let name): node.backup(named: name, respond: done)
        case .member(let command, let group): node.member(command, group: group, respond: done)
        case .auth(let user, let password):
            authenticate(user: user, password: password) { done($0 ?? .simpleString("OK")) }
        case .hello(let version, let user, let password, let name):
            hello(version: version, user: user, password: password, name: name, done: done)
        case .client(let subcommand): client(subcommand, done: done)
        case .time: done(Self.time())
        case .config(let command): done(config(command))
        case .command(let query): done(query.reply)
        case .pubSub(let command): pubSub(command, done: done)
        case .changes(let command): changes(command, done: done)
        case .compatibility(.ok): done(.simpleString("OK"))
        case .compatibility(.emptyArray): done(.array([]))
        case .compatibility(.bulk(let bytes)): done(.bulkString(bytes))
        case .get(let key):
            read(.value(of: key)) { outcome in done(Self.render(outcome) { if case .answer(let a) = $0 { .bulkString(a.firstValue) } else { nil } }) }
        case .put(let key, let value):
            write(.put(key: key, value: value)) { outcome in done(Self.render(outcome) { _ in .simpleString("OK") }) }
        case .delete(let keys):
            deleteKeys(keys, done: done)
        case .data(.write(let op, let rendering)):
            write(.key(op)) { outcome in
                done(Self.render(outcome) { if case .applied(.reply(let reply)) = $0 { rendering.render(reply) } else { nil } })
            }
        case .data(.strlen(let key)):
            read(.value(of: key)) { outcome in
                done(Self.render(outcome) { if case .answer(let a) = $0 { .integer(Int64(a.firstValue?.count ?? 0)) } else { nil } })
            }
        case .exists(let keys), .multiKey(.touch(let keys)):
            countExisting(keys, done: done)
        case .multiKey(let command):
            runMultiKey(command, done: done)
        case .keyspace(let command):
            runKeyspace(command, done: done)
        case .transaction:
            preconditionFailure("TransactionState.step answers every transaction command")
        }
    }

    /// Why this connection may not run `command`, as a RESP error, or nil if it may.
    func refusal(of command: ClientCommand, name: String) -> String? {
        guard authenticator != nil, case .role(let needed) = command.access else { return nil }
        guard let role, role >= needed else {
            return "NOPERM this user has no permissions to run the '\(name.lowercased())' command"
        }
        return nil
    }

    /// Checks a password and, if it is right, makes this connection that user's. Calls `done`
    /// with nil on success or the RESP error to answer. A failed AUTH leaves the connection as
    /// it was (authenticated or not), as in Redis.
    func authenticate(user: String, password: Bytes, done: @escaping (RESPValue?) -> Void) {
        guard let authenticator else {
            return done(.error(.err, "AUTH called without any users configured on this node; start paxosd with --users-file to require passwords"))
        }
        authenticator.authenticate(user: user, password: password, loop: node.loop) { [self] outcome in
            switch outcome {
            case .authenticated(let granted):
                role = granted
                userName = user
                done(nil)
            case .refused:
                authenticator.recordFailure(user: user, remote: context?.channel.remoteAddress)
                done(.error(.wrongPass, "invalid username-password pair or user is disabled."))
            case .busy:
                done(.error(.busy, "too many authentications in progress on this node; try again"))
            }
        }
    }

    func write(_ operation: Operation, respond: @escaping (RequestOutcome) -> Void) {
        sequence += 1
        node.submit(.write(ClientRequest(client: clientID, sequence: sequence, operation: operation)), respond: respond)
    }

    /// A read of one group's keys: linearizable, or from this node's state on READONLY connections.
    func read(_ query: ReadQuery, linearizable: Bool = false, respond: @escaping (RequestOutcome) -> Void) {
        if staleReads && !linearizable {
            node.staleRead(query, respond: respond)
        } else {
            node.submit(.read(query), respond: respond)
        }
    }

    static func render(_ outcome: RequestOutcome, success: (RequestOutcome) -> RESPValue?) -> RESPValue {
        if case .failed(let code, let message) = outcome { return .error(code, message) }
        return success(outcome) ?? .error(.err, "unexpected answer from the cluster")
    }
}
