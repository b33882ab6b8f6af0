// Method: a real StorageExecutor over a scratch SQLite store, made to fail by a job the store
// refuses (an apply out of slot order). What it must guarantee: once storage failed, every
// later submit names the failure, so the node's last log line says why it stopped (a full disk
// used to show up as "storage executor is stopped", hiding ENOSPC).
import Foundation
import PaxosCore
@testable import PaxosServer
import PaxosStorage
import Synchronization
import Testing

@Suite("server: storage failure")
struct StorageFailureTests {
    @Test("storage: after a failure, submits are refused naming the failure")
    func refusedSubmitsNameTheFailure() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-failure-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteLogStore.open(path: "\(directory)/paxos.sqlite", clusterID: "test", replicaID: ReplicaID(1))
        let reported = Mutex<LogStoreError?>(nil)
        let failed = DispatchSemaphore(value: 0)
        let executor = StorageExecutor(store: store) { result in
            if case .failure(let error) = result {
                reported.withLock { $0 = error }
                failed.signal()
            }
        }
        defer { executor.shutdown() }
        try executor.submit([.apply(slot: Slot(5), command: .noop)])
        #expect(failed.wait(timeout: .now() + 10) == .success, "the executor never reported the failure")
        let error = try #require(reported.withLock { $0 })
        #expect("\(error)".contains("slots apply in order"))
        do {
            try executor.submit([.apply(slot: Slot(1), command: .noop)])
            Issue.record("a submit after the failure was taken")
        } catch {
            #expect("\(error)".hasPrefix("storage failed: "), "\(error)")
            #expect("\(error)".contains("slots apply in order"), "\(error)")
        }
    }

    @Test("storage: SQLite's disk failures say what they mean and what to do", arguments: [
        (13, "ENOSPC"), (8, "read-only"), (778, "I/O error"), (11, "damaged"),
    ] as [(Int32, String)])
    func sqliteErrorsCarryAHint(code: Int32, expected: String) {
        let error = SQLiteError(code: code, message: "as SQLite says it", sql: "INSERT INTO log VALUES (?)")
        #expect(error.description.contains(expected), "\(error)")
    }
}
