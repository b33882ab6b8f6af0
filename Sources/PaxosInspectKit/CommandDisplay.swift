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
        }
    }
}
