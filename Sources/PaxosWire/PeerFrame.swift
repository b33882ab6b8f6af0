public import PaxosCore

/// One unit of the replica-to-replica protocol: a handshake, its refusal, or a Paxos message for
/// one consensus group.
///
/// ## Frame format (version 4)
///
/// Peers talk over a TCP stream cut into frames. All integers are big-endian.
///
/// ```
/// frame    := length:u32 version:u8 type:u8 group:u32 payload checksum:u32
/// length   := byte count of everything after the length field (version … checksum),
///             at least 10 and at most the decoder's maxFrameBytes (64 MiB by default) — and at
///             most its handshakeMaxFrameBytes (4 KiB) until the handshake is done (see below)
/// version  := 4 (version 4 added the sender's incarnation to promise, accepted, heartbeatAck
///             and prePromise, and the configure command; version 3 replaced the hello with the authenticated handshake 0x01/0x03/0x04;
///             version 2 added compactedThrough to promise and the snapshot frames 0x30–0x32;
///             a peer of another version is refused)
/// group    := the consensus group (0 … groups-1; always 0 with one group) of a Paxos message,
///             a forwarded request or its reply, or a snapshot frame; 0 on the connection-level
///             frames (hello, helloReject, helloChallenge, helloProof, ping, pong)
/// checksum := CRC32C of version … payload (not of the length field)
/// ```
///
/// The length comes first so a reader knows how much to wait for, and it is checked against the
/// maximum before anything is buffered or allocated: a corrupt or hostile length costs four bytes,
/// not 4 GiB. The checksum covers everything after the length so a flipped bit anywhere in the
/// frame is caught before the payload is parsed; a flipped bit in the length itself either breaks
/// the bounds check or shifts the frame so that the checksum no longer matches. The checksum is
/// checked before the version, so a corrupt version byte reads as corruption, while a real peer
/// speaking another version (with a good checksum) gets `unsupportedVersion`. The checksum is not
/// a MAC: it catches accidents, not attackers (the handshake below keeps strangers out).
///
/// ## Types and payloads
///
/// ```
///  type  frame                 payload
///  0x01  hello                 clusterID:string dialer:u32 acceptor:u32 nonce:32 bytes
///  0x02  helloReject           reason:string
///  0x03  helloChallenge        nonce:32 bytes proof:32 bytes
///  0x04  helloProof            proof:32 bytes
///  0x05  ping                  (empty)
///  0x06  pong                  (empty)
///  0x07  identity              see `PeerIdentity` (cluster uuid, per group incarnation, epoch, genesis)
///  0x10  prepare               ballot fromSlot:slot
///  0x11  promise               ballot count:u32 (slot ballot chosen:u8 command)*count compactedThrough:slot incarnation:u64
///  0x12  accept                ballot chosenThrough:slot count:u32 (slot command)*count
///  0x13  accepted              ballot count:u32 slot*count incarnation:u64
///  0x14  reject                ballot promised:ballot
///  0x15  heartbeat             ballot chosenThrough:slot readRound:u64
///  0x16  heartbeatAck          ballot readRound:u64 incarnation:u64
///  0x17  catchUpRequest        from:slot through:slot
///  0x18  catchUpReply          count:u32 (slot command)*count
///  0x19  prePrepare            ballot fromSlot:slot
///  0x1A  prePromise            ballot granted:u8 (0 | 1) promised:ballot incarnation:u64
///  0x1B  handOver              ballot successor:u32
///  0x20  forward               id:u64 (0x01 command | 0x02 key:bytes)      -- write | read
///  0x21  forwardReply          id:u64 outcome
///  0x30  snapshotChunk         transfer:u64 slot:slot index:u32 last:u8 crc:u32 data:bytes
///  0x31  snapshotAck           transfer:u64 index:u32
///  0x32  snapshotAbort         transfer:u64 reason:string
///
///  outcome := 0x01 | 0x02 existed:u8 | 0x03                 -- applied: ok | deleted | superseded
///           | 0x04 present:u8 [value:bytes]                 -- read value
///           | 0x05 leader:u32 (0 = unknown) | 0x06 | 0x07    -- not leader | overloaded | unavailable
///           | 0x08                                          -- applied: expired (refused, not applied)
///           | 0x09 reply                                    -- applied: a key operation's reply
///                                                              (the `OpReply` form of Operation+Encoding.swift)
///  A forwarded write is the command `batch([request])`, so it reuses the command format.
///  Snapshot frames carry their consensus group in the header, like Paxos messages. A sender
///  keeps a few chunks unacknowledged at most (flow control); `snapshotAck` says every chunk
///  through `index` is staged, `snapshotAbort` (either direction) ends a transfer.
///
///  ballot  := round:u64 replica:u32
///  slot    := u64
///  chosen  := 0 | 1
///  string  := length:u32 UTF-8 bytes (cluster ids up to 255 bytes, reasons up to 1024)
///  bytes   := length:u32 raw bytes
///  command := the on-disk command format of `Command.encode(into:)`
/// ```
///
/// A payload must be consumed exactly: bytes left over are an error, not an extension point. New
/// fields or messages come with a new type or a new version, never by appending to an old payload.
///
/// `prePrepare` and `prePromise` (0x19, 0x1A: the pre-prepare round, `Replica+PrePrepare.swift`)
/// were added as new types within version 3. A node built before them decodes them as
/// `unknownType` and drops the connection, so a cluster mixing such nodes with newer ones loses
/// those links: upgrade every node of a cluster together.
///
/// ## The handshake
///
/// ```
/// dialer                                            acceptor
///   hello(clusterID, dialer, acceptor, nonceD) ──▶    (cluster, member and own id checked)
///                                              ◀──  helloChallenge(nonceA, proofA) | helloReject
///   (proofA checked)
///   helloProof(proofD), then Paxos frames ──────▶    (proofD checked; only now frames reach the node)
///                                              ◀──  helloReject, if proofD is wrong
/// ```
///
/// The proofs are HMAC-SHA-256 over both nonces, the cluster id and both replica ids, one per
/// direction (`PeerHandshake` in PaxosAuth defines them). Each node dials every other node, and
/// protocol frames flow only from dialer to acceptor after the handshake, so the accepting side
/// of a connection sends nothing but `helloChallenge`, `helloReject` and `pong`.
///
/// ## Link liveness
///
/// ```
/// dialer                                            acceptor
///   ping (nothing heard or sent for an interval) ──▶
///                                              ◀──  pong
/// ```
///
/// A TCP connection whose path silently stopped delivering looks healthy to both ends until
/// TCP's retransmissions give up, which takes minutes. So after the handshake the dialer sends
/// `ping` whenever it has not heard from the acceptor (or sent anything) for one interval, the
/// acceptor answers each with `pong` on the same connection, and either side closes a
/// connection on which nothing arrived for a few intervals. Both frames are connection-level
/// (group 0, empty payload) and never reach the consensus core; neither may be sent before the
/// handshake is done (the acceptor refuses anything but the handshake until then).
///
/// Until a `helloProof` has been decoded, `PeerFrameDecoder` accepts frames of at most
/// `handshakeMaxFrameBytes` (4 KiB; the largest handshake frame is under 400 bytes), so a
/// stranger who announces a 60 MiB frame is cut off after four bytes, not after 64 MiB. A
/// `helloProof` lifts the limit for the frames that follow it even before the server has checked
/// the proof, because the dialer may send its first Paxos frames right behind it in the same
/// packet: the server checks the proof synchronously as it decodes it and closes the connection
/// on a wrong one, so no frame after a wrong proof is ever handled. Deciding who may connect is the
/// server's job; this module only carries the bytes.
///
/// The handshake frames share one case, `hello(PeerHello)`, so code that treats them alike
/// ("a handshake frame after the handshake") matches them with one pattern.
public enum PeerFrame: Hashable, Sendable {
    /// One of the three authenticating handshake frames: hello, helloChallenge, helloProof.
    case hello(PeerHello)
    /// The receiver refuses the connection, for example because the cluster ids differ.
    case helloReject(reason: String)
    /// Link liveness, dialer to acceptor after the handshake: "answer if you hear me".
    case ping
    /// The acceptor's answer to a `ping`, on the same connection.
    case pong
    /// The dialer's databases, sent first after the handshake (see `PeerIdentity`).
    case identity(PeerIdentity)
    /// A Paxos message for consensus group `group` (0 with one group).
    case message(group: GroupID, Message)
    /// A client request a follower passes to the leader of group `group`, keeping its (client,
    /// sequence) so a re-forward after a leader change is still applied once. `id` is the
    /// follower's token within that group.
    case forward(group: GroupID, id: UInt64, ForwardedRequest)
    /// The leader's answer to a `forward`, for the same group and token.
    case forwardReply(group: GroupID, id: UInt64, ForwardedOutcome)
    /// A piece of a snapshot of group `group`'s applied state.
    case snapshotChunk(group: GroupID, SnapshotChunk)
    /// Flow control: every chunk of `transfer` through `index` is staged.
    case snapshotAck(group: GroupID, transfer: UInt64, index: UInt32)
    /// Ends `transfer`, from either side, with a reason for the log.
    case snapshotAbort(group: GroupID, transfer: UInt64, reason: String)
}

