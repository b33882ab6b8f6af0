package import PaxosCore
package import PaxosStorage

/// `diff`: several nodes' databases side by side.
///
/// - **Agreement.** For every slot that two or more nodes hold as chosen, the stored command
///   bytes must be equal: Paxos chooses at most one command per slot, so a difference is a
///   safety violation. Ballots may differ (a node that learned a slot by catch-up stores
///   ballot 0.0), commands may not.
/// - **Memberships.** For every `from_slot` that two or more nodes record in `memberships`, the
///   membership and the slot that chose it must be equal: it was chosen in the log (or recorded
///   at genesis, the same on every node), so a difference is a safety violation too.
/// - **Lag.** How far each node's chosen frontier and applied slot trail the furthest node's.
/// - **KV tables.** The nodes' tables stand at different applied slots, so they are compared
///   at the lowest one, the common applied slot: the table of a node that stands there (the
///   baseline), advanced by each other node's own chosen commands up to that node's applied
///   slot with the state machine's rules (`KVReplay`), must equal that node's kv and sessions
///   tables exactly. This needs the other node's log rows above the common slot; where they are
///   gone or damaged, the pair is reported as not comparable rather than guessed.
///
/// One report covers one group: nodes running several groups are compared group by group
/// (`GroupedDiff`), since each group is a Paxos instance of its own with its own slots.
package struct DiffReport: Hashable, Sendable {
    package struct Node: Hashable, Sendable {
        package var path: String
        package var clusterID: String
        package var replicaID: ReplicaID
        package var chosenThrough: Slot
        package var appliedThrough: Slot
        package var lastSlot: Slot?
        /// Slots between this node's chosen frontier and the furthest node's.
        package var chosenLag: UInt64
        /// Slots between this node's applied slot and the furthest node's.
        package var appliedLag: UInt64
    }

    /// One command held as chosen for a slot, with the nodes (indices into `nodes`) holding it.
    package struct Value: Hashable, Sendable {
        package var nodes: [Int]
        package var ballots: [Ballot]
        package var commandBytes: Bytes
        package var command: Command?
    }

    /// A slot chosen differently on different nodes: a safety violation.
    package struct Disagreement: Hashable, Sendable {
        package var slot: Slot
        package var values: [Value]
    }

    /// One membership recorded for a `from_slot`, with the nodes (indices into `nodes`) holding it.
    package struct MembershipValue: Hashable, Sendable {
        package var nodes: [Int]
        package var chosenInSlot: Slot
        package var membershipBytes: Bytes
        package var membership: Membership?
    }

    /// A `from_slot` whose membership differs between nodes: a safety violation.
    package struct MembershipDisagreement: Hashable, Sendable {
        package var fromSlot: Slot
        package var values: [MembershipValue]
    }

    package enum KVStatus: Hashable, Sendable {
        case agree
        case differ(String)
        case notComparable(String)
    }

    /// How one node's tables compare with the baseline's.
    package struct KVResult: Hashable, Sendable {
        package var node: Int
        package var status: KVStatus
        /// The node's own chosen slots replayed on the baseline's tables before comparing (the
        /// node's applied slot is above the common one); nil when the applied slots are equal
        /// and the tables were compared as stored.
        package var replayed: ClosedRange<Slot>?
    }

    /// At most this many disagreements are kept with their commands; all are counted.
    package static let disagreementsKept = 100

    /// The group compared (the first database's; `compare` reports databases of other groups).
    package var placement: GroupPlacement = .single
    package var nodes: [Node] = []
    /// Slots held as chosen (and readable) on at least two nodes.
    package var comparedSlots = 0
    package var disagreementCount = 0
    package var disagreements: [Disagreement] = []
    /// Other failures: damaged rows met while comparing, nodes of different clusters.
    package var problems: [InspectionFailure] = []
    package var commonApplied: Slot = .zero
    /// The node whose tables stand at the common applied slot.
    package var kvBaseline = 0
    package var kv: [KVResult] = []
    /// `from_slot`s recorded (and readable) on at least two nodes.
    package var comparedMemberships = 0
    package var membershipDisagreements: [MembershipDisagreement] = []

    package var ok: Bool {
        disagreementCount == 0 && membershipDisagreements.isEmpty && problems.isEmpty && !kv.contains { if case .differ = $0.status { true } else { false } }
    }
}

extension DiffReport {
    /// Compares the databases `readers` opened.
    /// - Precondition: at least two readers.
    package static func compare(_ readers: [InspectionReader]) throws(InspectionError) -> DiffReport {
        precondition(readers.count >= 2, "diff needs two databases")
        var report = DiffReport()
        report.placement = readers[0].placement
        let maxChosen = readers.map(\.meta.chosenThrough).max() ?? .zero
        let maxApplied = readers.map(\.meta.appliedThrough).max() ?? .zero
        for reader in readers {
            let meta = reader.meta
            report.nodes.append(Node(
                path: reader.path, clusterID: meta.clusterID, replicaID: meta.replicaID, chosenThrough: meta.chosenThrough,
                appliedThrough: meta.appliedThrough, lastSlot: try reader.logBounds().lastSlot,
                chosenLag: maxChosen.rawValue - meta.chosenThrough.rawValue,
                appliedLag: maxApplied.rawValue - meta.appliedThrough.rawValue))
        }
        let clusters = Set(readers.map(\.meta.clusterID))
        if clusters.count > 1 {
            report.problems.append(InspectionFailure(
                path: readers[0].path, slot: nil, check: .cluster,
                reason: "the databases belong to different clusters: " + clusters.sorted().map { "'\($0)'" }.joined(separator: ", ")))
        }
        if let other = readers.first(where: { $0.placement != report.placement }) {
            report.problems.append(InspectionFailure(
                path: other.path, slot: nil, check: .placement,
                reason: "it holds \(other.placement.holding), \(readers[0].path) holds \(report.placement.holding): slots of different groups are unrelated"))
        }
        try report.compareChosen(readers)
        try report.compareMemberships(readers)
        try report.compareTables(readers)
        return report
    }

