import PaxosCore
import PaxosShell
import PaxosWire

/// MULTI/EXEC/DISCARD/WATCH/UNWATCH: `TransactionState` decides, this carries out its steps.
extension ClientHandler {
    /// Hands `command` to the connection's transaction state. Returns false when the command is
    /// not a transaction matter and must run as usual; otherwise it is answered (now or later).
    func runTransactionStep(_ command: ClientCommand, size: Int, done: @escaping (RESPValue) -> Void) -> Bool {
        switch transaction.step(command, size: size, groupOf: node.groupMap.group(of:)) {
        case .run:
            return false
        case .reply(let value):
            done(value)
        case .watch(let keys):
            // Linearizable even on a READONLY connection: a stale revision would only make EXEC
            // fail, but the leader's is what Redis's WATCH promises.
            read(.keys(keys, fields: .revision), linearizable: true) { [self] outcome in
                guard case .answer(let answer) = outcome, answer.entries.count == keys.count else {
                    return done(Self.render(outcome) { _ in nil })
                }
                transaction.watched(keys, answer)
                done(.simpleString("OK"))
            }
        case .exec(let operation, let queued):
            write(operation) { outcome in
                done(Self.render(outcome) { outcome in
                    guard case .applied(.reply(let reply)) = outcome else { return nil }
                    return TransactionState.renderExec(reply, queued: queued)
                })
            }
        }
        return true
    }
}
