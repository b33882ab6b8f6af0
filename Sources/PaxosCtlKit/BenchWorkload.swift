import PaxosClient
import PaxosWire

/// What one benchmark write is. Reads are linearizable GETs whatever the workload.
///
/// - `set`: SET of a random key (the row is called "write", as before workloads existed).
/// - `incr`: INCR of a random key: a read-modify-write decided at apply.
/// - `mset`: MSET of 10 random keys in one request, atomic (one log entry).
/// - `watch-exec`: Redis's optimistic increment: WATCH k, GET k, MULTI, SET k n+1, EXEC, on one
///   connection (five round trips, one log entry); an EXEC answered nil (a watched key changed
///   in between) is counted as aborted, not completed, and the client goes on with a new key.
package enum BenchWorkload: String, CaseIterable, Sendable, Hashable {
    case set
    case incr
    case mset
    case watchExec = "watch-exec"

    /// The report's row for this workload's writes.
    package var rowName: String { self == .set ? "write" : rawValue }

    /// Keys one MSET writes.
    package static let msetKeys = 10

    /// What a populated key holds before the run: the value for SET, "0" for the counters.
    func initialValue(_ value: [UInt8]) -> [UInt8] {
        self == .set || self == .mset ? value : Array("0".utf8)
    }

    /// What one operation's reply meant.
    enum Outcome { case done, aborted }

    /// Runs one write of this workload on `key` (and `otherKeys` for MSET).
    func write(_ client: PaxosClient, key: [UInt8], otherKeys: () -> [[UInt8]], value: [UInt8]) throws(PaxosClientError) -> Outcome {
        switch self {
        case .set:
            try client.put(key, value)
        case .incr:
            _ = try client.increment(key)
        case .mset:
            var arguments = [Array("MSET".utf8), key, value]
            for other in otherKeys() { arguments += [other, value] }
            let reply = try client.command(arguments)
            guard reply == .simpleString("OK") else { throw unexpected(reply, "MSET", client) }
        case .watchExec:
            try expect(.simpleString("OK"), from: client.command([Array("WATCH".utf8), key]), "WATCH", client)
            let current = try client.get(key).flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? 0
            try expect(.simpleString("OK"), from: client.command([Array("MULTI".utf8)]), "MULTI", client)
            try expect(.simpleString("QUEUED"), from: client.command([Array("SET".utf8), key, Array(String(current &+ 1).utf8)]), "SET", client)
            let reply = try client.command([Array("EXEC".utf8)])
            switch reply {
            case .array(nil): return .aborted
            case .array(let items?) where items == [.simpleString("OK")]: break
            default: throw unexpected(reply, "EXEC", client)
            }
        }
        return .done
    }

    private func expect(_ wanted: RESPValue, from reply: RESPValue, _ command: String, _ client: PaxosClient) throws(PaxosClientError) {
        guard reply == wanted else { throw unexpected(reply, command, client) }
    }

    private func unexpected(_ reply: RESPValue, _ command: String, _ client: PaxosClient) -> PaxosClientError {
        PaxosClientError.unexpectedReply("\(command) answered \(reply)", endpoint: client.lastEndpoint)
    }
}
