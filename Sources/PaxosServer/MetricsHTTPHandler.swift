import CoreMetrics
import NIOCore
import NIOHTTP1

/// `/metrics` (Prometheus text) and `/health` (JSON) on the metrics port.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let node: Node
    let renderMetrics: @Sendable () -> [UInt8]
    private var path: String?

    init(node: Node, renderMetrics: @escaping @Sendable () -> [UInt8]) {
        self.node = node
        self.renderMetrics = renderMetrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri.split(separator: "?").first.map(String.init)
        case .body:
            break
        case .end:
            let (status, type, body): (HTTPResponseStatus, String, [UInt8])
            switch path {
            case "/metrics":
                node.metrics.peersConnected.record(node.connectedPeers.count)
                (status, type, body) = (.ok, "text/plain; version=0.0.4", MetricCatalog.addingHelp(to: renderMetrics()))
            case "/health":
                let health = node.healthJSON
                (status, type, body) = (health.healthy ? .ok : .serviceUnavailable, "application/json", Array(health.body.utf8))
            default:
                (status, type, body) = (.notFound, "text/plain", Array("try /metrics or /health\n".utf8))
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
