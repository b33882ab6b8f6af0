#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds loopback ports for a test cluster.
///
/// A block of consecutive ports starts at a random base in 20000-32000 and is used only if every
/// port in it can be bound on 127.0.0.1 right now. The range ends below Linux's ephemeral range
/// (32768-60999, `net.ipv4.ip_local_port_range`), so the outgoing connections of clients and peer
/// links, which take ephemeral ports, cannot grab a port between this check and paxosd's bind.
enum Ports {
    static let range = 20_000..<32_000

    /// The first port of `count` consecutive free ports.
    static func freeBlock(count: Int) throws -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let base = Int.random(in: range.lowerBound..<(range.upperBound - count), using: &generator)
            if (base..<(base + count)).allSatisfy(isFree) { return base }
        }
        throw HarnessError("no block of \(count) free ports in \(range) after 200 tries")
    }

    /// Whether a listening socket could bind `port` on 127.0.0.1 now. No SO_REUSEADDR: a port
    /// with connections in TIME_WAIT is skipped too, which is merely conservative.
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, streamType, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }

    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif
}
