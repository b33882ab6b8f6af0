// Method: a 3-node cluster with TLS for clients and mutual TLS between peers (certificates from
// tools/make-tls, as `tools/cluster up --tls` makes them), driven by the real redis-cli and by
// PaxosClient. A write through one node read back through another proves the peers reach each
// other over TLS; a CA that did not sign the nodes and a plaintext client must be refused, and
// the cluster must keep serving after each refusal.

import Foundation
import PaxosClient
import Testing

extension ProcessTests {
    @Suite("process: TLS")
    struct TLSTests {
        @Test("redis-cli --tls with the CA writes through one node and reads through another")
        func redisCLIOverTLS() throws {
            try LocalCluster.run(size: 3, name: "tls-redis-cli", tls: true) { cluster in
                let ca = try #require(cluster.tlsDirectory).appendingPathComponent("ca.crt").path
                func cli(_ id: Int, _ words: String...) throws -> Paxosctl.Run {
                    try RedisCLI.run(["--tls", "--cacert", ca, "-p", "\(cluster.clientPort(id))"] + words)
                }
                let set = try cli(1, "SET", "tls-key", "over-tls")
                #expect(set.status == 0 && set.standardOutput == "OK\n", "\(set)")
                let get = try cli(3, "GET", "tls-key")
                #expect(get.status == 0 && get.standardOutput == "over-tls\n", "\(get)")
                // PaxosClient speaks TLS too, to every node.
                for id in cluster.ids {
                    #expect(try cluster.client(only: id).get("tls-key") == "over-tls")
                }
            }
        }

        @Test("a CA that did not sign the nodes is refused; a plaintext client is closed; the cluster keeps serving")
        func refusals() throws {
            try LocalCluster.run(size: 3, name: "tls-refusals", tls: true) { cluster in
                let other = cluster.directory.appendingPathComponent("other-ca")
                try LocalCluster.makeCertificates(in: other, count: 1)
                let wrongCA = other.appendingPathComponent("ca.crt").path

                let cli = try RedisCLI.run(["--tls", "--cacert", wrongCA, "-p", "\(cluster.clientPort(1))", "PING"])
                #expect(cli.standardOutput.contains("PONG") == false, "\(cli)")
                #expect((cli.standardOutput + cli.standardError).contains("certificate verify failed"), "\(cli)")

                var wrong = PaxosClient.Configuration.probe
                wrong.tls = try ClientTLS(caFile: wrongCA)
                let refused = #expect(throws: PaxosClientError.self) { try cluster.client(only: 2, configuration: wrong).ping() }
                #expect(refused == .tlsHandshake, "\(String(describing: refused))")

                // Plaintext RESP on the TLS port: the node fails the TLS handshake and closes.
                let plain = try RESPConnection(endpoint: cluster.endpoint(1), replyTimeout: .seconds(3))
                #expect(throws: PaxosClientError.self) { _ = try plain.request([Array("PING".utf8)]) }

                // Nothing above touched the nodes' service.
                try cluster.client(only: 1).put("after-refusals", "still-serving")
                #expect(try cluster.client(only: 2).get("after-refusals") == "still-serving")
            }
        }
    }
}
