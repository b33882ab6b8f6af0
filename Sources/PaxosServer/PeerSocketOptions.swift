import NIOCore
import NIOPosix

/// TCP's own dead-connection detection on peer sockets: the second line behind
/// `PeerLivenessHandler`, for the case where the node's event loop itself is too stalled to run
/// the liveness timer, and for a kernel that should not keep retransmitting into the void.
///
/// - `TCP_USER_TIMEOUT` (Linux): a connection whose sent data stays unacknowledged for 10 s is
///   aborted by the kernel instead of backing off for up to two minutes. Ten times the liveness
///   timeout, so it never fires first on a link the loop still watches.
/// - `SO_KEEPALIVE` with probes after 2 s idle, every 1 s, 3 of them: an idle connection to a
///   vanished peer is found within about 5 s even without pings.
///
/// On other systems only `SO_KEEPALIVE` is set (with the system's intervals).
enum PeerSocketOptions {
    #if os(Linux)
    // Linux's <netinet/tcp.h> numbers; NIO names none of them.
    private static let keepIdle = NIOBSDSocket.Option(rawValue: 4)      // TCP_KEEPIDLE
    private static let keepInterval = NIOBSDSocket.Option(rawValue: 5)  // TCP_KEEPINTVL
    private static let keepCount = NIOBSDSocket.Option(rawValue: 6)     // TCP_KEEPCNT
    private static let userTimeout = NIOBSDSocket.Option(rawValue: 18)  // TCP_USER_TIMEOUT
    #endif

    /// (option, value) pairs for a peer socket, dialled or accepted.
    static var all: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] {
        var options: [(ChannelOptions.Types.SocketOption, SocketOptionValue)] = [
            (.init(level: .socket, name: .so_keepalive), 1),
        ]
        #if os(Linux)
        options += [
            (.init(level: .tcp, name: keepIdle), 2),
            (.init(level: .tcp, name: keepInterval), 1),
            (.init(level: .tcp, name: keepCount), 3),
            (.init(level: .tcp, name: userTimeout), 10_000),
        ]
        #endif
        return options
    }

    static func apply(to bootstrap: ClientBootstrap) -> ClientBootstrap {
        all.reduce(bootstrap) { $0.channelOption($1.0, value: $1.1) }
    }

    static func apply(toChildrenOf bootstrap: ServerBootstrap) -> ServerBootstrap {
        all.reduce(bootstrap) { $0.childChannelOption($1.0, value: $1.1) }
    }
}
