import CoreMetrics
import Dispatch
import Logging
import NIOCore
import PaxosAuth
import PaxosCore
import Synchronization

/// Checks `AUTH` passwords against the users file (`UserDirectory`), off the event loop.
///
/// A PBKDF2 verification costs milliseconds (`PasswordHash.defaultRounds`), which the loop that
/// runs consensus must not spend. So verifications run one at a time on a queue of their own
/// and answer on the loop: a node under a flood of AUTH attempts loses at most one core to
/// them, and at most `maxPending` wait (more are answered `-BUSY`).
final class ClientAuthenticator: Sendable {
    let directory: UserDirectory
    private let queue = DispatchQueue(label: "paxosd.client-auth")
    /// Verifications queued or running. - Invariant: at most `maxPending`.
    private let pending = Mutex(0)
    static let maxPending = 64
    private let logger: Logger
    private let failures: Counter
    private let failureLog = Mutex(LogThrottle())

    init(users: UsersFile, logger: Logger, failures: Counter) {
        directory = UserDirectory(users)
        self.logger = logger
        self.failures = failures
    }

    /// Counts a refused AUTH and logs it, at most once per `LogThrottle.interval`. The
    /// password is never logged.
    func recordFailure(user: String, remote: SocketAddress?, now: NIODeadline = .now()) {
        failures.increment()
        let (log, suppressed) = failureLog.withLock { $0.shouldLog(now: now) }
        guard log else { return }
        logger.warning("client AUTH refused: wrong password or unknown user", metadata: [
            // The name is the client's; one that no users file could hold (a newline, say) is
            // not copied into the log.
            "client.user": "\(UsersFile.isValidName(user) ? user : "(not a valid user name)")", "client.address": "\(remote.map { "\($0)" } ?? "unknown")",
            "auth.failures.unlogged": "\(suppressed)",
        ])
    }

    enum Outcome: Equatable {
        case authenticated(ClientRole)
        case refused
        case busy
    }

    /// Verifies `password` for `user` and calls `done` on `loop`.
    func authenticate(user name: String, password: Bytes, loop: any EventLoop, done: @escaping (Outcome) -> Void) {
        let reply = NIOLoopBound(done, eventLoop: loop)
        let admitted = pending.withLock { count in
            guard count < Self.maxPending else { return false }
            count += 1
            return true
        }
        guard admitted else { return reply.value(.busy) }
        queue.async { [self] in
            let role = directory.verify(user: name, password: password)
            pending.withLock { $0 -= 1 }
            loop.execute { reply.value(role.map { .authenticated($0) } ?? .refused) }
        }
    }
}
