/// What `RESPConnection` needs from a connection: send everything, receive some, close.
/// `Socket` is plain TCP; `TLSStream` is TLS on a NIO channel behind the same blocking calls.
///
/// Both bound every call by the connection's I/O timeout and report every failure as a
/// `PaxosClientError` naming the endpoint.
protocol ByteStream {
    /// Sends all of `bytes` or throws.
    func sendAll(_ bytes: UnsafeRawBufferPointer) throws(PaxosClientError)
    /// Receives at least one byte into `buffer` and returns the count; 0 means end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PaxosClientError) -> Int
    func close()
}

extension Socket: ByteStream {}
