/// Who votes, as replicated state: memberships are chosen in the log like any command.
///
/// ## Scheme: Lamport's α-window
/// Each slot is its own instance of consensus among a fixed set of acceptors, its
/// membership. A `Command.configure(m)` chosen in slot `s` makes `m` the membership of every
/// slot from `s + activationDistance` on ("Paxos Made Simple" §3: "the set of servers that
/// execute instance i + α … specified by the state after execution of the i-th command").
/// So the membership of slot `j` is a function of the commands chosen in slots ≤ `j − α`, and a
/// replica that has learned everything chosen through `c` knows the membership of every slot
/// through `c + α`.
///
/// Why it is safe: slots never share a vote count across memberships. A leader proposes in slot
/// `j` only after its chosen frontier reaches `j − window` with `window ≤ α/2`, so it knows
/// `membership(j)`; it counts a vote for `j` only from a voter of `membership(j)`, identified by
/// replica id *and incarnation*; phase 1 counts a promise for the slots of a membership only
/// from that membership's voters, and needs a majority of every membership governing its
/// window. Within one slot this is single-decree Paxos with one acceptor set, whose safety
/// needs nothing else. Memberships of different slots need not intersect at all, so any change
/// (add, remove, replace several at once) is one command.
///
/// ## Incarnations: disks that forget cannot vote
/// An acceptor that lost its disk lost its promises and votes; letting it vote again as the same
/// acceptor breaks Paxos (acceptor amnesia). Each database draws a random `Incarnation` when it
/// is created, and a membership names each voter with the incarnation whose disk holds its
/// state. An acceptor reports its incarnation with every promise, vote and acknowledgement, and
/// one whose incarnation is not the listed one is not counted. A wiped node therefore comes
/// back as a new acceptor that votes in no slot until a chosen membership names its new
/// incarnation; that change governs only slots from `s + α` on, where the new incarnation never
/// voted, so its empty state is the truth there.
public struct Incarnation: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The incarnation of every replica of a configuration built without one (tests, the
    /// simulator's first boot). A shell draws random incarnations for real databases.
    public static let initial = Incarnation(1)

    public static func < (lhs: Incarnation, rhs: Incarnation) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue, radix: 16) }
}

/// One replica as a membership knows it: its id and the incarnation of its database.
public struct Member: Hashable, Sendable, CustomStringConvertible {
    public var id: ReplicaID
    public var incarnation: Incarnation

    public init(id: ReplicaID, incarnation: Incarnation) {
        self.id = id
        self.incarnation = incarnation
    }

    public var description: String { "\(id)/\(incarnation)" }
}

/// The acceptors of a range of slots (`voters`) and the replicas that follow the log without
/// voting (`learners`: new nodes catching up before promotion).
///
/// - Invariant: ids are unique across voters and learners; at least one voter; no id 0;
///   every id in `addresses` is a voter or a learner.
public struct Membership: Hashable, Sendable, CustomStringConvertible {
    /// Counts the changes since the first membership (which is epoch 1).
    public var epoch: UInt64
    public var voters: [Member]
    public var learners: [Member]
    /// Where members added with an address listen. Members without one are found in the
    /// cluster file (the bootstrap members, and spares listed there).
    public var addresses: [ReplicaID: MemberAddress]

    public init(epoch: UInt64, voters: [Member], learners: [Member] = [], addresses: [ReplicaID: MemberAddress] = [:]) {
        self.epoch = epoch
        self.voters = voters.sorted { $0.id < $1.id }
        self.learners = learners.sorted { $0.id < $1.id }
        self.addresses = addresses
    }

    /// A first membership of `ids`, all at incarnation `.initial`.
    public static func initial(_ ids: [ReplicaID]) -> Membership {
        Membership(epoch: 1, voters: ids.map { Member(id: $0, incarnation: .initial) })
    }

    /// How many slots after the slot that chooses it a membership starts to govern (α).
    /// A leader's pipeline window is at most half of it (`ReplicaConfiguration.validate`), so a
    /// follower a little behind the leader still knows the membership of what it is asked to
    /// accept.
    public static let activationDistance: UInt64 = 128

    /// Voters needed for a quorum.
    public var majority: Int { voters.count / 2 + 1 }

    public var ids: [ReplicaID] { (voters + learners).map(\.id) }

    public func isVoter(_ member: Member) -> Bool { voters.contains(member) }

    public func isVoter(_ id: ReplicaID) -> Bool { voters.contains { $0.id == id } }

