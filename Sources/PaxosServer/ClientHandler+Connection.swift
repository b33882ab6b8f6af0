#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Logging
import NIOCore
import PaxosCore
import PaxosWire

/// The commands about the connection itself: HELLO (RESP2 or RESP3), CLIENT and TIME, answered
/// with what the node really knows (issue 20).
extension ClientHandler {
    /// The protocol versions HELLO accepts.
    static let protocolVersions = 2...3

    /// `HELLO [protover [AUTH user password] [SETNAME name]]`: switches the connection to RESP2 or
    /// RESP3 (after a successful AUTH, when given) and answers Redis's fields: a map in RESP3, a
    /// flat array in RESP2 (`RESPValue.forProtocol`).
    func hello(version: Int?, user: String?, password: Bytes?, name: String?, done: @escaping (RESPValue) -> Void) {
        if let version, !Self.protocolVersions.contains(version) {
            return done(.error(.noProto, "unsupported protocol version"))
        }
        let proceed = { [self] in
            if let version { protocolVersion = version }
            if let name { connectionName = name }
            done(.map([
                "server": .bulkString("paxoskv"),
                "version": .bulkString(NodeInfo.serverVersion),
                "proto": .integer(Int64(protocolVersion)),
                "id": .integer(connectionNumber),
                // Not Redis Cluster: a client must not ask for slots.
                "mode": .bulkString("standalone"),
                "role": .bulkString("master"),
                "modules": .array([]),
            ]))
        }
        if let user, let password {
            return authenticate(user: user, password: password) { refusal in
                if let refusal { done(refusal) } else { proceed() }
            }
        }
        if authenticator != nil, role == nil {
            return done(.error(.noAuth, "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"))
        }
        proceed()
    }

    func client(_ subcommand: ClientSubcommand, done: @escaping (RESPValue) -> Void) {
        switch subcommand {
        case .id:
            done(.integer(connectionNumber))
        case .info:
            done(.verbatim(format: "txt", text: connectionInfo().line + "\n"))
        case .list(let ids, let subscribed):
            let handlers = node.clientHandlers.values
                .filter { handler in ids.map { $0.contains(UInt64(handler.connectionNumber)) } ?? true }
                .filter { handler in subscribed.map { $0 == (handler.subscriptionCount > 0) } ?? true }
                .sorted { $0.connectionNumber < $1.connectionNumber }
            done(.verbatim(format: "txt", text: handlers.map { $0.connectionInfo().line + "\n" }.joined()))
        case .getName:
            done(.bulkString(connectionName.isEmpty ? nil : Array(connectionName.utf8)))
        case .setName(let name):
            connectionName = name
            done(.simpleString("OK"))
        case .setInfo(.name, let value):
            libraryName = value
            done(.simpleString("OK"))
        case .setInfo(.version, let value):
            libraryVersion = value
            done(.simpleString("OK"))
        case .kill(let filter, let legacy):
            let victims = node.clientHandlers.values.filter { filter.matches($0.connectionInfo(), caller: UInt64(connectionNumber)) }
            if legacy, victims.isEmpty { return done(.error(.err, "No such client")) }
            var closesSelf = false
            for victim in victims {
                if victim === self { closesSelf = true } else { victim.context?.close(promise: nil) }
            }
            let answer: RESPValue = legacy ? .simpleString("OK") : .integer(Int64(victims.count))
            // Redis answers the caller first, then closes it.
            if closesSelf { return finish(answer, close: true) }
            done(answer)
        case .accepted:
            done(.simpleString("OK"))
        case .help:
            done(.array(ClientSubcommand.helpLines.map { .simpleString($0) }))
        }
    }

    func config(_ command: ConfigCommand) -> RESPValue {
        switch command {
        case .get(let patterns):
            let pairs = ConfigCommand.matching(patterns, in: ConfigCommand.parameters(node.settings, keyspaceEvents: node.keyspaceEvents))
            return .map(pairs.map { RESPValue.Pair(.bulkString($0.name), .bulkString($0.value)) })
        case .set(let settings):
            switch ConfigCommand.keyspaceEvents(settings) {
            case .failure(let refusal)?: return .error(refusal.description)
            case .success(let flags)?:
                node.keyspaceEvents = flags
                node.logger.info("keyspace notifications set", metadata: ["notify.keyspace_events": "\(flags.redisText)"])
            case nil: break
            }
            return .simpleString("OK")
        case .help:
            return .array(ConfigCommand.helpLines.map { .simpleString($0) })
        }
    }

    /// What CLIENT LIST says of this connection now.
    func connectionInfo() -> ClientConnectionInfo {
        let now = NIODeadline.now()
        let channel = context?.channel
        return ClientConnectionInfo(
            id: UInt64(connectionNumber), session: clientID.rawValue,
            address: Self.redisAddress(channel?.remoteAddress), localAddress: Self.redisAddress(channel?.localAddress),
            name: connectionName,
            ageSeconds: UInt64(max(0, (now - connectedAt).nanoseconds / 1_000_000_000)),
            idleSeconds: UInt64(max(0, (now - lastCommandAt).nanoseconds / 1_000_000_000)),
            queuedInTransaction: transaction.inMulti ? transaction.queued.count : nil,
            watchedKeys: transaction.watched.count, readOnly: staleReads, queryBufferBytes: queuedBytes,
            lastCommand: lastCommand, user: userName, protocolVersion: protocolVersion,
            libraryName: libraryName, libraryVersion: libraryVersion,
            channels: subscribedChannels.count, patterns: subscribedPatterns.count)
    }

    /// Records the command about to run, for CLIENT LIST's `cmd` and `idle`. On every command's
    /// path, so it only keeps references; `lastCommand` spells them out when asked.
    func noteCommand(_ raw: RESPCommand) {
        lastCommandAt = NIODeadline.now()
        lastCommandName = raw.name
        switch raw.name {
        case "CLIENT", "CONFIG", "COMMAND", "SCRIPT", "MEMBER": lastSubcommand = raw.arguments.first
        default: lastSubcommand = nil
        }
    }

    /// CLIENT LIST's `cmd`: the last command in lower case, with its subcommand for containers.
    var lastCommand: String {
        let name = lastCommandName.lowercased()
        guard let sub = lastSubcommand else { return name }
        return name + "|" + String(decoding: sub.prefix(32), as: UTF8.self).lowercased()
    }

    /// `ip:port`, or `[ip]:port` for IPv6, as Redis writes addresses; `?` when unknown.
    static func redisAddress(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "?" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// `TIME`: the node's wall clock as two bulk strings, Unix seconds and microseconds.
    static func time() -> RESPValue {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return .array([.bulkString(String(spec.tv_sec)), .bulkString(String(spec.tv_nsec / 1_000))])
    }
}
