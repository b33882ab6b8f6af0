import PaxosCore

/// SET PX and PEXPIRE by the simulated clients (docs/design/coordination-api.md §8), with
/// `SimConfiguration.leaderClocks`: some of the puts the clients draw become SET PX and some
/// deletes PEXPIRE, with TTLs of a few hundred to a few thousand units, about as long as a
/// run's chaos phase, so that keys expire during it, through leader changes, crashes and clock
/// steps. The linearizability checker judges those keys with `TTLRegisterModel` and each TTL's
/// window (`TTLWindow`).
///
/// **Replay.** Like `SimCoordination`, the main stream draws each operation as without TTLs,
/// and what it becomes is drawn from this stream of its own; untimed runs have none.
struct SimExpiry {
    static let millisecondsRange: ClosedRange<Int64> = 200...3_000
    var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed ^ 0x7474_6c5f_6f70_7321)
    }

    /// What the operation `kind`, already drawn, becomes: a put SET PX in a third of cases,
    /// a delete PEXPIRE in a third; anything else as it is.
    mutating func substitute(_ kind: SimOperationKind) -> SimOperationKind {
        let roll = Int.random(in: 0..<3, using: &random)
        let ms = Int64.random(in: Self.millisecondsRange, using: &random)
        switch kind {
        case .put(let key, let value) where roll == 0: return .setExpiring(key: key, value: value, milliseconds: ms)
        case .delete(let key) where roll == 0: return .expire(key: key, milliseconds: ms)
        default: return kind
        }
    }
}

extension Simulation {
    /// The operation a client sends after the TTL stream had its say (`SimExpiry`).
    func substituteExpiry(_ kind: SimOperationKind) -> SimOperationKind {
        guard var expiry else { return kind }
        let substituted = expiry.substitute(kind)
        self.expiry = expiry
        return substituted
    }
}
