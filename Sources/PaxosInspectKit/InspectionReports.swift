package import PaxosCore
package import PaxosStorage

/// `summary`: who the database belongs to, where its slots stand, how big it is, and whether it
/// passes `verify`.
package struct InspectionSummary: Hashable, Sendable {
    package var path: String
    package var meta: StoredMeta
    package var placement: GroupPlacement
    package var bounds: LogBounds
    package var keyCount: Int
    package var sessionCount: Int
    /// The `memberships` rows, by the slot each governs from.
    package var memberships: [InspectedMembership]
    package var files: InspectedFiles
    package var openMode: InspectionReader.OpenMode
    package var integrity: VerifyResult
}

/// `log`: the rows a listing asked for.
package struct LogListing: Hashable, Sendable {
    package var path: String
    package var placement: GroupPlacement
    package var filter: LogFilter
    package var rows: [InspectedLogRow]
    /// The first matching slot left out because of the limit; nil when nothing was.
    package var continuesAt: Slot?

    /// Rows that failed their check; the tool exits with status 1 when there are any.
    package var problems: [InspectionFailure] {
        rows.compactMap { row in
            row.problem.map { InspectionFailure(path: path, slot: row.slot, check: .checksum, reason: $0) }
        }
    }
}

/// `kv`: the applied table, or the keys under a prefix.
package struct KeyValueListing: Hashable, Sendable {
    package var path: String
    package var placement: GroupPlacement
    package var appliedThrough: Slot
    package var prefix: Bytes
    package var keys: [InspectedKey]
}

extension InspectionReader {
    package func summary() throws(InspectionError) -> InspectionSummary {
        InspectionSummary(
            path: path, meta: meta, placement: placement, bounds: try logBounds(), keyCount: try count("kv"), sessionCount: try count("sessions"),
            memberships: try membershipRows(), files: files(), openMode: openMode, integrity: try verify())
    }

    /// Rows with `from ≤ slot ≤ through` that pass `filter`, at most `limit` of them.
    package func logListing(from: Slot = .zero, through: Slot = Slot(UInt64(Int64.max)), filter: LogFilter = .all,
                            limit: Int? = nil) throws(InspectionError) -> LogListing {
        let cursor = try logRows(from: from, through: through, filter: filter)
        var listing = LogListing(path: path, placement: placement, filter: filter, rows: [], continuesAt: nil)
        while let row = try cursor.next() {
            if let limit, listing.rows.count >= limit {
                listing.continuesAt = row.slot
                break
            }
            listing.rows.append(row)
        }
        return listing
    }

    package func keyValueListing(prefix: Bytes = []) throws(InspectionError) -> KeyValueListing {
        KeyValueListing(path: path, placement: placement, appliedThrough: meta.appliedThrough, prefix: prefix, keys: try keyValueRows(prefix: prefix))
    }
}
