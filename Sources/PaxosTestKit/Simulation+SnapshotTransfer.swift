import PaxosCore
import PaxosShell

/// paxosd's snapshot transfer inside the simulation: every replica runs the real
/// `SnapshotSending` and `SnapshotReceiving`, and this file carries out their `SnapshotEffect`s
/// as `GroupNode+Snapshots.swift` does, with a simulated snapshot worker in place of SQLite and
/// simulated links in place of TCP. Which transfers run, the window, acknowledgements, timeouts,
/// refusals and when a snapshot is complete are the real code's decisions.
///
/// **Chunks.** An export freezes the applied state (state machine and memberships) when it
/// opens and cuts it into records: a header (the memberships), then each key, then each
/// client session, `recordsPerChunk` to a chunk. A chunk carries its records in place of
/// bytes, so a receiver that stages the wrong chunks installs the wrong state, and the snapshot
/// checker (`install(slot:at:)`) sees it. The simulated staging appends what it is given and
/// calls the stream complete when the last chunk is staged after a header; it does not check
/// the order itself (paxosd's `SnapshotStaging` checks it again), so keeping the chunks in
/// order is the shell's job alone here, and a shell that fails at it is caught.
///
/// **Time and faults.** Worker jobs (open, read, stage) finish one at a time after a small
/// random delay and are ignored once their replica restarted. Frames (chunk, ack, abort) take
/// the group's weather: lost, duplicated or delayed like peer messages, cut by partitions, but
/// in the order sent on each link, as TCP delivers them; a frame from or to an earlier life of
/// either end is dropped, as the connection it was sent on died with that life.
extension Simulation {
    /// Small, so that the simulator's few keys and sessions still span several chunks.
    static let recordsPerChunk = 2

    /// A transfer makes no progress for this long only when a frame was lost, the peer died or
    /// the link was cut: several of the slowest round trips, plus the worker's jobs.
    static func snapshotTimeoutMilliseconds(_ weather: SimWeather) -> UInt64 {
        300 + 4 * weather.maxDelayUnits
    }

    // MARK: inputs

    /// The core's `.sendSnapshot(to:)`.
    func sendSnapshot(to peer: ReplicaID, at index: Int) {
        let id = UInt64.random(in: 1...UInt64.max, using: &random)
        perform(replicas[index].snapshotSending.start(to: peer, id: id, connected: isConnected(index, to: peer), now: now),
                at: index)
    }

    /// Ends transfers that have not moved for their timeout; on every tick, as paxosd does.
    func checkSnapshotTimeouts(_ index: Int) {
        guard !replicas[index].snapshotSending.isIdle || !replicas[index].snapshotReceiving.isIdle else { return }
        perform(replicas[index].snapshotSending.timeouts(now: now), at: index)
        perform(replicas[index].snapshotReceiving.timeouts(now: now), at: index)
    }

    /// A snapshot frame arrives at replica `to`.
    func deliverSnapshotFrame(_ frame: SimSnapshotFrame, group: Int, from: ReplicaID, to: ReplicaID, lives: SimLinkLives) {
        let index = replicaIndex(group: group, id: to)
        let sender = replicaIndex(group: group, id: from)
        guard let replica = replicas[index].replica, !isCut(from, to), replicas[index].incarnation == lives.to,
              replicas[sender].incarnation == lives.from else { return }
        switch frame {
        case .chunk(let chunk):
            // The core's verdict matters only for a transfer's first chunk, as in paxosd.
            let view = SnapshotView(coreRefusal: chunk.index == 0 ? replica.reasonToRefuseSnapshot(from: from, slot: chunk.slot) : nil,
                                    isLeader: replica.role == .leader, appliedThrough: replica.appliedThrough)
            perform(replicas[index].snapshotReceiving.chunkReceived(from: from, transfer: chunk.transfer, slot: chunk.slot,
                                                                    index: chunk.index, view: view, now: now),
                    at: index, chunk: chunk)
        case .ack(let id, let chunkIndex):
            perform(replicas[index].snapshotSending.ackReceived(from: from, transfer: id, index: chunkIndex, now: now), at: index)
        case .abort(let id, let reason):
            perform(replicas[index].snapshotSending.abortReceived(from: from, transfer: id, reason: reason), at: index)
            perform(replicas[index].snapshotReceiving.abortReceived(from: from, transfer: id, reason: reason), at: index)
        }
    }

