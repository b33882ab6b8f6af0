// Method: ClientIDBlocks on a scratch directory, restarted by building it again, with the
// counter driven past a block's end. What it must guarantee: no id repeats across connections
// and restarts of one node directory (the session collision once seen: a node restarted with
// the same --seed handed out the ids of its previous life, and writes on them were answered
// from old sessions without being applied).
import Foundation
@testable import PaxosServer
import Testing

@Suite("client ids")
struct ClientIDBlocksTests {
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("client-ids-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("client ids: a restart never hands out an id of an earlier life of the node directory")
    func restartsDoNotRepeat() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var seen: Set<UInt64> = []
        for _ in 0..<5 {
            var blocks = try ClientIDBlocks(nodeDirectory: directory)
            for _ in 0..<1_000 {
                let id = try blocks.next(replica: 3)
                #expect(seen.insert(id).inserted, "id \(id) handed out twice")
                #expect(id != 0)
                #expect((id >> 24) & 0xFF == 3, "the replica id is in bits 24-31")
            }
        }
        // Each life reserved its own blocks: the file moved on by one reservation per life.
        let recorded = try String(contentsOfFile: "\(directory)/\(ClientIDBlocks.fileName)", encoding: .utf8)
        #expect(UInt32(recorded.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
    }

    @Test("client ids: past a block's 2^24 ids the next block is used, and reserved on disk before use")
    func blocksRollOver() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var blocks = try ClientIDBlocks(nodeDirectory: directory, reservation: 2)
        let first = blocks.block
        var last: UInt64 = 0
        // Every block holds 2^24 - 1 ids; walk through the reservation and one block beyond.
        let perBlock = 0xFF_FFFF
        for _ in 0..<(perBlock * Int(blocks.reservation) + 2) { last = try blocks.next(replica: 1) }
        #expect(blocks.block == first &+ blocks.reservation)
        #expect(UInt32(truncatingIfNeeded: last >> 32) == first &+ blocks.reservation)
        let recorded = try String(contentsOfFile: "\(directory)/\(ClientIDBlocks.fileName)", encoding: .utf8)
        #expect(UInt32(recorded.trimmingCharacters(in: .whitespacesAndNewlines)) == first &+ 2 * blocks.reservation)
        // A restart starts after everything reserved, not after what was used.
        var again = try ClientIDBlocks(nodeDirectory: directory, reservation: 2)
        #expect(UInt32(truncatingIfNeeded: try again.next(replica: 1) >> 32) == first &+ 2 * blocks.reservation)
    }

    @Test("client ids: a damaged file stops the node with a clear error instead of guessing")
    func damagedFileIsRefused() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "not a number\n".write(toFile: "\(directory)/\(ClientIDBlocks.fileName)", atomically: true, encoding: .utf8)
        #expect(throws: ClientIDBlocksError.self) { try ClientIDBlocks(nodeDirectory: directory) }
    }
}