extension PeerFrame {
    /// The only frame version this build reads and writes.
    public static let version: UInt8 = 4
    /// The default bound on the length field, generous for a batch of large values.
    public static let defaultMaxFrameBytes = 64 * 1024 * 1024
    /// Cluster ids are names from a config file; the bound keeps a hello small.
    public static let maxClusterIDBytes = 255
    /// Reject reasons are diagnostics; longer ones are cut when encoded.
    public static let maxReasonBytes = 1024
    /// The bound on the length field before the handshake is done: every handshake frame fits
    /// (the largest, a hello with a 255-byte cluster id, is under 400 bytes).
    public static let handshakeMaxFrameBytes = 4 * 1024

    /// version + type + group + checksum: the length of a frame with an empty payload.
    static let minimumLength = 1 + 1 + 4 + 4
    /// Bytes of every nonce and proof in the handshake (SHA-256 output; nonces of the same size).
    public static let handshakeFieldBytes = 32
    /// Bytes of the length field itself.
    static let lengthFieldBytes = 4
}

/// The handshake frames, in the order they are sent (see "The handshake" above).
///
/// Nonces and proofs are exactly `PeerFrame.handshakeFieldBytes` (32) bytes: the decoder refuses
/// other sizes, and encoding other sizes is a programmer error.
public enum PeerHello: Hashable, Sendable {
    /// The dialer's opening frame: which cluster it believes it is in, who it is, whom it meant
    /// to reach, and its fresh nonce.
    case request(clusterID: String, dialer: ReplicaID, acceptor: ReplicaID, nonce: [UInt8])
    /// The acceptor's fresh nonce and its proof over the transcript.
    case challenge(nonce: [UInt8], proof: [UInt8])
    /// The dialer's proof over the transcript; the dialer's Paxos frames may follow at once.
    case proof([UInt8])
}

