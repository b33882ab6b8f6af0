/// # The on-disk format of a PaxosKV node
///
/// One SQLite database per consensus group of a node, in WAL mode with `synchronous=FULL`: a
/// transaction is on stable storage when `COMMIT` returns. A node of one group (the default, and
/// every node before groups existed) keeps it in `data/nodes/<id>/paxos.sqlite`; a node started
/// with `--groups G` (G > 1) keeps group g in `data/nodes/<id>/group-<g>.sqlite`, one file per
/// group (`GroupPlacement.fileName`). This page is the format `paxos-inspect` reads; change it
/// only together with `Schema.version`, or say here why a change keeps the version.
///
/// ## Identification
/// - `PRAGMA application_id` is `0x50784B56` ("PxKV"), so tools can tell a PaxosKV database
///   from any other SQLite file.
/// - `PRAGMA user_version` and `meta.schema_version` both hold `Schema.version`. A node refuses
///   a database whose version it does not know (newer software wrote it) and says so.
/// - `meta.cluster_id` and `meta.replica_id` name the node; the `placement` row (below) names the
///   group. A node refuses a database of another cluster, replica or group placement.
/// - `meta.incarnation` names this database among all databases a replica id ever had: a node
///   whose disk was wiped comes back with a new one, so the votes its lost disk held are never
///   counted for the new, empty one (PaxosCore `Membership.swift`, "Incarnations").
///
/// ## Tables
/// ```
/// meta      one row (singleton = 1)
///   schema_version    INTEGER  Schema.version
///   cluster_id        TEXT     the cluster this node belongs to; a node refuses another's file
///   replica_id        INTEGER  the replica this file belongs to; likewise
///   promised_round    INTEGER  the acceptor's promised ballot (one promise covers every slot)
///   promised_replica  INTEGER
///   chosen_through    INTEGER  highest slot s such that every slot ≤ s is chosen (the frontier)
///   applied_through   INTEGER  last slot applied to kv and sessions
///   snapshot_slot     INTEGER  the log is compacted through this slot: rows ≤ it are deleted (or
///                              about to be) and kv and sessions stand for them (0: none yet)
///                              - Invariant: snapshot_slot ≤ applied_through
///   incarnation       INTEGER  this database's `Incarnation` (a u64 bit pattern, never 0). A new
///                              database draws a random one other than 1 from the system's
///                              random source; a database migrated from version 1 has 1
///                              (`Incarnation.initial`), the incarnation its replica has been
///                              voting as. It never changes (a restore draws a new one: the
///                              restored file holds no promise or vote, so it is a new acceptor).
///   cluster_uuid      TEXT     NULL until the cluster's genesis is recorded on this node
///                              (`recordGenesis`), then the cluster's UUID, never changed again
///   log_clock         INTEGER  the state machine's clock: the largest leader time of a timed
///                              batch applied through applied_through (Unix ms; 0: none yet),
///                              replicated state like kv (docs/design/coordination-api.md §3)
///   changes_from      INTEGER  the first slot kv_changes records (0: every slot; a database
///                              migrated from version 5 has its applied_through + 1 then).
///                              A watch from below max(changes_from, snapshot_slot + 1) is
///                              answered "compacted" (`SQLiteLogStore.changes`)
///
/// log       one row per slot the acceptor accepted or the learner learned
///   slot              INTEGER PRIMARY KEY
///   ballot_round      INTEGER  the ballot the acceptor accepted the command in
///   ballot_replica    INTEGER  (0.0 when the command arrived by catch-up without a vote)
///   chosen            INTEGER  1 once the slot is known chosen; never goes back to 0
///   command           BLOB     `Command` in its binary form (PaxosCore `Command+Encoding.swift`)
///   checksum          INTEGER  CRC-32C of (slot u64 BE, round u64 BE, replica u32 BE, command)
///
/// kv        the applied key-value table: the state machine as of applied_through
///   key               BLOB PRIMARY KEY
///   value             BLOB
///   slot              INTEGER  the slot whose command last wrote the key
///   checksum          INTEGER  CRC-32C of (key length u32 BE, key, slot u64 BE, position u16 BE,
///                              expire_at u64 BE (2^64 − 1 when NULL), value)
///                              (`StateRowChecksum.kv`; version 4)
///   position          INTEGER  the writing request's position in its command (0…65535); with
///                              slot, the key's `Revision` (slot.position). 0 for every write of
///                              a legacy batch, which is every command so far
///                              (`OperationExecutor.position(ofRequest:in:)` says why)
///   expire_at         INTEGER  the key's deadline (`KVRow.deadline`), Unix milliseconds of the
///                              log's clock; NULL: none. A row whose deadline is at or below
///                              meta.log_clock is absent to every read and write; background
///                              expiry deletes such rows in (expire_at, key) order, indexed by
///                              kv_expiry (expire_at, key) WHERE expire_at IS NOT NULL
///   scan_hash         INTEGER  `ScanHash.of(key)`, the key's place in SCAN order (index
///                              `kv_scan`); derived from the key, so not in the checksum:
///                              `paxos-inspect verify` recomputes it
///
/// sessions  exactly-once bookkeeping, one row per client id
///   client_id         INTEGER PRIMARY KEY
///   last_sequence     INTEGER  the last sequence applied for this client
///   last_result       INTEGER  its result: 0 ok, 1 deleted (absent), 2 deleted (existed), 3 superseded,
///                              5 a reply (`OperationResult.reply`), held in `reply`
///   slot              INTEGER  the slot that applied it
///   checksum          INTEGER  CRC-32C of (client_id, last_sequence, last_result, slot, each
///                              u64 BE), then the `reply` bytes if any (`StateRowChecksum.session`;
///                              a row without a reply has its version 3 checksum)
///   reply             BLOB     the encoded `OpReply` when last_result is 5, else NULL. Replies
///                              over `ClientSession.maxRememberedReplyBytes` are stored as
///                              `notRemembered` (`ClientSession.remembered`)
///   Rows whose slot is more than `ClientSession.expirySlots` below the applied slot are no
///   longer live; they are deleted after applying each slot `ClientSession.pruneInterval`
///   divides (the same rows on every replica). `log.command` holds requests with origins
///   (command tag 0x04) since sessions expire; older rows (tag 0x01) stay readable.
///
/// kv_changes  what each applied slot changed, for the resumable watch (`CHANGES`); one row per
///   applied slot that changed anything, written in the slot's apply transaction, deleted with
///   the log at compaction and all at a snapshot install
///   slot              INTEGER PRIMARY KEY
///   changes           BLOB     the slot's `KVChange`s (PaxosCore `KVChange.swift`,
///                              `KVChangeEncoding`): positions, event codes and keys, no values
///   checksum          INTEGER  CRC-32C of (slot u64 BE, changes) (`StateRowChecksum.changes`)
///
/// memberships  one row per membership chosen through applied_through, and the first one(s)
///   from_slot         INTEGER PRIMARY KEY  the first slot the membership governs
///   epoch             INTEGER  the membership's epoch (a copy of the one in `membership`, so a
///                              listing can sort and show it without decoding)
///   chosen_in_slot    INTEGER  the slot whose `configure` command chose it, with
///                              from_slot = chosen_in_slot + α (`Membership.activationDistance`);
///                              0 for a first (genesis) membership, recorded at genesis
///   membership        BLOB     `Command.configure(m)` in its binary form (tag 0x02, epoch, voters
///                              and learners with their incarnations: `Command+Encoding.swift`),
///                              byte for byte the command stored in the log at chosen_in_slot
///   checksum          INTEGER  CRC-32C of (from_slot u64 BE, epoch u64 BE, chosen_in_slot u64 BE,
///                              membership)
///
/// placement  one row (singleton = 1), only in the database of one group of several (G > 1)
///   group_count       INTEGER  how many groups the node runs, G (2 … GroupMap.maxGroups)
///   group_id          INTEGER  the group this file holds, 0 … G-1
///   hash              TEXT     how keys map to groups: 'crc32c-fibonacci', CRC-32C of the key
///                              times 2^64/φ, high 32 bits, mod G (`GroupMap.group(of:)`);
///                              databases written before the name was corrected say
///                              'crc32c-mod' for the same mapping and are read as such
/// ```
/// A database without the `placement` table, or with the table and no row, is a single-group
/// database (`GroupPlacement.single`: group 0 of 1). The row is written in the transaction that
/// creates a group's database and never changes; no other table or operation touches it
/// (snapshot installs replace `kv` and `sessions`, compaction deletes `log` rows, a restore
/// rewrites `meta` and keeps the backup's placement, which MUST equal the restored group's).
/// Rows of `memberships` are written in the transaction that applies their `configure` slot
/// (or at genesis), replaced only by a snapshot install and never deleted by compaction: the
/// replica is rebuilt from exactly the memberships chosen through the applied slot, even when
/// the log rows that chose them are long gone.
/// Unsigned 64-bit protocol numbers (slots, rounds, client ids, sequences) are stored as their
/// two's-complement bit pattern in SQLite's signed INTEGER.
///
/// ### Why `placement` did not change `Schema.version`
/// The table is optional and additive: a single-group database, old or new, has none and is
/// byte for byte what version 1 always wrote, so every existing database opens unchanged and an
/// older build still opens every `paxos.sqlite` (raising the version would have made each node
/// rewrite `user_version` and every older build refuse the file). Older builds know only
/// `paxos.sqlite` and never look for `group-<g>.sqlite`; a group's file handed to one by hand
/// (renamed, or given to `--restore`) would be read as a whole node, which is why the group files
/// carry their own names and the `placement` row the newer builds check.
///
/// ### Versions and migrations
/// - Version 1: `meta`, `log`, `kv`, `sessions` (and the optional `placement`).
/// - Version 2: `meta.incarnation`, `meta.cluster_uuid` and the `memberships` table. A node
///   opening a version 1 database migrates it in one transaction (`Migrations`): the columns are
///   added (incarnation 1, no cluster UUID), the table is created empty and both version numbers
///   become 2. A crash leaves it at version 1 or 2, never between. Older builds refuse a migrated
///   file; `paxos-inspect` reads only the current version (start the node once to migrate).
/// - Version 3: `kv.checksum` and `sessions.checksum`. The migration from version 2 adds the
///   columns and computes the checksum of every existing row, in the same one transaction (a
///   pass over both tables, once). A row damaged before the migration gets the checksum of its
///   damaged bytes: the migration can only protect what is there from then on.
/// - Version 4: `kv.position` and `kv.expire_at` (revisions, and deadlines to come), covered by
///   the version 4 `kv` checksum. The migration from version 3 adds the columns (position 0, no
///   deadline: what every row written before holds) and, in the same one transaction, checks
///   each row's version 3 checksum and writes its version 4 one. A row that fails its version 3
///   check gets a version 4 checksum that fails too (the complement of the right one), so the
///   migration neither launders damage nor refuses to open a database the old build opened:
///   the damaged row is refused when read, as before. The columns come last in the table, in a
///   new database as in a migrated one. Version 4 also adds `sessions.reply` (NULL in every
///   migrated row, whose checksum is therefore unchanged).
/// - Version 5: `meta.log_clock` (0) and the index `kv_expiry`, for TTLs; `kv.scan_hash` and its
///   index `kv_scan`, the order SCAN walks. The migration from version 4 adds them in one
///   transaction, computing the scan hash of every row; no checksum changes (no row of a
///   version 4 database has a deadline, the clock of a log without timed batches is 0, and the
///   scan hash is a function of the key).
/// - Version 6: `kv_changes` and `meta.changes_from`, for the resumable watch. The migration
///   from version 5 creates the table empty and sets `changes_from` to the slot after the
///   applied one: the slots applied before were never recorded, so a watch from among them is
///   told they are compacted rather than answered with nothing.
///
/// ## Transactions and what they guarantee
/// - A group of persist records (promises and accepted entries) is written in one transaction
///   that is durable before the node reports `persisted(upTo:)` to the core, so no acceptor
///   reply ever reveals state a crash could lose.
/// - Applying a slot updates `kv`, `sessions`, the slot's `chosen` flag and `applied_through`
///   in the same transaction, so a crash never leaves a half-applied batch. Applying a
///   `configure` command inserts its `memberships` row in that transaction too, so after a crash
///   the table holds exactly the memberships chosen through `applied_through`.
/// - Genesis (`recordGenesis`) sets `cluster_uuid` and inserts the first membership rows in one
///   transaction, and only while `cluster_uuid` is NULL.
/// - `chosen_through` moves in the transaction that marks slots chosen.
/// - Compaction (`compact(through:maxRows:)`) raises `snapshot_slot` and deletes log rows at or
///   below it in small transactions of a bounded number of rows, between the node's group
///   commits, so it never holds the write lock for long, and without an fsync (losing a step to
///   a power loss only keeps more log). Rows at or below `snapshot_slot` that
///   are still present (a compaction cut short by a crash) are ignored on load and deleted by
///   the next compaction.
/// - Installing a snapshot received from a peer replaces `kv`, `sessions` and `memberships`
///   with the staged ones (a snapshot without memberships, from a database that records none,
///   leaves `memberships` as it is, as the core keeps its own then), sets `applied_through` and `snapshot_slot` to its slot, raises `chosen_through` to it
///   if lower and deletes log rows at or below it, all in one transaction. The staged snapshot
///   lives in a separate file next to the database (`<database>.staging`, see
///   `SnapshotStaging`), deleted at open: a half-received snapshot is never in this file.
///
/// ## Space
/// New databases are created with `auto_vacuum=INCREMENTAL`; a database created without it is
/// converted by one `VACUUM` when a node opens it (it needs free disk space about the size of
/// the database, once). After compaction the node returns free pages beyond a reserve to the
/// file system with `PRAGMA incremental_vacuum`, a bounded number per transaction. The WAL is
/// checkpointed by SQLite's default auto-checkpoint (1000 pages), and `journal_size_limit`
/// (64 MiB) truncates it after a checkpoint, so one large transaction (a snapshot install) does
/// not leave a WAL of its size behind.
///
/// ## Integrity
/// Every log row, membership row, kv row and session row carries a checksum that is computed
/// before the write and checked on every read; a mismatch is reported as corruption naming the
/// file and the slot (log, memberships) or the table and key or client (kv, sessions), never
/// used. Rows are checked where they are read: loading the log at open, a GET or stale read, the
/// exactly-once check of an apply, a snapshot export, a backup and `paxos-inspect verify`. A
/// snapshot install recomputes the checksums of the rows it stages (the stream carries none; its
/// chunks carry a running CRC-32C and the sender checked every row it read).
enum Schema {
    /// The format version this code reads and writes.
    static let version: Int64 = 6
    /// The oldest version a node migrates (`Migrations`); older ones were never released.
    static let oldestMigratable: Int64 = 1
    /// "PxKV": marks the file as a PaxosKV database.
    static let applicationID: Int64 = 0x5078_4B56

