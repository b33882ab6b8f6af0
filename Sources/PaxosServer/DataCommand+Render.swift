public import PaxosCore
public import PaxosWire

extension DataCommand.Rendering {
    /// The RESP reply for a key operation's reply, as Redis words it.
    public func render(_ reply: OpReply) -> RESPValue {
        switch (self, reply) {
        case (.setFlag, .ok): .integer(1)
        case (.setFlag, .null): .integer(0)
        case (.seconds(let rounded), .integer(let milliseconds)): .integer(Self.seconds(milliseconds, rounded: rounded))
        case (.expiry(let command), .error(.invalidExpireTime)): .error(DataCommand.invalidExpireTime(command).description)
        case (_, .ok): .simpleString("OK")
        case (_, .null): .bulkString(nil)
        case (_, .integer(let value)): .integer(value)
        case (_, .bulk(let value)): .bulkString(value)
        case (_, .error(let error)): .error(error.redisText)
        case (_, .array(let replies)): .array(replies.map { DataCommand.Rendering.reply.render($0) })
        case (_, .transaction(true, let replies)): .array(replies.map { DataCommand.Rendering.reply.render($0) })
        case (_, .transaction(false, _)): .array(nil)
        // The shell turns this into a TIMEOUT before it reaches a connection (GroupShell.clientOutcome).
        case (_, .notRemembered): .error(.timeout, "the request was applied but its reply was not kept for retries; read the key")
        }
    }
}