    /// The snapshot worker of replica `index` finished `job`.
    func finishSnapshotJob(_ job: SimSnapshotJob, at index: Int) {
        switch job {
        case .exportOpened(let peer, let id, let slot):
            perform(replicas[index].snapshotSending.exportOpened(to: peer, transfer: id, slot: slot, now: now), at: index)
        case .chunkRead(let peer, let id, let chunkIndex):
            guard let export = replicas[index].exports[id], Int(chunkIndex) < export.chunks.count else {
                perform(replicas[index].snapshotSending.chunkReadFailed(to: peer, transfer: id, error: "export \(id) is closed"), at: index)
                return
            }
            let last = Int(chunkIndex) == export.chunks.count - 1
            let chunk = SimSnapshotChunk(transfer: id, slot: export.slot, index: chunkIndex, last: last,
                                         records: export.chunks[Int(chunkIndex)])
            perform(replicas[index].snapshotSending.chunkRead(to: peer, transfer: id, index: chunkIndex, last: last,
                                                              connected: isConnected(index, to: peer), now: now),
                    at: index, chunk: chunk)
        case .chunkStaged(let peer, let id, let chunkIndex, let outcome):
            perform(replicas[index].snapshotReceiving.chunkStaged(from: peer, transfer: id, index: chunkIndex, outcome, now: now),
                    at: index)
        }
    }

    // MARK: effects

    /// Carries out the snapshot shells' effects in order, as `GroupNode.perform(_:context:)` does.
    /// `chunk` is the chunk the input had in hand (just read, or just received).
    func perform(_ effects: [SnapshotEffect], at index: Int, chunk: SimSnapshotChunk? = nil) {
        for effect in effects {
            guard replicas[index].isUp else { return }
            switch effect {
            case .openExport(let peer, let id):
                let export = SimExport(replicas[index].disk.stateMachine, memberships: replicas[index].disk.memberships,
                                       recordsPerChunk: Self.recordsPerChunk)
                replicas[index].exports[id] = export
                scheduleSnapshotJob(.exportOpened(to: peer, transfer: id, slot: export.slot), at: index)
            case .readChunk(let peer, let id, let chunkIndex):
                scheduleSnapshotJob(.chunkRead(to: peer, transfer: id, index: chunkIndex), at: index)
            case .sendChunk(let peer, let id, _, let chunkIndex):
                guard let chunk, chunk.transfer == id, chunk.index == chunkIndex else {
                    preconditionFailure("sendChunk of chunk \(chunkIndex) without that chunk in hand")
                }
                stats.snapshotChunksSent += 1
                transmitSnapshotFrame(.chunk(chunk), from: index, to: peer)
            case .closeExport(let id):
                replicas[index].exports[id] = nil
            case .beginStaging(let peer, let id), .stageChunk(let peer, let id, _):
                guard let chunk, chunk.transfer == id else { preconditionFailure("staging for transfer \(id) without its chunk in hand") }
                if case .beginStaging = effect { replicas[index].staging = SimStaging(transfer: id, slot: chunk.slot) }
                let outcome = stage(chunk, at: index)
                scheduleSnapshotJob(.chunkStaged(from: peer, transfer: id, index: chunk.index, outcome), at: index)
            case .sendAck(let peer, let id, let chunkIndex):
                transmitSnapshotFrame(.ack(transfer: id, index: chunkIndex), from: index, to: peer)
            case .offerToCore(let slot):
                offerToCore(slot: slot, at: index)
            case .discardStaging:
                replicas[index].staging = nil
            case .sendAbort(let peer, let id, let reason):
                transmitSnapshotFrame(.abort(transfer: id, reason: reason), from: index, to: peer)
            case .countRefusal(let refusal):
                stats.refusals += 1
                stats.refusalsByReason[refusal.reason, default: 0] += 1
                stats.snapshotsRefused += 1
            case .report(let event):
                if case .sendAbandoned = event { stats.snapshotTransfersAbandoned += 1 }
                if case .receiveAbandoned = event { stats.snapshotTransfersAbandoned += 1 }
            }
        }
    }

