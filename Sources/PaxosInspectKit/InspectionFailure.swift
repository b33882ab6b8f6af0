package import PaxosCore

/// One failed check in a database that could be read: which file, which slot if the check is
/// about one, which check, and why. `paxos-inspect` prints it and exits with status 1.
package struct InspectionFailure: Hashable, Sendable, CustomStringConvertible {
    package var path: String
    package var slot: Slot?
    package var check: InspectionCheck
    package var reason: String

    package init(path: String, slot: Slot?, check: InspectionCheck, reason: String) {
        self.path = path
        self.slot = slot
        self.check = check
        self.reason = reason
    }

    /// `data/nodes/3/paxos.sqlite: slot 41: checksum mismatch (stored 1, computed 2)`.
    package var description: String {
        "\(path): " + (slot.map { "slot \($0): " } ?? "") + reason
    }
}

/// The checks `verify`, `summary` and `diff` run. The raw values are part of the `--json`
/// schema (the `check` field of a failure): add cases, never rename one.
package enum InspectionCheck: String, Hashable, Sendable, CaseIterable {
    /// `snapshot_slot ≤ applied_through ≤ chosen_through ≤ last log slot`, and sane values.
    case meta
    /// A log row's chosen flag is 0 or 1, its checksum matches and its command decodes; a kv or
    /// session row's checksum matches.
    case checksum
    /// No accepted ballot is above the promised ballot (an acceptor raises its promise when it
    /// accepts, in the same transaction).
    case ballot
    /// Every slot above the snapshot and up to the chosen frontier is stored and chosen, so
    /// nothing was applied across a hole.
    case frontier
    /// Every kv row and session was written by an applied slot and holds a known result.
    case table
    /// The kv and sessions tables equal a replay of the chosen log.
    case replay
    /// The databases given to `diff` belong to different clusters. (Disagreements and kv tables
    /// that differ have fields of their own in `DiffReport`.)
    case cluster
    /// A file named for a group (`paxos.sqlite`, `group-<g>.sqlite`) holds another one, so the
    /// node would refuse it; or the databases given to `DiffReport.compare` hold different groups.
    case placement
    /// A `memberships` row fails its checksum or decoding, governs from a slot other than α after
    /// the slot that chose it, was chosen above the applied slot, breaks the order of epochs, or
    /// disagrees with the `configure` command still in the log at its slot; or an applied
    /// `configure` slot has no row.
    case membership
}
