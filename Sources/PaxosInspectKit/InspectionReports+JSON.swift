import PaxosCore
package import PaxosStorage

/// The `--json` form of every report. The field names and their order are the schema documented
/// in docs/paxos-inspect.md ("JSON"); add fields at the end, never rename or drop one without
/// bumping `InspectionJSON.schemaVersion`.
extension InspectionSummary {
    package func json() -> InspectionJSON {
        let meta = meta
        return .object([
            ("path", .string(path)),
            ("open_mode", .string(openMode.rawValue)),
            ("cluster_id", .string(meta.clusterID)),
            ("replica_id", .uint(UInt64(meta.replicaID.rawValue))),
            ("schema_version", .int(meta.schemaVersion)),
            ("promised", .ballot(meta.promised)),
            ("log", .object([
                ("first_slot", .slot(bounds.firstSlot)), ("last_slot", .slot(bounds.lastSlot)),
                ("rows", .count(bounds.rowCount)), ("chosen_rows", .count(bounds.chosenRowCount)),
            ])),
            ("chosen_through", .slot(meta.chosenThrough)),
            ("applied_through", .slot(meta.appliedThrough)),
            ("log_clock_ms", .uint(meta.logClock.rawValue)),
            ("snapshot_slot", .slot(meta.snapshotSlot)),
            ("keys", .count(keyCount)),
            ("sessions", .count(sessionCount)),
            ("files", .object([
                ("database_bytes", .int(files.databaseBytes)),
                ("wal_bytes", files.walBytes.map { .int($0) } ?? .null),
                ("shm_bytes", files.shmBytes.map { .int($0) } ?? .null),
            ])),
            ("integrity", integrity.json()),
        ] + placement.jsonMembers + [
            ("incarnation", .string(meta.incarnation.description)),
            ("cluster_uuid", .string(meta.clusterUUID)),
            ("memberships", .array(memberships.map { $0.json() })),
        ])
    }
}

extension InspectedMembership {
    /// `{"from_slot": 129, "epoch": 2, "chosen_in_slot": 1, "voters": [...], "learners": [...], "problem": null}`;
    /// `chosen_in_slot` is 0 for a genesis membership, and voters and learners are null for a
    /// damaged row.
    package func json() -> InspectionJSON {
        func members(_ list: [Member]?) -> InspectionJSON {
            guard let list else { return .null }
            return .array(list.map { .object([("id", .uint(UInt64($0.id.rawValue))), ("incarnation", .string($0.incarnation.description))]) })
        }
        return .object([
            ("from_slot", .slot(fromSlot)), ("epoch", .uint(epoch)), ("chosen_in_slot", .slot(chosenInSlot)),
            ("voters", members(membership?.voters)), ("learners", members(membership?.learners)),
            ("problem", .string(problem)),
        ])
    }
}

extension VerifyResult {
    package func json() -> InspectionJSON {
        .object([
            ("path", .string(path)),
            ("ok", .bool(ok)),
            ("rows_checked", .count(rowsChecked)),
            ("keys_checked", .count(keysChecked)),
            ("sessions_checked", .count(sessionsChecked)),
            ("replayed_through", .slot(replayedThrough)),
            ("replay_skipped", .string(replaySkipped)),
            ("rows_explained", rowsExplained.map { .int(Int64($0)) } ?? .null),
            ("failure", failure.map { $0.json() } ?? .null),
        ] + placement.jsonMembers + [("memberships_checked", .count(membershipsChecked))])
    }
}

extension InspectionFailure {
    package func json() -> InspectionJSON {
        .object([("path", .string(path)), ("slot", .slot(slot)), ("check", .string(check.rawValue)), ("reason", .string(reason))])
    }
}

extension InspectionError {
    package func json() -> InspectionJSON {
        .object([("path", .string(path)), ("kind", .string(kind.rawValue)), ("reason", .string(reason))])
    }
}

extension LogListing {
    package func json() -> InspectionJSON {
        .object([
            ("path", .string(path)),
            ("filter", .string(filter.rawValue)),
            ("rows", .array(rows.map { $0.json() })),
            ("continues_at", .slot(continuesAt)),
            ("problems", .array(problems.map { $0.json() })),
        ] + placement.jsonMembers)
    }
}

extension InspectedLogRow {
    package func json() -> InspectionJSON {
        .object([
            ("slot", .slot(slot)),
            ("ballot", .ballot(ballot)),
            ("chosen", .bool(chosen)),
            ("command_bytes", .count(commandBytes.count)),
            ("command", command.map(CommandDisplay.json) ?? .null),
            ("problem", .string(problem)),
        ])
    }
}

extension CommandDisplay {
    /// `{"type": "noop"}` or `{"type": "batch", "requests": [...]}`.
    static func json(_ command: Command) -> InspectionJSON {
        switch command {
        case .noop: .object([("type", .string("noop"))])
        case .batch(let requests): .object([("type", .string("batch")), ("requests", .array(requests.map(json)))])
        case .timedBatch(let time, let requests):
            .object([("type", .string("timed_batch")), ("time_ms", .uint(time.rawValue)), ("requests", .array(requests.map(json)))])
        case .configure(let membership): .object([("type", .string("configure")), ("membership", json(membership))])
        }
    }

    /// `{"epoch": 2, "voters": [{"id": 1, "incarnation": "…"}], "learners": [...]}`.
    static func json(_ membership: Membership) -> InspectionJSON {
        func members(_ list: [Member]) -> InspectionJSON {
            .array(list.map { .object([("id", .uint(UInt64($0.id.rawValue))), ("incarnation", .string($0.incarnation.description))]) })
        }
        return .object([("epoch", .uint(membership.epoch)), ("voters", members(membership.voters)), ("learners", members(membership.learners))])
    }

