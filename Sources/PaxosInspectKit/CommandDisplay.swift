package import PaxosCore
import PaxosStorage

/// One line per client operation, as the `log` listing and `diff` show them:
/// `c7#12 PUT "user:1" = "alice" (5 B)`, `c7#13 DEL "user:1"`, and `noop` for a no-op.
package enum CommandDisplay {
    package static func describe(_ command: Command) -> String {
        switch command {
        case .noop: "noop"
        case .batch(let requests) where requests.isEmpty: "empty batch"
        case .batch(let requests): requests.map(describe).joined(separator: "; ")
        case .timedBatch(let time, let requests) where requests.isEmpty: "@\(time.rawValue) clock slot"
        case .timedBatch(let time, let requests): "@\(time.rawValue) " + requests.map(describe).joined(separator: "; ")
        case .configure(let membership): "CONFIGURE \(membership)"
        }
    }

    package static func describe(_ request: ClientRequest) -> String {
        let identity = "c\(request.client.rawValue)#\(request.sequence)" + (request.origin.map { " origin \($0)" } ?? "")
        switch request.operation {
        case .put(let key, let value):
            return "\(identity) PUT \(BytesDisplay.quoted(key, limit: 64)) = \(BytesDisplay.preview(value)) (\(value.count) B)"
        case .delete(let key):
            return "\(identity) DEL \(BytesDisplay.quoted(key, limit: 64))"
        case .key(let op):
            return "\(identity) \(describe(op))"
        case .all, .txn:
            return "\(identity) \(describe(request.operation))"
        }
    }

    /// An operation as commands: `ALL [op, …]`, `TXN IF [compares] THEN [ops] ELSE [ops]`.
    package static func describe(_ operation: Operation) -> String {
        func q(_ key: Bytes) -> String { BytesDisplay.quoted(key, limit: 64) }
        func list(_ operations: [Operation]) -> String { "[" + operations.map(describe).joined(separator: "; ") + "]" }
        switch operation {
        case .put(let key, let value): return "SET \(q(key)) = \(BytesDisplay.preview(value)) (\(value.count) B)"
        case .delete(let key): return "DEL \(q(key))"
        case .key(let op): return describe(op)
        case .all(let operations): return "ALL \(list(operations))"
        case .txn(let t):
            let compares = t.compares.map { compare in
                switch compare.target {
                case .exists(let present): "\(q(compare.key)) \(present ? "exists" : "absent")"
                case .value(let value): "\(q(compare.key)) == \(BytesDisplay.preview(value))"
                case .revision(let revision): "\(q(compare.key)) rev \(revision)"
                }
            }
            return "TXN IF [\(compares.joined(separator: ", "))] THEN \(list(t.success)) ELSE \(list(t.failure))"
        }
    }

    /// A key operation as the Redis command a client would have sent (values previewed).
    package static func describe(_ op: KeyOp) -> String {
        func q(_ key: Bytes) -> String { BytesDisplay.quoted(key, limit: 64) }
        switch op {
        case .set(let key, let value, let options):
            let condition = switch options.condition {
            case .always: ""
            case .ifAbsent: " NX"
            case .ifPresent: " XX"
            case .ifEquals(let old): " IFEQ \(BytesDisplay.preview(old))"
            }
            return "SET \(q(key)) = \(BytesDisplay.preview(value)) (\(value.count) B)\(condition)"
                + (options.returnsOld ? " GET" : "") + describe(options.expiry)
        case .delete(let keys, let ifEquals?): return "DELIFEQ \(keys.map(q).joined(separator: " ")) \(BytesDisplay.preview(ifEquals))"
        case .delete(let keys, nil): return "DEL \(keys.map(q).joined(separator: " "))"
        case .getDelete(let key): return "GETDEL \(q(key))"
        case .incrementBy(let key, let by): return "INCRBY \(q(key)) \(by)"
        case .incrementByFloat(let key, let bits): return "INCRBYFLOAT \(q(key)) \(Double(bitPattern: bits))"
        case .append(let key, let value): return "APPEND \(q(key)) \(BytesDisplay.preview(value)) (\(value.count) B)"
        case .read(let read, let key): return "READ \(read) \(q(key))"
        case .expire, .getExpire, .deadline: return describeTTL(op)
        }
    }
}
