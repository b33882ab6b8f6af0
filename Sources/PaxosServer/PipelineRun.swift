public import PaxosCore
public import PaxosWire

/// Pipelined commands of one connection that go to the cluster as one request
/// (`ClientHandler+Pipeline.swift`, issue 21 item 1, first step).
///
/// A connection runs one request at a time, so a pipeline of N writes used to cost N rounds one
/// after the other. When several commands are already waiting, a run of them that each compile
/// to one operation (`ClientCommand.queued`, as MULTI queues them) is sent as one `Operation.all`:
/// one request, one session sequence, one slot. That is exactly-once as before (one request) and
/// keeps the connection's order: the operations apply in command order, at one point of the log,
/// which is a sequential execution of them with nothing in between (stronger than Redis
/// promises, never weaker). Replies are split back and rendered by each command's own renderer.
/// The commands share one revision, as an MSET's keys do.
///
/// A run ends at the first command that is not such a command (it runs on its own, with its own
/// errors), at another group's key, or at the bounds below; a run of one, or of reads only, is
/// not coalesced (reads have their own batched path). Replies are bounded too
/// (`commandLimit`): a run's reply is held whole and written at once, so 256 GETs of 1 MiB values
/// would be 256 MiB in one go (the overload test of a client that never reads caught it).
public struct PipelineRun: Sendable {
    /// The compiled commands, in order.
    public private(set) var commands: [QueuedCommand] = []
    /// Their request bytes, for the bounds.
    public private(set) var bytes = 0
    private var group: GroupID?
    private var hasWrite = false

    /// The most commands one request carries: bounds the request, its reply and the work of one
    /// apply, and keeps a slot's size near what batching already makes.
    public static let maxCommands = 256
    /// The most request bytes (keys and values) one coalesced request carries. Small: the
    /// gain is for small commands (256 SETs of 200 bytes fit), while a large run would make one
    /// apply publish that much more at once to each keyspace subscriber before its output limit
    /// is checked (measured: runs of 1 MiB of MSETs doubled a stalled subscriber's peak memory).
    public static let maxBytes = 64 << 10

    public init() {}

    /// The most commands a run may hold when one command's reply may be `replyBytes` long: about
    /// `maxBytes` of replies, at least one (no run), at most `maxCommands`. Requests are bounded
    /// by `add`; replies are not known before the run, so the connection's last run stands in.
    public static func commandLimit(replyBytes: Int) -> Int {
        min(maxCommands, max(1, maxBytes / max(replyBytes, 64)))
    }

    /// About how many bytes `value` takes on the wire (bulk strings by their length, containers
    /// by their elements, anything else a few bytes), for `commandLimit`.
    public static func replyBytes(of value: RESPValue) -> Int {
        switch value {
        case .bulkString(let bytes): (bytes?.count ?? 0) + 16
        case .array(let items): (items ?? []).reduce(16) { $0 + replyBytes(of: $1) }
        default: 16
        }
    }

    /// Adds `command` (of `size` request bytes, in group `group`, writing or not) when it fits
    /// the run; returns false, changing nothing, when the run must end before it.
    public mutating func add(_ command: QueuedCommand, size: Int, group: GroupID, isWrite: Bool) -> Bool {
        guard command.operation != nil, commands.count < Self.maxCommands,
              commands.isEmpty || bytes + size <= Self.maxBytes,
              self.group.map({ $0 == group }) ?? true else { return false }
        commands.append(command)
        bytes += size
        self.group = group
        hasWrite = hasWrite || isWrite
        return true
    }

    /// The one operation to send, or nil when the run is not worth coalescing (one command, or
    /// reads only) or cannot be encoded as one (`Operation.encodingProblem`).
    public var operation: Operation? {
        guard commands.count > 1, hasWrite else { return nil }
        let all = Operation.all(commands.compactMap(\.operation))
        return all.encodingProblem == nil ? all : nil
    }

    /// Each command's reply to the run's `reply` (an `OpReply.array` of one reply per command);
    /// anything else (a duplicate whose reply was not remembered) is every command's reply.
    public func replies(to reply: OpReply) -> [RESPValue] {
        guard case .array(let parts) = reply, parts.count == commands.count else {
            return Array(repeating: DataCommand.Rendering.reply.render(reply), count: commands.count)
        }
        return zip(commands, parts).map { command, part in command.render(part) }
    }
}
