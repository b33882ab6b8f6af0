// Method: the descriptor budget as a pure function, table-driven: max-clients is kept when the
// descriptor limit holds it plus the reserve for peers, databases and snapshots, lowered
// otherwise, and never below one.
import Testing

@testable import PaxosServer

@Suite("server: descriptor budget")
struct DescriptorBudgetTests {
    struct Case: Sendable, CustomStringConvertible {
        var maxClients: Int, descriptors: Int, reserved: Int, expected: Int
        var description: String { "\(maxClients) clients, \(descriptors) descriptors, \(reserved) reserved" }
    }

    @Test("descriptor budget: max-clients fits under the limit with the reserve kept", arguments: [
        Case(maxClients: 10_000, descriptors: 1_048_576, reserved: 128, expected: 10_000),
        Case(maxClients: 10_000, descriptors: 1_024, reserved: 128, expected: 896),
        Case(maxClients: 10_000, descriptors: 10_128, reserved: 128, expected: 10_000),
        Case(maxClients: 10_000, descriptors: 10_127, reserved: 128, expected: 9_999),
        Case(maxClients: 8, descriptors: 64, reserved: 128, expected: 1),
        Case(maxClients: 10_000, descriptors: Int.max, reserved: 128, expected: 10_000),
    ])
    func fits(testCase: Case) {
        #expect(DescriptorBudget.clients(maxClients: testCase.maxClients, descriptors: testCase.descriptors,
                                         reserved: testCase.reserved) == testCase.expected)
    }
}