    /// The simulated worker stages `chunk` into the staging of its transfer: the outcome paxosd's
    /// worker would report.
    func stage(_ chunk: SimSnapshotChunk, at index: Int) -> StagingOutcome {
        guard var staging = replicas[index].staging, staging.transfer == chunk.transfer else {
            return .failed("no staging for transfer \(chunk.transfer)")
        }
        staging.add(chunk.records)
        replicas[index].staging = staging
        guard chunk.last else { return .staged }
        guard staging.memberships != nil else {
            // A real staging discards itself when the stream does not check out.
            replicas[index].staging = nil
            return .failed("the stream of transfer \(chunk.transfer) ended without its header")
        }
        replicas[index].staging?.complete = true
        return .complete
    }

    /// `offerToCore`: the core is told of the complete staged snapshot, exactly as paxosd's shell
    /// tells it; its `.installSnapshot` runs `install(slot:at:)` within the step.
    func offerToCore(slot: Slot, at index: Int) {
        guard let staging = replicas[index].staging, staging.complete, staging.slot == slot,
              let memberships = staging.memberships else {
            fail("snapshot: \(name(index))'s shell offered slot \(slot) with no complete staging of it")
            return
        }
        step(index, .snapshotReceived(slot: slot, memberships: memberships))
        perform(replicas[index].snapshotReceiving.offerAnswered(), at: index)
    }

    // MARK: plumbing

    /// Whether paxosd would have a live connection from replica `index` to `peer`.
    func isConnected(_ index: Int, to peer: ReplicaID) -> Bool {
        let from = replicas[index]
        return !isCut(from.id, peer) && replicas[replicaIndex(group: from.group, id: peer)].isUp
    }

    /// Queues a job on replica `index`'s snapshot worker, which finishes its jobs in order.
    func scheduleSnapshotJob(_ job: SimSnapshotJob, at index: Int) {
        let done = max(now, replicas[index].snapshotWorkerFreeAt) + UInt64.random(in: 1...3, using: &random)
        replicas[index].snapshotWorkerFreeAt = done
        schedule(.snapshotJob(replica: index, incarnation: replicas[index].incarnation, job), after: done - now)
    }

    /// Sends a snapshot frame through the group's weather (loss, duplication, delay), keeping
    /// the link's order.
    func transmitSnapshotFrame(_ frame: SimSnapshotFrame, from index: Int, to peer: ReplicaID) {
        stats.messages += 1
        let group = replicas[index].group
        let from = replicas[index].id
        let lives = SimLinkLives(from: replicas[index].incarnation, to: replicas[replicaIndex(group: group, id: peer)].incarnation)
        let weather = groups[group].weather
        if Double.random(in: 0..<1, using: &random) < weather.dropRate { return }
        let copies = Double.random(in: 0..<1, using: &random) < weather.duplicateRate ? 2 : 1
        for _ in 0..<copies {
            let arrival = max(now + UInt64.random(in: 1...weather.maxDelayUnits, using: &random),
                              replicas[index].snapshotLinkFreeAt[peer, default: 0])
            replicas[index].snapshotLinkFreeAt[peer] = arrival
            schedule(.deliverSnapshotFrame(group: group, from: from, to: peer, lives, frame), after: arrival - now)
        }
    }
}

