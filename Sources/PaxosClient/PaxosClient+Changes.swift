public import PaxosCore
import PaxosWire

/// `CHANGES`, the resumable watch: one call per page, the revision carried between calls.
extension PaxosClient {
    /// One change as `CHANGES` answers it.
    public struct Change: Hashable, Sendable {
        public var revision: UInt64
        public var event: String
        public var key: [UInt8]
    }

    /// One `CHANGES` answer: the changes, and the revision to ask from next.
    public struct ChangesPage: Hashable, Sendable {
        public var changes: [Change]
        public var next: UInt64
    }

    /// `CHANGES <from | $> [PREFIX p] [COUNT n] [BLOCK ms] [GROUP g]`. Retried on another node
    /// like any read: the same `from` gets the same changes from every node that has applied
    /// them, so a failover neither skips nor repeats one. A compacted revision is thrown as a
    /// server error with code `.compacted` (see `compactedResumeRevision`).
    /// - Parameter from: nil for `$`: no change, only the next revision.
    public func changes(from: UInt64?, prefix: [UInt8]? = nil, count: Int? = nil, blockMilliseconds: Int? = nil,
                        group: UInt32? = nil) throws(PaxosClientError) -> ChangesPage {
        var arguments = [Array("CHANGES".utf8), Array((from.map { String($0) } ?? "$").utf8)]
        if let prefix { arguments += [Array("PREFIX".utf8), prefix] }
        if let count { arguments += [Array("COUNT".utf8), Array(String(count).utf8)] }
        if let blockMilliseconds { arguments += [Array("BLOCK".utf8), Array(String(blockMilliseconds).utf8)] }
        if let group { arguments += [Array("GROUP".utf8), Array(String(group).utf8)] }
        let reply = try command(arguments)
        guard let page = Self.changesPage(reply), page.next >= (from ?? 0) else {
            throw PaxosClientError.unexpectedReply.with("CHANGES answered \(reply)", endpoint: lastEndpoint)
        }
        return page
    }

    /// The page in a `CHANGES` reply, or nil when the reply is not one.
    static func changesPage(_ reply: RESPValue) -> ChangesPage? {
        guard case .array(let parts?) = reply, parts.count == 2, case .integer(let next) = parts[0], next >= 0,
              case .array(let items?) = parts[1] else { return nil }
        var changes: [Change] = []
        changes.reserveCapacity(items.count)
        for item in items {
            guard case .array(let fields?) = item, fields.count == 3, case .integer(let revision) = fields[0], revision >= 0,
                  case .bulkString(let event?) = fields[1], case .bulkString(let key?) = fields[2] else { return nil }
            changes.append(Change(revision: UInt64(revision), event: String(decoding: event, as: UTF8.self), key: key))
        }
        return ChangesPage(changes: changes, next: UInt64(next))
    }

    /// The revision a `-COMPACTED … resume from revision R` error names, or nil for any other error.
    public static func compactedResumeRevision(_ error: PaxosClientError) -> UInt64? {
        guard let message = error.serverMessage, ServerErrorCode(errorText: message) == .compacted else { return nil }
        // The last number of the message.
        let digits = message.reversed().drop { !$0.isNumber }.prefix { $0.isNumber }
        return UInt64(String(digits.reversed()))
    }
}