    /// One client operation: identity, operation, key, and the value's size and preview (not the
    /// whole value: `kv --json` has applied values in full).
    static func json(_ request: ClientRequest) -> InspectionJSON {
        var members: [(String, InspectionJSON)] = [
            ("client", .uint(request.client.rawValue)), ("sequence", .uint(request.sequence)),
            ("origin", request.origin.map { .uint($0.rawValue) } ?? .null),
        ]
        switch request.operation {
        case .put(let key, let value):
            members += [("op", .string("put")), ("key", .text(key)), ("key_hex", .string(BytesDisplay.hex(key))),
                        ("value_size", .count(value.count)), ("value_preview", .string(BytesDisplay.preview(value)))]
        case .delete(let key):
            members += [("op", .string("delete")), ("key", .text(key)), ("key_hex", .string(BytesDisplay.hex(key))),
                        ("value_size", .null), ("value_preview", .null)]
        case .key(let op):
            let key = op.keys.first ?? []
            members += [("op", .string("key")), ("key", .text(key)), ("key_hex", .string(BytesDisplay.hex(key))),
                        ("value_size", .null), ("value_preview", .null), ("command", .string(CommandDisplay.describe(op)))]
        case .all, .txn:
            let key = request.operation.keys.first ?? []
            let name: String = if case .txn = request.operation { "txn" } else { "all" }
            members += [("op", .string(name)),
                        ("key", .text(key)), ("key_hex", .string(BytesDisplay.hex(key))),
                        ("value_size", .null), ("value_preview", .null),
                        ("command", .string(CommandDisplay.describe(request.operation)))]
        }
        return .object(members)
    }
}

extension KeyValueListing {
    package func json() -> InspectionJSON {
        .object([
            ("path", .string(path)),
            ("applied_through", .slot(appliedThrough)),
            ("prefix_hex", .string(BytesDisplay.hex(prefix))),
            ("keys", .array(keys.map { row in
                .object([
                    ("key", .text(row.key)), ("key_hex", .string(BytesDisplay.hex(row.key))),
                    ("value", .text(row.value)), ("value_hex", .string(BytesDisplay.hex(row.value))),
                    ("value_size", .count(row.value.count)), ("slot", .slot(row.slot)),
                    ("position", .int(row.position)), ("revision", row.row.map { .uint($0.revision.rawValue) } ?? .null),
                    ("expire_at_ms", row.expireAt.map { .int($0) } ?? .null),
                ])
            })),
        ] + placement.jsonMembers)
    }
}

extension DiffReport {
    package func json() -> InspectionJSON {
        .object([
            ("nodes", .array(nodes.map { node in
                .object([
                    ("path", .string(node.path)), ("cluster_id", .string(node.clusterID)),
                    ("replica_id", .uint(UInt64(node.replicaID.rawValue))),
                    ("chosen_through", .slot(node.chosenThrough)), ("applied_through", .slot(node.appliedThrough)),
                    ("last_slot", .slot(node.lastSlot)),
                    ("chosen_lag", .uint(node.chosenLag)), ("applied_lag", .uint(node.appliedLag)),
                ])
            })),
            ("agreement", .object([
                ("compared_slots", .count(comparedSlots)),
                ("disagreement_count", .count(disagreementCount)),
                ("disagreements", .array(disagreements.map(json))),
            ])),
            ("kv", .object([
                ("common_applied", .slot(commonApplied)),
                ("baseline", .string(nodes[kvBaseline].path)),
                ("results", .array(kv.map(json))),
            ])),
            ("problems", .array(problems.map { $0.json() })),
        ] + placement.jsonMembers + [
            ("memberships", .object([
                ("compared", .count(comparedMemberships)),
                ("disagreements", .array(membershipDisagreements.map(json))),
            ])),
        ])
    }

    private func json(_ disagreement: MembershipDisagreement) -> InspectionJSON {
        .object([
            ("from_slot", .slot(disagreement.fromSlot)),
            ("values", .array(disagreement.values.map { value in
                .object([
                    ("nodes", .array(value.nodes.map { .string(nodes[$0].path) })),
                    ("chosen_in_slot", .slot(value.chosenInSlot)),
                    ("membership", value.membership.map(CommandDisplay.json) ?? .null),
                    ("membership_hex", .string(BytesDisplay.hex(value.membershipBytes))),
                ])
            })),
        ])
    }

    private func json(_ disagreement: Disagreement) -> InspectionJSON {
        .object([
            ("slot", .slot(disagreement.slot)),
            ("values", .array(disagreement.values.map { value in
                .object([
                    ("nodes", .array(value.nodes.map { .string(nodes[$0].path) })),
                    ("ballots", .array(value.ballots.map(InspectionJSON.ballot))),
                    ("command", value.command.map(CommandDisplay.json) ?? .null),
                    ("command_hex", .string(BytesDisplay.hex(value.commandBytes))),
                ])
            })),
        ])
    }

    private func json(_ result: KVResult) -> InspectionJSON {
        let (status, reason): (String, String?) = switch result.status {
        case .agree: ("agree", nil)
        case .differ(let reason): ("differ", reason)
        case .notComparable(let reason): ("not_comparable", reason)
        }
        return .object([
            ("path", .string(nodes[result.node].path)),
            ("status", .string(status)),
            ("reason", .string(reason)),
            ("replayed_from", .slot(result.replayed?.lowerBound)),
            ("replayed_through", .slot(result.replayed?.upperBound)),
        ])
    }
}

extension GroupPlacement {
    /// `"group"` and `"group_count"`, added at the end of every report about one database or
    /// one group.
    var jsonMembers: [(String, InspectionJSON)] {
        [("group", .uint(UInt64(group.rawValue))), ("group_count", .uint(UInt64(groupCount)))]
    }
}
