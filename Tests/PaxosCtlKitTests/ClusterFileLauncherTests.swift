// Method: `ClusterFile.launcherReplicas` and `sized`, the two things tools/cluster asks paxosctl
// about a cluster file, on small literal files: the lines bash reads, spares marked, every
// unknown key kept, bad files refused with the file and field named. Covers README "The two
// commands" (`tools/cluster up` needs no python3).

import Foundation
import PaxosCtlKit
import Testing

@Suite("cluster file: what tools/cluster reads and writes")
struct ClusterFileLauncherTests {
    static let shipped = """
        {"clusterID": "local", "dataDirectory": "data/nodes", "tls": {"caFile": "ca.crt"}, "futureKey": [1, 2],
         "replicas": [
          {"id": 1, "host": "127.0.0.1", "clientPort": 6381, "peerPort": 7381, "metricsPort": 9381},
          {"id": 2, "host": "127.0.0.1", "clientPort": 6382, "peerPort": 7382, "metricsPort": 9382, "bootstrap": true},
          {"id": 9, "host": "10.0.0.9", "clientPort": 6389, "peerPort": 7389, "metricsPort": 9389, "bootstrap": false},
          {"id": 3, "host": "127.0.0.1", "clientPort": 6383, "peerPort": 7383, "metricsPort": 9383}]}
        """

    @Test("replicas: one line per replica in file order, spares included and marked")
    func replicaLines() throws {
        let replicas = try ClusterFile.launcherReplicas(Data(Self.shipped.utf8), source: "c.json")
        #expect(replicas.map(\.line) == [
            "1 127.0.0.1 6381 7381 9381 boot", "2 127.0.0.1 6382 7382 9382 boot",
            "9 10.0.0.9 6389 7389 9389 spare", "3 127.0.0.1 6383 7383 9383 boot",
        ])
    }

    @Test("sized: the first N bootstrap replicas stay members, later ones become spares, every other key is kept")
    func sizedKeepsEverything() throws {
        let data = try ClusterFile.sized(Data(Self.shipped.utf8), source: "c.json", size: 2, secretFile: "/abs/cluster.secret")
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["secretFile"] as? String == "/abs/cluster.secret")
        #expect(root["clusterID"] as? String == "local")
        #expect((root["tls"] as? [String: Any])?["caFile"] as? String == "ca.crt")
        #expect(root["futureKey"] as? [Int] == [1, 2])
        let replicas = try ClusterFile.launcherReplicas(data, source: "sized")
        #expect(replicas.map(\.id) == [1, 2, 9, 3])
        #expect(replicas.map(\.bootstrap) == [true, true, false, false])
        #expect(String(decoding: data, as: UTF8.self).contains("\"dataDirectory\" : \"data/nodes\""), "slashes unescaped")
        let again = try ClusterFile.sized(Data(Self.shipped.utf8), source: "c.json", size: 2, secretFile: "/abs/cluster.secret")
        #expect(again == data, "the same input gives the same bytes")
        let whole = try ClusterFile.sized(Data(Self.shipped.utf8), source: "c.json", size: 3, secretFile: nil)
        #expect(try ClusterFile.launcherReplicas(whole, source: "whole").map(\.bootstrap) == [true, true, false, true])
        #expect((try JSONSerialization.jsonObject(with: whole) as? [String: Any])?["secretFile"] == nil)
    }

    @Test("unusable files and sizes are refused with the file and the field named", arguments: [
        ("{", "c.json is not a cluster file: not valid JSON"),
        ("[]", "c.json is not a cluster file: not a JSON object"),
        ("{\"clusterID\": \"x\"}", "c.json is not a cluster file: missing \"replicas\""),
        ("{\"replicas\": []}", "c.json lists no replicas"),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"h\", \"clientPort\": 1, \"peerPort\": 2}]}", "c.json: replicas[0] has no usable \"metricsPort\""),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"a b\", \"clientPort\": 1, \"peerPort\": 2, \"metricsPort\": 3}]}", "c.json: replicas[0] has no usable \"host\""),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"h\", \"clientPort\": 1, \"peerPort\": 2, \"metricsPort\": 3, \"bootstrap\": \"no\"}]}",
         "c.json: replicas[0].bootstrap is not true or false"),
    ])
    func refused(json: String, message: String) {
        let error = #expect(throws: PaxosCtlError.self) { try ClusterFile.launcherReplicas(Data(json.utf8), source: "c.json") }
        #expect(error?.message == message)
    }

    @Test("sized: a size beyond the bootstrap replicas, or below one, is refused")
    func badSize() {
        for size in [0, 4] {
            let error = #expect(throws: PaxosCtlError.self) {
                try ClusterFile.sized(Data(Self.shipped.utf8), source: "c.json", size: size, secretFile: nil)
            }
            #expect(error?.message == "c.json lists 3 bootstrap replicas; a \(size)-node cluster needs \(size)")
        }
    }
}