    static let createStatements = """
        CREATE TABLE meta (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            schema_version INTEGER NOT NULL,
            cluster_id TEXT NOT NULL,
            replica_id INTEGER NOT NULL,
            promised_round INTEGER NOT NULL,
            promised_replica INTEGER NOT NULL,
            chosen_through INTEGER NOT NULL,
            applied_through INTEGER NOT NULL,
            snapshot_slot INTEGER NOT NULL,
            incarnation INTEGER NOT NULL,
            cluster_uuid TEXT,
            log_clock INTEGER NOT NULL DEFAULT 0,
            changes_from INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE log (
            slot INTEGER PRIMARY KEY,
            ballot_round INTEGER NOT NULL,
            ballot_replica INTEGER NOT NULL,
            chosen INTEGER NOT NULL,
            command BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        CREATE TABLE kv (
            key BLOB PRIMARY KEY,
            value BLOB NOT NULL,
            slot INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            expire_at INTEGER,
            scan_hash INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX kv_scan ON kv (scan_hash);
        \(createExpiryIndex)
        CREATE TABLE sessions (
            client_id INTEGER PRIMARY KEY,
            last_sequence INTEGER NOT NULL,
            last_result INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            reply BLOB
        );
        """ + createMemberships + createChanges

    /// The `kv_changes` table, new in version 6 (also created by the migration from version 5).
    static let createChanges = """
        CREATE TABLE kv_changes (
            slot INTEGER PRIMARY KEY,
            changes BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        """

    /// The index background expiry walks (`SQLiteKVRows.expiredKeys`) and `nextDeadline`
    /// probes, new in version 5 (also created by the migration from version 4). Partial: rows
    /// without a deadline, nearly all of them, cost nothing in it.
    static let createExpiryIndex = "CREATE INDEX kv_expiry ON kv (expire_at, key) WHERE expire_at IS NOT NULL;"

    /// The `memberships` table, new in version 2 (also created by the migration from version 1).
    static let createMemberships = """
        CREATE TABLE memberships (
            from_slot INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            chosen_in_slot INTEGER NOT NULL,
            membership BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        """

    /// The `placement` table, created only in the database of one group of several
    /// (`StoredPlacement.insert`).
    static let createPlacement = """
        CREATE TABLE placement (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            group_count INTEGER NOT NULL,
            group_id INTEGER NOT NULL,
            hash TEXT NOT NULL
        );
        """

    /// Every table a valid database holds (`placement` is optional: see above).
    static let tables = ["kv", "kv_changes", "log", "memberships", "meta", "sessions"]

    /// The WAL is truncated to this size after a checkpoint (`PRAGMA journal_size_limit`).
    static let journalSizeLimitBytes = 64 * 1024 * 1024
}