/// A snapshot frame on a simulated link (paxosd's `snapshotChunk`, `snapshotAck`, `snapshotAbort`).
enum SimSnapshotFrame {
    case chunk(SimSnapshotChunk)
    case ack(transfer: UInt64, index: UInt32)
    case abort(transfer: UInt64, reason: String)
}

/// The lives (`SimReplica.incarnation`) of a link's two ends when a frame was sent on it.
struct SimLinkLives {
    let from: Int
    let to: Int
}

/// A job the snapshot worker finished (`SnapshotEffect.openExport`, `readChunk`, `beginStaging`
/// and `stageChunk`).
enum SimSnapshotJob {
    case exportOpened(to: ReplicaID, transfer: UInt64, slot: Slot)
    case chunkRead(to: ReplicaID, transfer: UInt64, index: UInt32)
    case chunkStaged(from: ReplicaID, transfer: UInt64, index: UInt32, StagingOutcome)
}

/// One chunk of a snapshot: paxosd's `SnapshotChunk` with records in place of bytes.
struct SimSnapshotChunk {
    let transfer: UInt64
    let slot: Slot
    let index: UInt32
    let last: Bool
    let records: [SimSnapshotRecord]
}

/// What a snapshot stream holds, as paxosd's `SnapshotRecord`s do.
enum SimSnapshotRecord {
    /// First in every stream: the memberships chosen through the snapshot's slot.
    case header(memberships: [ScheduledMembership])
    /// The log clock (paxosd's header field, format 4); only when not 0, so streams of untimed
    /// runs are the records they always were.
    case clock(LeaderTime)
    case key(Bytes, KVRow)
    case session(ClientID, ClientSession)
}

/// An open export: the applied state frozen when it opened, cut into chunks.
///
/// - Invariant: `chunks` is not empty and its first chunk starts with the header.
struct SimExport {
    let slot: Slot
    let chunks: [[SimSnapshotRecord]]

    init(_ stateMachine: KVStateMachine, memberships: [ScheduledMembership], recordsPerChunk: Int) {
        precondition(recordsPerChunk > 0, "export: \(recordsPerChunk) records per chunk")
        slot = stateMachine.appliedThrough
        // Sorted, so the chunks depend on the state only, never on dictionary order.
        let clock: [SimSnapshotRecord] = stateMachine.clock.rawValue == 0 ? [] : [.clock(stateMachine.clock)]
        let records: [SimSnapshotRecord] = [.header(memberships: memberships)] + clock
            + stateMachine.rows.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { .key($0.key, $0.value) }
            + stateMachine.sessions.sorted { $0.key < $1.key }.map { .session($0.key, $0.value) }
        chunks = stride(from: 0, to: records.count, by: recordsPerChunk).map {
            Array(records[$0..<min($0 + recordsPerChunk, records.count)])
        }
    }
}

/// What a receiver staged of one transfer (paxosd's staging file).
struct SimStaging {
    let transfer: UInt64
    let slot: Slot
    var rows: [Bytes: KVRow] = [:]
    var sessions: [ClientID: ClientSession] = [:]
    /// Set by the header record; nil until chunk 0 is staged.
    var memberships: [ScheduledMembership]?
    var clock = LeaderTime(rawValue: 0)
    /// The last chunk is staged after the header.
    var complete = false

    mutating func add(_ records: [SimSnapshotRecord]) {
        for record in records {
            switch record {
            case .header(let staged): memberships = staged
            case .clock(let staged): clock = staged
            case .key(let key, let row): rows[key] = row
            case .session(let client, let session): sessions[client] = session
            }
        }
    }

    /// The staged state, as installing the staging file would restore it.
    func stateMachine(sessionExpirySlots: UInt64) -> KVStateMachine {
        KVStateMachine(rows: rows, sessions: sessions, appliedThrough: slot, sessionExpirySlots: sessionExpirySlots, clock: clock)
    }
}
