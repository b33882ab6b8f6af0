import PaxosCore

/// `INFO` text: the one renderer (the server) and the one parser (clients, paxosctl).
///
/// The text is Redis-style: a `# Replication` section of `key:value` lines, and on multi-group
/// nodes a `# Groups` section of `groupN:key=value,...` lines, every line ending in CRLF. Field
/// names, order and value spellings (`unknown`, `none`, `failed`, `yes`/`no`, lists joined with
/// `,` or, for voters and learners, `;`) are what redis-cli users and scripts have always seen;
/// they MUST NOT change. `Tests/PaxosWireTests/NodeInfoTests.swift` pins them.
extension NodeInfo {
    /// The `INFO` reply body.
    public var infoText: String {
        var text = "# Replication\r\n"
        for (key, value) in replicationFields { text += "\(key):\(value)\r\n" }
        if groups.count > 1 {
            text += "\r\n# Groups\r\n"
            for group in groups {
                text += "group\(group.group):\(group.lineFields.map { "\($0.0)=\($0.1)" }.joined(separator: ","))\r\n"
            }
        }
        return text
    }

    /// The `# Replication` fields, in order.
    var replicationFields: [(String, String)] {
        var fields: [(String, String)] = [("replica_id", "\(replicaID)"), ("cluster_id", clusterID),
                                          ("cluster_uuid", clusterUUID ?? "none")]
        if groups.count == 1 {
            fields += groups[0].replicationFields
        } else {
            fields.append(("groups", "\(groups.count)"))
            fields.append(("groups_led", groupsLed.map { "\($0)" }.joined(separator: ",")))
        }
        fields.append(("members", members.map { "\($0)" }.joined(separator: ",")))
        fields.append(("peers_connected", peersConnected.map { "\($0)" }.joined(separator: ",")))
        for peer in peers { fields.append(("peer_\(peer.id)", peer.connected ? "connected" : "disconnected")) }
        fields.append(("retain_slots", "\(retainSlots)"))
        fields.append(("retain_bytes", "\(retainBytes)"))
        if groups.count == 1 {
            fields += groups[0].storageFields
        } else {
            fields.append(("database_bytes", "\(databaseBytes)"))
        }
        fields.append(("fail_rate", "\(failRate)"))
        fields.append(("synchronous", synchronous.rawValue))
        fields.append(("tick_ms", "\(tickMilliseconds)"))
        return fields
    }

    /// Parses `INFO` text from a paxosd node. Unknown fields are ignored (a newer server may add
    /// some); a missing or garbled field this build needs is an error naming it.
    public init(infoText text: String) throws(NodeInfoParseError) {
        let fields = INFOFields(Self.keyValues(text))
        let replicaID: UInt32 = try fields.number("replica_id")
        let members: [UInt32] = try fields.list("members", separator: ",")
        self.replicaID = replicaID
        self.members = members
        clusterID = try fields.text("cluster_id")
        clusterUUID = try fields.text("cluster_uuid").nilIfNone
        peersConnected = try fields.list("peers_connected", separator: ",")
        peers = try members.filter { $0 != replicaID }.map { id throws(NodeInfoParseError) in
            Peer(id: id, connected: try fields.text("peer_\(id)") == "connected")
        }
        retainSlots = try fields.number("retain_slots")
        retainBytes = try fields.number("retain_bytes")
        databaseBytes = try fields.number("database_bytes")
        failRate = try fields.number("fail_rate")
        let synchronousText = try fields.text("synchronous")
        guard let synchronous = Synchronous(rawValue: synchronousText) else {
            throw NodeInfoParseError(field: "synchronous", value: synchronousText)
        }
        self.synchronous = synchronous
        tickMilliseconds = try fields.number("tick_ms")
        var count = 1
        if fields.values["groups"] != nil { count = try fields.number("groups") }
        if count <= 1 {
            groups = [try GroupInfo(group: 0, fields: fields, storage: true)]
        } else {
            groups = try GroupID.all(count: UInt32(count)).map { group throws(NodeInfoParseError) in
                let line = INFOFields(Self.pairs(try fields.text("group\(group)")), prefix: "group\(group).")
                return try GroupInfo(group: group, fields: line, storage: false)
            }
        }
    }

