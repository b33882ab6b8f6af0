import CoreMetrics
import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// Pipelined commands sent as one request (`PipelineRun`), or pipelined GETs as one read: which
/// commands may join a run, and running one. The queue itself is `ClientHandler.runCoalesced`'s.
extension ClientHandler {
    /// `raw` compiled for a run, with its group and whether it writes; nil when it must run on
    /// its own (anything that is not a plain data command, anything refused, a transaction,
    /// subscribed mode, keys in several groups). A command refused here is refused again, with
    /// its reason, when it runs alone.
    func pipelineMember(_ raw: RESPCommand) -> (parsed: ClientCommand, command: QueuedCommand, group: GroupID, isWrite: Bool)? {
        guard raw.refusal == nil, authenticator == nil || role != nil, !transaction.inMulti,
              subscribedModeRefusal(raw.name) == nil,
              let command = try? ClientCommand.parse(name: raw.name, arguments: raw.arguments, maxKeyBytes: node.settings.maxKeyBytes,
                                                     maxValueBytes: node.settings.maxValueBytes),
              Self.joinsPipelines(command), refusal(of: command, name: raw.name) == nil,
              let compiled = try? command.queued(), let operation = compiled.operation,
              let first = operation.keys.first else { return nil }
        let group = node.groupMap.group(of: first)
        guard operation.keys.allSatisfy({ node.groupMap.group(of: $0) == group }) else { return nil }
        return (command, compiled, group, command.isWrite)
    }

    /// The data commands (reads and writes of keys); everything else runs alone.
    static func joinsPipelines(_ command: ClientCommand) -> Bool {
        switch command {
        case .get, .put, .delete, .data, .exists, .multiKey: true
        default: false
        }
    }

    /// Pipelined GETs of one group as one read (`ReadQuery.keys`, as MGET): one instant of the
    /// group for all of them, which is a sequential execution of them (linearizable, or stale on a
    /// READONLY connection, as each GET would be).
    func runPipelinedReads(_ keys: [Bytes], raws: [RESPCommand]) {
        let started = startRun(raws)
        read(.keys(keys, fields: .value)) { [self] outcome in
            if case .answer(let answer) = outcome, answer.entries.count == keys.count {
                finishRun(raws, started: started, replies: answer.entries.map { .bulkString($0?.value) })
            } else {
                finishRun(raws, started: started, replies: Array(repeating: Self.render(outcome) { _ in nil }, count: raws.count))
            }
        }
    }

    /// Notes a run's commands as run; returns when they started.
    private func startRun(_ raws: [RESPCommand]) -> NIODeadline {
        for raw in raws {
            noteCommand(raw)
            node.commandsProcessed &+= 1
        }
        node.metrics.pipelinedCommands.increment(by: Int64(raws.count))
        return NIODeadline.now()
    }

    /// Answers a run's commands in order, one reply each, and moves on to the next command.
    private func finishRun(_ raws: [RESPCommand], started: NIODeadline, replies: [RESPValue]) {
        precondition(replies.count == raws.count && !raws.isEmpty, "\(replies.count) replies for a run of \(raws.count)")
        pipelineReplyBytes = replies.map(PipelineRun.replyBytes(of:)).max() ?? pipelineReplyBytes
        for raw in raws { node.metrics.recordRequest(raw.name, since: started) }
        for value in replies.dropLast() { reply(value) }
        finish(replies[replies.count - 1])
    }

    /// Sends `run` as one request and answers each of `raws` in order when it is decided.
    func runPipeline(_ run: PipelineRun, operation: Operation, raws: [RESPCommand]) {
        let started = startRun(raws)
        write(operation) { [self] outcome in
            switch outcome {
            case .applied(.reply(let reply)): finishRun(raws, started: started, replies: run.replies(to: reply))
            default: finishRun(raws, started: started, replies: Array(repeating: Self.render(outcome) { _ in nil }, count: raws.count))
            }
        }
    }
}
