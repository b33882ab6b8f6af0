// Method: the subscribers' arithmetic without a cluster: a stamped key's send instant reads back
// from the channel name a notification carries; names that are not stamped give nothing (so a
// stray key never becomes a latency); the PSUBSCRIBE pattern matches the prefix literally; the
// report adds the notify row and its totals; settings refuse subscribers where no SET notifies.
// Delivery itself is measured against a cluster (KeyspaceNotificationTests, the note's numbers).

import Foundation
import PaxosCtlKit
import Testing

@Suite("bench: keyspace subscribers")
struct BenchSubscriberTests {
    @Test("a stamped key's send instant reads back from its keyspace channel")
    func stampRoundTrip() {
        for instant: UInt64 in [0, 1, 123_456_789, UInt64.max] {
            let key = BenchSubscribers.stampedKey(prefix: "bench:", number: 42, sentAt: instant)
            #expect(String(decoding: key, as: UTF8.self) == "bench:42@t\(instant)")
            #expect(BenchSubscribers.sendInstant(ofChannel: Array("__keyspace@0__:".utf8) + key) == instant)
        }
    }

    @Test("channels without a stamp give no instant", arguments: [
        "__keyspace@0__:bench:42", "__keyspace@0__:bench:42@t", "__keyspace@0__:bench:42@t12a",
        "__keyspace@0__:bench:1@t18446744073709551616", "@t", "",
    ])
    func unstamped(_ channel: String) {
        #expect(BenchSubscribers.sendInstant(ofChannel: Array(channel.utf8)) == nil)
    }

    @Test("the prefix is escaped for the glob")
    func globEscaping() {
        #expect(BenchSubscribers.globEscaped("bench:") == "bench:")
        #expect(BenchSubscribers.globEscaped("a*b?[c]\\") == "a\\*b\\?\\[c\\]\\\\")
    }

    @Test("report: the notify row, expected messages and reconnects, in the table and the JSON")
    func notifyRow() throws {
        var report = BenchTests.report()
        var received = BenchTally()
        for milliseconds in 1...50 { received.record(.milliseconds(milliseconds)) }
        report.addNotifications(received, subscribers: 2, expected: 200, reconnects: 1, elapsed: .seconds(2))
        let notify = try #require(report.operations.last)
        #expect(notify.name == "notify" && notify.count == 50 && notify.perSecond == 25)
        #expect(report.table.contains("notify: 2 subscriber(s) received 50 of 200 expected messages (25.0 %), 1 reconnect(s)"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["subscribers"] as? Int == 2)
        #expect(json["notifications_expected"] as? Int == 200)
        #expect(json["subscriber_reconnects"] as? Int == 1)
        #expect(BenchTests.report().json.contains("subscribers") == false, "absent from runs without subscribers")
    }

    @Test("settings: subscribers need SET writes and stay within range")
    func settings() {
        var settings = BenchSettings()
        settings.subscribers = 100
        #expect(throws: Never.self) { try settings.validate() }
        settings.subscribers = 1_025
        #expect(throws: PaxosCtlError.self) { try settings.validate() }
        settings.subscribers = 1
        settings.workload = .incr
        #expect(throws: PaxosCtlError.self) { try settings.validate() }
        settings.workload = .set
        settings.readFraction = 1
        #expect(throws: PaxosCtlError.self) { try settings.validate() }
    }
}