    /// `key:value` lines; `# Section` headers and blank lines skipped; a value may hold colons.
    static func keyValues(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// One group line's comma-separated `key=value` pairs (a value may be empty: `learners=`);
    /// anything else is skipped.
    static func pairs(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in line.split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            fields[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return fields
    }
}

extension GroupInfo {
    /// The group's replication fields, in `INFO` order (top-level on a single-group node).
    var replicationFields: [(String, String)] {
        [
            ("role", roleText),
            ("leader_id", leader.map { "\($0)" } ?? "unknown"),
            ("ballot", ballot),
            ("chosen_frontier", "\(chosenFrontier)"),
            ("applied_slot", "\(appliedSlot)"),
            ("snapshot_slot", "\(snapshotSlot)"),
            ("inflight_slots", "\(inflightSlots)"),
            ("pending_requests", "\(pendingRequests)"),
            ("tracked_requests", "\(trackedRequests)"),
            ("incarnation", incarnation),
            ("membership_epoch", membershipEpoch.map { "\($0)" } ?? "none"),
            ("voters", voters.map { "\($0)" }.joined(separator: ";")),
            ("learners", learners.map { "\($0)" }.joined(separator: ";")),
            ("voter", voter ? "yes" : "no"),
            ("membership_next", membershipNext.map { "\($0)" } ?? "none"),
        ]
    }

    /// The group's storage and snapshot fields (top-level on a single-group node).
    var storageFields: [(String, String)] {
        [
            ("database_bytes", "\(databaseBytes)"),
            ("compactions", "\(compactions)"),
            ("snapshots_sent", "\(transfers?.sent ?? 0)"),
            ("snapshots_received", "\(transfers?.received ?? 0)"),
            ("snapshots_installed", "\(snapshotsInstalled)"),
            ("snapshot_last_installed", transfers?.lastInstalled.map { "\($0)" } ?? "none"),
            ("snapshot_transfers_aborted", "\(transfers?.aborted ?? 0)"),
            ("snapshot_sending_to", (transfers?.sendingTo ?? []).map { "\($0)" }.joined(separator: ",")),
            ("snapshot_receiving_from", transfers?.receivingFrom.map { "\($0)" } ?? ""),
        ]
    }

    /// The fields of this group's `groupN:` line on a multi-group node.
    var lineFields: [(String, String)] {
        var fields = replicationFields
        fields.insert(("preferred_leader", preferredLeader.map { "\($0)" } ?? "none"), at: 2)
        fields += [("database_bytes", "\(databaseBytes)"), ("compactions", "\(compactions)"),
                   ("snapshots_installed", "\(snapshotsInstalled)")]
        return fields
    }

    /// A group from `INFO` fields: the top-level ones (`storage`: true, a single-group node) or
    /// one `groupN:` line's (`storage`: false; no transfer counters, and a preferred leader).
    init(group: GroupID, fields: INFOFields, storage: Bool) throws(NodeInfoParseError) {
        self.group = group
        let roleText = try fields.text("role")
        if roleText == "failed" {
            role = nil
        } else if let role = Role(rawValue: roleText) {
            self.role = role
        } else {
            throw NodeInfoParseError(field: fields.prefix + "role", value: roleText)
        }
        leader = try fields.optionalNumber("leader_id", absent: "unknown")
        preferredLeader = nil
        if !storage { preferredLeader = try fields.optionalNumber("preferred_leader", absent: "none") }
        ballot = try fields.text("ballot")
        chosenFrontier = try fields.number("chosen_frontier")
        appliedSlot = try fields.number("applied_slot")
        snapshotSlot = try fields.number("snapshot_slot")
        inflightSlots = try fields.number("inflight_slots")
        pendingRequests = try fields.number("pending_requests")
        trackedRequests = try fields.number("tracked_requests")
        incarnation = try fields.text("incarnation")
        guard UInt64(incarnation, radix: 16) != nil else {
            throw NodeInfoParseError(field: fields.prefix + "incarnation", value: incarnation)
        }
        membershipEpoch = try fields.optionalNumber("membership_epoch", absent: "none")
        voters = try fields.list("voters", separator: ";")
        learners = try fields.list("learners", separator: ";")
        voter = try fields.text("voter") == "yes"
        membershipNext = try fields.optionalNumber("membership_next", absent: "none")
        databaseBytes = try fields.number("database_bytes")
        compactions = try fields.number("compactions")
        snapshotsInstalled = try fields.number("snapshots_installed")
        transfers = nil
        if storage {
            transfers = SnapshotTransfers(
                sent: try fields.number("snapshots_sent"), received: try fields.number("snapshots_received"),
                lastInstalled: try fields.optionalNumber("snapshot_last_installed", absent: "none"),
                aborted: try fields.number("snapshot_transfers_aborted"),
                sendingTo: try fields.list("snapshot_sending_to", separator: ","),
                receivingFrom: try fields.optionalNumber("snapshot_receiving_from", absent: ""))
        }
    }
}

/// A field of `INFO` text missing, or with a value this build cannot read.
public struct NodeInfoParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    /// Nil when the field is missing.
    public var value: String?

    public init(field: String, value: String?) {
        self.field = field
        self.value = value
    }

    public var description: String {
        value.map { "INFO field \(field) has an unreadable value '\($0)'" } ?? "INFO lacks the field \(field)"
    }
}

/// `INFO` fields by name, with typed look-ups that name the field when they fail.
struct INFOFields {
    let values: [String: String]
    /// Prepended to field names in errors (`group2.`).
    let prefix: String

    init(_ values: [String: String], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    func text(_ key: String) throws(NodeInfoParseError) -> String {
        guard let value = values[key] else { throw NodeInfoParseError(field: prefix + key, value: nil) }
        return value
    }

    func number<N: LosslessStringConvertible>(_ key: String) throws(NodeInfoParseError) -> N {
        let value = try text(key)
        guard let number = N(value) else { throw NodeInfoParseError(field: prefix + key, value: value) }
        return number
    }

    /// A number, or nil when the value is `absent` (`unknown`, `none`, or empty).
    func optionalNumber<N: LosslessStringConvertible>(_ key: String, absent: String) throws(NodeInfoParseError) -> N? {
        if try text(key) == absent { return nil }
        return try number(key) as N
    }

    /// Numbers joined with `separator`; empty text is the empty list.
    func list<N: LosslessStringConvertible>(_ key: String, separator: Character) throws(NodeInfoParseError) -> [N] {
        let value = try text(key)
        var numbers: [N] = []
        for part in value.split(separator: separator) {
            guard let number = N(String(part)) else { throw NodeInfoParseError(field: prefix + key, value: value) }
            numbers.append(number)
        }
        return numbers
    }
}

extension String {
    fileprivate var nilIfNone: String? { self == "none" ? nil : self }
}

extension NodeInfo {
    /// Every `INFO` field by name as the text renders it, group lines (`group2`) included: for
    /// tests that look fields up by their INFO names. Code should read the typed properties.
    package var fields: [String: String] {
        var result = Dictionary(replicationFields, uniquingKeysWith: { $1 })
        if groups.count > 1 {
            for group in groups {
                result["group\(group.group)"] = group.lineFields.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            }
        }
        return result
    }
}