    public func member(_ id: ReplicaID) -> Member? { (voters + learners).first { $0.id == id } }

    /// True when `responders` hold a majority of the voters.
    public func isQuorum(_ responders: Set<Member>) -> Bool {
        voters.reduce(0) { $0 + (responders.contains($1) ? 1 : 0) } >= majority
    }

    /// Checks what a configuration change could get wrong.
    public func validate() throws(MembershipError) {
        let ids = self.ids
        if Set(ids).count != ids.count { throw MembershipError("replica ids appear twice in \(self)") }
        if voters.isEmpty { throw MembershipError("a membership needs at least one voter") }
        if ids.contains(ReplicaID(0)) { throw MembershipError("replica id 0 is reserved") }
        for (id, address) in addresses {
            if !ids.contains(id) { throw MembershipError("an address is recorded for replica \(id), which is not a member") }
            do { try address.validate() } catch { throw MembershipError("replica \(id)'s address: \(error.description)") }
        }
    }

    public var description: String {
        "epoch \(epoch): voters [\(voters.map(\.description).joined(separator: ", "))]"
            + (learners.isEmpty ? "" : " learners [\(learners.map(\.description).joined(separator: ", "))]")
            + (addresses.isEmpty ? "" : " addresses [\(addresses.sorted { $0.key < $1.key }.map { "\($0.key) at \($0.value)" }.joined(separator: ", "))]")
    }
}

/// A membership and the first slot it governs.
public struct ScheduledMembership: Hashable, Sendable {
    /// The first slot this membership governs: the slot that chose it plus α, or 1 for the first.
    public var fromSlot: Slot
    public var membership: Membership

    public init(fromSlot: Slot, membership: Membership) {
        self.fromSlot = fromSlot
        self.membership = membership
    }
}

/// A change an operator asks for; the leader turns it into the next membership.
public enum MembershipChange: Hashable, Sendable, CustomStringConvertible {
    /// A new replica (or a new incarnation of a removed one) joins as a learner; with an
    /// address, every node learns where it listens from the membership.
    case addLearner(Member, address: MemberAddress? = nil)
    /// A learner becomes a voter.
    case promote(ReplicaID)
    /// A voter or learner leaves.
    case remove(ReplicaID)
    /// A voter's id is bound to a new incarnation (its disk was replaced): it stays a voter,
    /// but only the new incarnation's votes count, from the slots the change governs.
    case replaceIncarnation(Member)

    public var description: String {
        switch self {
        case .addLearner(let member, let address): "add learner \(member)" + (address.map { " at \($0)" } ?? "")
        case .promote(let id): "promote \(id)"
        case .remove(let id): "remove \(id)"
        case .replaceIncarnation(let member): "replace incarnation of \(member.id) with \(member.incarnation)"
        }
    }

    /// The membership after this change, or why it cannot be made to `current`.
    public func applied(to current: Membership) throws(MembershipError) -> Membership {
        var voters = current.voters
        var learners = current.learners
        var addresses = current.addresses
        switch self {
        case .addLearner(let member, let address):
            if current.member(member.id) != nil { throw MembershipError("replica \(member.id) is already a member (\(current))") }
            learners.append(member)
            addresses[member.id] = address
        case .promote(let id):
            guard let index = learners.firstIndex(where: { $0.id == id }) else {
                throw MembershipError(current.isVoter(id) ? "replica \(id) is already a voter" : "replica \(id) is not a learner (\(current))")
            }
            voters.append(learners.remove(at: index))
        case .remove(let id):
            if let index = voters.firstIndex(where: { $0.id == id }) {
                voters.remove(at: index)
                if voters.isEmpty { throw MembershipError("replica \(id) is the last voter") }
            } else if let index = learners.firstIndex(where: { $0.id == id }) {
                learners.remove(at: index)
            } else {
                throw MembershipError("replica \(id) is not a member (\(current))")
            }
            addresses[id] = nil
        case .replaceIncarnation(let member):
            guard let index = voters.firstIndex(where: { $0.id == member.id }) else {
                throw MembershipError("replica \(member.id) is not a voter (\(current))")
            }
            if voters[index].incarnation == member.incarnation { throw MembershipError("replica \(member) already has that incarnation") }
            voters[index] = member
        }
        let next = Membership(epoch: current.epoch + 1, voters: voters, learners: learners, addresses: addresses)
        try next.validate()
        return next
    }
}

public struct MembershipError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