/// The type byte of each frame. Raw values are part of the wire format: never renumber them.
enum PeerFrameType: UInt8, CaseIterable {
    case hello = 0x01
    case helloReject = 0x02
    case helloChallenge = 0x03
    case helloProof = 0x04
    case ping = 0x05
    case pong = 0x06
    case identity = 0x07
    case prepare = 0x10
    case promise = 0x11
    case accept = 0x12
    case accepted = 0x13
    case reject = 0x14
    case heartbeat = 0x15
    case heartbeatAck = 0x16
    case catchUpRequest = 0x17
    case catchUpReply = 0x18
    case prePrepare = 0x19
    case prePromise = 0x1A
    case handOver = 0x1B
    case forward = 0x20
    case forwardReply = 0x21
    case snapshotChunk = 0x30
    case snapshotAck = 0x31
    case snapshotAbort = 0x32

    init(_ message: Message) {
        self =
            switch message {
            case .prepare: .prepare
            case .promise: .promise
            case .accept: .accept
            case .accepted: .accepted
            case .reject: .reject
            case .heartbeat: .heartbeat
            case .heartbeatAck: .heartbeatAck
            case .catchUpRequest: .catchUpRequest
            case .catchUpReply: .catchUpReply
            case .prePrepare: .prePrepare
            case .prePromise: .prePromise
            case .handOver: .handOver
            }
    }
}