    /// Walks every node's chosen rows together, slot by slot (a merge of sorted cursors).
    private mutating func compareChosen(_ readers: [InspectionReader]) throws(InspectionError) {
        var cursors: [InspectionLogCursor] = []
        var heads: [InspectedLogRow?] = []
        for reader in readers {
            let cursor = try reader.logRows(filter: .chosen)
            cursors.append(cursor)
            heads.append(try cursor.next())
        }
        while let slot = heads.compactMap({ $0?.slot }).min() {
            var readable: [(node: Int, row: InspectedLogRow)] = []
            for index in heads.indices {
                guard let row = heads[index], row.slot == slot else { continue }
                heads[index] = try cursors[index].next()
                if let problem = row.problem {
                    problems.append(InspectionFailure(path: readers[index].path, slot: slot, check: .checksum, reason: problem))
                } else {
                    readable.append((index, row))
                }
            }
            guard readable.count >= 2 else { continue }
            comparedSlots += 1
            var values: [Value] = []
            for (node, row) in readable {
                if let at = values.firstIndex(where: { $0.commandBytes == row.commandBytes }) {
                    values[at].nodes.append(node)
                    values[at].ballots.append(row.ballot)
                } else {
                    values.append(Value(nodes: [node], ballots: [row.ballot], commandBytes: row.commandBytes, command: row.command))
                }
            }
            guard values.count > 1 else { continue }
            disagreementCount += 1
            if disagreements.count < Self.disagreementsKept { disagreements.append(Disagreement(slot: slot, values: values)) }
        }
    }

    /// Groups every node's membership rows by `from_slot`; damaged rows are problems.
    private mutating func compareMemberships(_ readers: [InspectionReader]) throws(InspectionError) {
        var bySlot: [Slot: [MembershipValue]] = [:]
        var holders: [Slot: Int] = [:]
        for (node, reader) in readers.enumerated() {
            for row in try reader.membershipRows() {
                if let problem = row.problem {
                    problems.append(InspectionFailure(path: reader.path, slot: row.isGenesis ? nil : row.chosenInSlot,
                                                      check: .membership, reason: problem))
                    continue
                }
                holders[row.fromSlot, default: 0] += 1
                var values = bySlot[row.fromSlot, default: []]
                if let at = values.firstIndex(where: { $0.membershipBytes == row.membershipBytes && $0.chosenInSlot == row.chosenInSlot }) {
                    values[at].nodes.append(node)
                } else {
                    values.append(MembershipValue(nodes: [node], chosenInSlot: row.chosenInSlot, membershipBytes: row.membershipBytes,
                                                  membership: row.membership))
                }
                bySlot[row.fromSlot] = values
            }
        }
        for (fromSlot, values) in bySlot.sorted(by: { $0.key < $1.key }) where holders[fromSlot, default: 0] >= 2 {
            comparedMemberships += 1
            if values.count > 1 { membershipDisagreements.append(MembershipDisagreement(fromSlot: fromSlot, values: values)) }
        }
    }

    private mutating func compareTables(_ readers: [InspectionReader]) throws(InspectionError) {
        commonApplied = readers.map(\.meta.appliedThrough).min() ?? .zero
        kvBaseline = readers.firstIndex { $0.meta.appliedThrough == commonApplied } ?? 0
        let baselineReader = readers[kvBaseline]
        let baseline = KVReplay(keys: try baselineReader.keyValueRows(), sessions: try baselineReader.sessionRows(),
                                appliedThrough: commonApplied, clock: baselineReader.meta.logClock)
        for (index, reader) in readers.enumerated() where index != kvBaseline {
            let applied = reader.meta.appliedThrough
            let replayed = applied > commonApplied ? commonApplied.next...applied : nil
            kv.append(KVResult(node: index, status: try Self.compareTables(of: reader, with: baseline), replayed: replayed))
        }
    }

    /// Compares `reader`'s tables with `baseline` advanced by `reader`'s own chosen commands up
    /// to its applied slot.
    private static func compareTables(of reader: InspectionReader, with baseline: KVReplay) throws(InspectionError) -> KVStatus {
        let applied = reader.meta.appliedThrough
        var expected = baseline
        if applied > baseline.appliedThrough {
            let cursor = try reader.logRows(from: baseline.appliedThrough.next, through: applied, filter: .chosen)
            while expected.appliedThrough < applied {
                let slot = expected.appliedThrough.next
                guard let row = try cursor.next(), row.slot == slot else {
                    return .notComparable("its log holds no chosen row for slot \(slot), which it applied")
                }
                guard let command = row.command else {
                    return .notComparable("its log row for slot \(slot) is damaged: \(row.problem ?? "unreadable")")
                }
                expected.apply(slot: slot, command: command)
            }
        }
        let reason = expected.firstDifference(keys: try reader.keyValueRows(), sessions: try reader.sessionRows(),
                                              stored: "its tables", expected: "the baseline's")
        return reason.map(KVStatus.differ) ?? .agree
    }
}
