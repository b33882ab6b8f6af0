/// What `CLIENT LIST` and `CLIENT INFO` say of one connection, in Redis's `key=value` line
/// format, which redis-py's `client_list()` parses. Only what PaxosKV knows is listed: no file
/// descriptor or memory fields are made up (clients tolerate missing fields).
public struct ClientConnectionInfo: Hashable, Sendable {
    /// CLIENT ID: the node's connection number.
    public var id: UInt64
    /// The connection's PaxosKV client id: its writes' session (`paxos-inspect` shows it).
    public var session: UInt64
    /// `ip:port` of the client (`[ip]:port` for IPv6), as Redis writes it.
    public var address: String
    public var localAddress: String
    public var name: String
    public var ageSeconds: UInt64
    public var idleSeconds: UInt64
    /// Inside MULTI: the commands queued; else nil (Redis's `multi=-1`).
    public var queuedInTransaction: Int?
    public var watchedKeys: Int
    /// READONLY mode (stale reads).
    public var readOnly: Bool
    /// Bytes of commands read and not yet run.
    public var queryBufferBytes: Int
    /// The last command run, lower case, with its subcommand for containers (`client|list`).
    public var lastCommand: String
    public var user: String
    public var protocolVersion: Int
    public var libraryName: String
    public var libraryVersion: String
    /// Channels and patterns subscribed to (`sub=`, `psub=`).
    public var channels = 0
    public var patterns = 0

    /// A pub/sub connection in Redis's terms (flag `P`, `CLIENT LIST TYPE pubsub`).
    var isSubscribed: Bool { channels + patterns > 0 }

    /// Redis's flags: `N` for none, `x` inside MULTI, `r` in READONLY mode, `P` subscribed.
    var flags: String {
        let flags = (queuedInTransaction != nil ? "x" : "") + (readOnly ? "r" : "") + (isSubscribed ? "P" : "")
        return flags.isEmpty ? "N" : flags
    }

    /// The line, without a newline.
    public var line: String {
        "id=\(id) addr=\(address) laddr=\(localAddress) name=\(name) age=\(ageSeconds) idle=\(idleSeconds) flags=\(flags) db=0 sub=\(channels) psub=\(patterns) ssub=0 multi=\(queuedInTransaction ?? -1) watch=\(watchedKeys) qbuf=\(queryBufferBytes) cmd=\(lastCommand) user=\(user) resp=\(protocolVersion) lib-name=\(libraryName) lib-ver=\(libraryVersion) session=\(session)"
    }
}
