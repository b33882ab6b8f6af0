public import PaxosCore

/// Which of a node's consensus groups a database holds, and how many groups the node runs.
///
/// A node started with `--groups G` hosts G independent Multi-Paxos groups, each with its own
/// database, and sends each key to group `GroupMap(count: G).group(of: key)`. The count is part
/// of every group's identity: restarted with another count, a node would look for keys in groups
/// that never saw their history. So the database of a group records its placement (the
/// `placement` table, see `Schema`), and `SQLiteLogStore.open` refuses a database opened with
/// another one.
///
/// One group is the unsharded node: its database is `paxos.sqlite` and records nothing, so databases written before groups existed are single-group databases as they stand,
/// byte for byte. Several groups live in `group-0.sqlite` … `group-<G-1>.sqlite`.
///
/// - Invariant: `1 <= groupCount <= GroupMap.maxGroups` and `group < groupCount`.
public struct GroupPlacement: Hashable, Sendable, CustomStringConvertible {
    /// How many groups the node runs.
    public let groupCount: UInt32
    /// Which of them this database holds.
    public let group: GroupID

    /// A node of one group: `paxos.sqlite`, no placement recorded.
    public static let single = GroupPlacement(groupCount: 1, group: 0)

    /// The name of the key-to-group mapping (`GroupMap.group(of:)`: CRC-32C of the key,
    /// Fibonacci-hashed — multiplied by 2^64/φ, the high 32 bits kept — modulo the group count),
    /// recorded beside the count so that a future mapping cannot be mistaken for this one.
    public static let hashName = "crc32c-fibonacci"

    /// Earlier names of the mapping `hashName` names, read as it. Databases written before the
    /// name was corrected record `crc32c-mod`, although every paxosd that recorded a placement
    /// already Fibonacci-hashed the CRC: the name was wrong, the placement is the same. The row
    /// is never rewritten (it never changes, see `Schema`): a migration bumps the schema version,
    /// which would make every older release and `paxos-inspect` refuse a database for a label.
    static let formerHashNames: Set<String> = ["crc32c-mod"]

    /// Whether a recorded mapping name names this build's mapping, under its name or an earlier one.
    static func mapsKeysAsThisBuild(hashName name: String) -> Bool {
        name == hashName || formerHashNames.contains(name)
    }

    /// The names this build reads, for the message refusing another: `'crc32c-fibonacci', which
    /// earlier builds recorded as 'crc32c-mod'`.
    static var knownHashNames: String {
        let former = formerHashNames.sorted().map { "'\($0)'" }.joined(separator: " or ")
        return "'\(hashName)'" + (former.isEmpty ? "" : ", which earlier builds recorded as \(former)")
    }

    /// The database file of a single-group node.
    public static let singleFileName = "paxos.sqlite"

    /// - Precondition: `isValid(groupCount:group:)`.
    public init(groupCount: UInt32, group: GroupID) {
        precondition(Self.isValid(groupCount: groupCount, group: group),
                     "group \(group) of \(groupCount) is no placement: the count must be 1…\(GroupMap.maxGroups) and the group below it")
        self.groupCount = groupCount
        self.group = group
    }

    /// The placement, or nil when the numbers make none (read from a file, or typed by a person).
    public init?(validatingGroupCount groupCount: UInt32, group: GroupID) {
        guard Self.isValid(groupCount: groupCount, group: group) else { return nil }
        self.init(groupCount: groupCount, group: group)
    }

    /// Whether `group` of `groupCount` is a placement: `1 <= groupCount <= GroupMap.maxGroups`
    /// and `group < groupCount`.
    public static func isValid(groupCount: UInt32, group: GroupID) -> Bool {
        groupCount >= 1 && groupCount <= GroupMap.maxGroups && group.rawValue < groupCount
    }

    /// Every group of a node running `groupCount` groups, in order.
    /// - Precondition: `1 <= groupCount <= GroupMap.maxGroups`.
    public static func all(groupCount: UInt32) -> [GroupPlacement] {
        GroupID.all(count: groupCount).map { GroupPlacement(groupCount: groupCount, group: $0) }
    }

    /// One group of one: the unsharded node, whose database is `paxos.sqlite`.
    public var isSingle: Bool { groupCount == 1 }

    /// How keys are spread over the node's groups.
    public var map: GroupMap { GroupMap(count: groupCount) }

    /// The database file inside the node directory: `paxos.sqlite` for a single group,
    /// `group-<g>.sqlite` otherwise.
    public var fileName: String { isSingle ? Self.singleFileName : Self.fileName(group: group) }

    /// `group-<g>.sqlite`: the file of group `group` of a node running several.
    public static func fileName(group: GroupID) -> String { "group-\(group).sqlite" }

    /// The group a file name `group-<g>.sqlite` names (`g` in plain decimal, no leading zeros),
    /// or nil for any other name.
    public static func group(ofFileName name: String) -> GroupID? {
        guard name.hasPrefix("group-"), name.hasSuffix(".sqlite") else { return nil }
        let digits = name.dropFirst("group-".count).dropLast(".sqlite".count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || !digits.hasPrefix("0") else {
            return nil
        }
        return UInt32(digits).map { GroupID(rawValue: $0) }
    }

    /// `group 2 of 4`.
    public var description: String { "group \(group) of \(groupCount)" }
}

// MARK: messages

extension GroupPlacement {
    /// What a database of this placement holds, for messages: `group 2 of 4`, or for one group
    /// `the only group of a node run without --groups`.
    package var holding: String { isSingle ? "the only group of a node run without --groups" : description }

    /// The group count of a node, for messages: `8 groups (--groups 8)` or `1 group (no --groups)`.
    package var running: String { isSingle ? "1 group (no --groups)" : "\(groupCount) groups (--groups \(groupCount))" }

    /// How to start a node of this placement's count: `start with --groups 4`.
    var startHint: String { isSingle ? "start without --groups" : "start with --groups \(groupCount)" }

    /// Why a database recording `self` MUST NOT be used as `wanted`, in one sentence that says
    /// what to fix; nil when they are the same.
    func refusal(toOpenAs wanted: GroupPlacement) -> String? {
        guard self != wanted else { return nil }
        guard groupCount == wanted.groupCount else {
            return "it holds \(holding), this node runs \(wanted.running): a different group count would move keys "
                + "to groups that never saw their history; \(startHint)"
        }
        return "it holds \(description), not group \(wanted.group): each group's database keeps its own file "
            + "(\(fileName)); move it back"
    }
}

extension GroupPlacement {
    /// Why a backup recording `self` MUST NOT be restored as group `wanted`; nil when it may.
    func refusal(toRestoreAs wanted: GroupPlacement) -> String? {
        guard self != wanted else { return nil }
        guard groupCount == wanted.groupCount else {
            return "it is a backup of \(holding), this node runs \(wanted.running): restored here its keys would sit "
                + "in groups other than the ones they map to; \(startHint) and restore each group from its own backup"
        }
        return "it is a backup of \(description), and group \(wanted.group) is being restored: restore each group "
            + "from a backup of the same group"
    }
}
