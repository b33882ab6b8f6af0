// Method: the gate's pure decision over hand-made member lists and reports, and the operations'
// formats. What it must guarantee: a write that some member reported it cannot decode is refused
// as not applied (UNAVAILABLE), naming that member; what every build decodes is never refused.
import PaxosCore
@testable import PaxosServer
import PaxosShell
import Testing

@Suite("command-format gate")
struct CommandFormatGateTests {
    let members = [ReplicaID(2), ReplicaID(3), ReplicaID(5)]

    @Test("gate: every build decodes put and delete; key operations need format 2")
    func operationFormats() {
        #expect(Operation.put(key: [1], value: [2]).commandFormat == 1)
        #expect(Operation.delete(key: [1]).commandFormat == 1)
        #expect(Operation.key(.incrementBy(key: [1], 1)).commandFormat == 2)
        #expect(Operation.all([.put(key: [1], value: [2])]).commandFormat == 2, "even of old operations: the tag is new")
        #expect(Operation.txn(Transaction(compares: [], success: [], failure: [])).commandFormat == 2)
        #expect(Operation.currentCommandFormat >= 2)
    }

    @Test("gate: a member that reported an older format blocks, the lowest id first")
    func olderMemberBlocks() {
        let reported: [ReplicaID: UInt8] = [ReplicaID(2): 2, ReplicaID(3): 1, ReplicaID(5): 1]
        let blocker = CommandFormatGate.blocker(needed: 2, members: members.reversed(), reported: reported)
        #expect(blocker?.member == ReplicaID(3))
        #expect(blocker?.format == 1)
        guard let blocker, case .failed(let code, let message) = CommandFormatGate.refusal(needed: 2, blocker: blocker) else {
            Issue.record("no refusal")
            return
        }
        #expect(code == .unavailable, "the write was not applied and may be retried after the upgrade")
        #expect(message.contains("replica 3"))
    }

    @Test("gate: members that reported the format, or newer, or nothing yet, do not block")
    func currentMembersPass() {
        #expect(CommandFormatGate.blocker(needed: 2, members: members, reported: [ReplicaID(2): 2, ReplicaID(3): 3]) == nil)
        #expect(CommandFormatGate.blocker(needed: 2, members: members, reported: [:]) == nil)
        // A peer outside the membership (a removed replica on an old build) does not block.
        #expect(CommandFormatGate.blocker(needed: 2, members: members, reported: [ReplicaID(4): 1]) == nil)
    }
}
