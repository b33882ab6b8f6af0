import Foundation
import Synchronization

/// Blocking work on real threads: `PaxosClient` is synchronous and one-per-thread, and the
/// Swift concurrency pool has only as many threads as cores (2 here), so client load runs on
/// `Thread`s of its own.
final class ThreadGroup<Result: Sendable>: Sendable {
    private let results = Mutex<[Int: Result]>([:])
    private let done: DispatchGroup
    let count: Int

    // @Sendable body: each thread runs it with its own index and owns whatever it creates.
    init(_ count: Int, name: String, _ body: @escaping @Sendable (Int) -> Result) {
        self.count = count
        let done = DispatchGroup()
        self.done = done
        for index in 0..<count {
            done.enter()
            let thread = Thread { [self] in
                let result = body(index)
                self.results.withLock { $0[index] = result }
                done.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Waits for every thread and returns their results in index order.
    func join() -> [Result] {
        done.wait()
        return results.withLock { results in (0..<count).compactMap { results[$0] } }
    }

    /// Whether every thread has returned (for a caller that samples while they run).
    var isFinished: Bool { results.withLock { $0.count == count } }

    /// Runs `body` on `count` threads and waits for all of them.
    static func run(_ count: Int, name: String, _ body: @escaping @Sendable (Int) -> Result) -> [Result] {
        ThreadGroup(count, name: name, body).join()
    }
}

/// A flag a test raises to stop its helper threads.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isRaised: Bool { raised.load(ordering: .acquiring) }
    func raise() { raised.store(true, ordering: .releasing) }
}

/// A count shared between threads, such as acknowledged writes.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
