// The storage engine of one node: records by (partition, key), hints for other nodes, node
// metadata, and a Merkle tree per partition, on RocksDB.
//
//   Open(rt, options)  ->  Get / Write / Update / ScanPartition / hints / meta  ->  Close()
//
// Durability (options.h): under kSync a write returns OK only after its WAL fsync; concurrent
// writes from different fibers share one WAL write and one fsync (group commit). Under kInterval
// a write returns OK once in the WAL, which a background fiber fsyncs every sync_interval; writes
// that are ready together share one WAL write there too.
// A write that returns an error was not acknowledged, whatever reached the disk (it may or may not
// appear after a restart). After a failed WAL write or sync RocksDB stops accepting writes; the
// engine then answers every write with UNAVAILABLE ("storage failed ...") until the node restarts
// and reopens it. Reads keep working.
//
// Reads before writes: a put must know the digest the Merkle tree holds for its key, and an
// Update reads the current record. An in-memory filter of the stored keys (key_filter.h), rebuilt
// at open, answers "absent" for most keys that are not there, so new keys cost no RocksDB lookup.
//
// Integrity: records are checksummed (storage/record/record_codec.h) on top of RocksDB's block
// checksums. A record that fails either check is never returned: the read fails with DATA_LOSS.
//
// Limits: keys over key_bytes_max or values over value_bytes_max are refused with
// INVALID_ARGUMENT before anything is written; so are empty keys.
//
// Threading: all calls on fibers of the runtime's process (they may suspend). In real mode
// RocksDB's own threads run flushes, compactions and the compaction filter, which touch nothing
// of the engine's but atomic counters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/runtime.h"
#include "storage/engine/key_filter.h"
#include "storage/engine/key_locks.h"
#include "storage/engine/keys.h"
#include "storage/engine/options.h"
#include "storage/merkle/merkle_tree.h"
#include "storage/record/record.pb.h"

namespace rocksdb {
class PinnableSlice;
}

namespace kv::storage {

// A write a node stored on behalf of `target`, to deliver when `target` is reachable.
struct Hint {
  NodeId target = kNoNode;
  PartitionId partition = 0;
  std::string key;
  Record record;
  int64_t created_wall_micros = 0;
};

// Operations applied atomically by Engine::Write.
class WriteBatch {
 public:
  // The record is checked and encoded now, and the batch keeps only its bytes and digest;
  // Engine::Write refuses the batch if the record (or the key) is invalid.
  void PutRecord(PartitionId partition, absl::string_view key, Record record);
  // Removes the record entirely (handoff of a partition, purge). Deletes by clients are tombstone
  // records written with PutRecord.
  void DeleteRecord(PartitionId partition, absl::string_view key);
  void PutHint(Hint hint);
  void DeleteHint(NodeId target, PartitionId partition, absl::string_view key);
  void PutMeta(absl::string_view name, absl::string_view value);

  // Room for `ops` operations of about `bytes` bytes of keys and values without reallocating.
  void Reserve(size_t ops, size_t bytes = 0) {
    ops_.reserve(ops);
    bytes_.reserve(bytes);
  }

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  friend class Engine;
  // PutRecord without taking the record (Engine::Update returns it once written), given the key's
  // MerkleKeyHash.
  void AddRecord(PartitionId partition, absl::string_view key, uint64_t key_hash,
                 const Record& record);

  // A byte range of bytes_.
  struct Bytes {
    uint32_t offset = 0;
    uint32_t size = 0;
  };

  struct Op {
    enum class Kind : uint8_t { kPutRecord, kDeleteRecord, kPutHint, kDeleteHint, kPutMeta };
    Kind kind = Kind::kPutRecord;
    PartitionId partition = 0;
    NodeId target = kNoNode;
    // Record ops: the RocksDB key, RecordKey(partition, client key), built once when the op is
    // added (the commit needs it, and the client key is its suffix). Hint ops: the client key.
    // Meta ops: the name.
    Bytes key;
    // Put-record ops: the stored bytes of the record (EncodeRecord), or empty if the record is
    // malformed. Meta ops: the value.
    Bytes value;
    // Record ops: MerkleKeyHash of the client key (the Merkle tree's and the key filter's hash).
    uint64_t key_hash = 0;
    // Put-hint ops: the hint's record (boxed: record ops, the common kind, stay small).
    std::unique_ptr<Record> hint_record;
    int64_t created_wall_micros = 0;
    // Put-record ops, for Engine::Validate: the longest sibling value and the record's own check
    // (ValidateRecord).
    size_t longest_value_bytes = 0;
    absl::Status record_status;
    // Record ops: the digest the Merkle tree holds for the key after this op (none: absent).
    std::optional<uint64_t> new_digest;
    // Record ops from Engine::Update: the digest the Merkle tree holds for the key before this
    // op is known (the caller read the record), so the commit need not read it again.
    bool old_digest_known = false;
    std::optional<uint64_t> old_digest;

    bool is_record() const { return kind == Kind::kPutRecord || kind == Kind::kDeleteRecord; }
  };

  absl::string_view bytes(Bytes b) const { return absl::string_view(bytes_).substr(b.offset, b.size); }
  absl::string_view key(const Op& op) const { return bytes(op.key); }
  absl::string_view value(const Op& op) const { return bytes(op.value); }
  // The key the client named (for a record op, the suffix of its key).
  absl::string_view client_key(const Op& op) const {
    absl::string_view k = key(op);
    if (op.is_record()) k.remove_prefix(kRecordKeyPrefixBytes);
    return k;
  }
  // Appends `s` to bytes_.
  Bytes Append(absl::string_view s);
  // Appends RecordKey(partition, key) to bytes_.
  Bytes AppendRecordKey(PartitionId partition, absl::string_view key);

  std::vector<Op> ops_;
  // The keys and values of all ops, back to back: one allocation for the whole batch (a batch
  // of a hundred puts used to make and later free two hundred strings).
  std::string bytes_;
};

struct EngineStats {
  uint64_t writes = 0;           // Write calls acknowledged OK
  uint64_t writes_failed = 0;    // Write calls answered with an error (validation excluded)
  uint64_t commit_groups = 0;    // WAL writes (one per group)
  uint64_t ops_committed = 0;
  uint64_t wal_syncs = 0;        // explicit syncs (interval mode) plus synced groups
  uint64_t flushes_requested = 0;
  uint64_t records_purged = 0;   // by the compaction filter
  uint64_t corrupt_reads = 0;    // reads answered DATA_LOSS
  uint64_t hints = 0;            // hints stored now
  uint64_t reads_skipped = 0;    // record lookups the key filter answered "absent" (no read)
};

// Sizes from RocksDB's own properties (records and hints together), for operators' metrics.
// Estimates: RocksDB counts keys and bytes approximately.
struct EngineSizes {
  uint64_t estimated_keys = 0;     // rocksdb.estimate-num-keys
  uint64_t sst_bytes = 0;          // rocksdb.total-sst-files-size
  uint64_t live_data_bytes = 0;    // rocksdb.estimate-live-data-size
  uint64_t memtable_bytes = 0;     // rocksdb.cur-size-all-mem-tables
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  uint64_t block_cache_bytes = 0;  // rocksdb.block-cache-usage
  uint64_t key_filter_bytes = 0;   // the engine's in-memory key filter (key_filter.h)
};

class Engine {
 public:
  // Opens (creating if missing) the database. Starts the commit fiber (and, under kInterval, the
  // sync fiber) on `rt`. Errors: INVALID_ARGUMENT for bad options; DATA_LOSS if the database or
  // its WAL is corrupt beyond a torn tail; UNAVAILABLE for I/O errors. REQUIRES: on a fiber of
  // `rt`'s process; `rt` outlives the engine.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(Runtime& rt, EngineOptions options);

  // Without Close (a crash) the database is dropped as it is: nothing is synced.
  // REQUIRES: Close() returned, or every fiber of the process was cancelled (a crash).
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Commits queued writes, syncs the WAL (kInterval) and closes the database.
  // REQUIRES: on a fiber; no other call in progress or after.
  absl::Status Close();

  // The record of `key`, nullopt if none. DATA_LOSS if it is corrupt.
  absl::StatusOr<std::optional<Record>> Get(PartitionId partition, absl::string_view key);
  // The stored bytes of `key`'s record in record_codec's format, into *out (replaced); false if
  // there is none. Only the envelope is checked (CheckRecordEnvelope: DATA_LOSS for a checksum
  // mismatch, counted as a corrupt read): for bytes sent to a reader that decodes them.
  absl::StatusOr<bool> GetEncoded(PartitionId partition, absl::string_view key, std::string* out);

  // Applies `batch` atomically; returns once it is durable per the durability mode.
  absl::Status Write(WriteBatch batch);
  absl::Status Put(PartitionId partition, absl::string_view key, Record record);

  // Read-modify-write of one key under its lock: calls `fn` with the current record (nullptr if
  // none; it lives only during the call, decoded on a scratch arena) and writes what it returns
  // (nullopt: remove the record; an error: write nothing and return it). Returns the record now
  // stored. No other Update of the same key interleaves.
  using UpdateFn =
      std::function<absl::StatusOr<std::optional<Record>>(const Record* current)>;
  absl::StatusOr<std::optional<Record>> Update(PartitionId partition, absl::string_view key,
                                               const UpdateFn& fn);

  // Calls `fn` for each record of `partition`, in key order (from the first key after
  // `start_after`, if not empty), until it returns false. A corrupt record stops the scan with
  // DATA_LOSS naming the key.
  absl::Status ScanPartition(PartitionId partition,
                             absl::FunctionRef<bool(absl::string_view key, const Record&)> fn,
                             absl::string_view start_after = "");

  // The hint kept for `target` for `key`, if any.
  absl::StatusOr<std::optional<Hint>> GetHint(NodeId target, PartitionId partition,
                                              absl::string_view key);
  // Read-modify-write of one hint under its lock (as Update, for the hint space): `fn` gets the
  // current hint's record (nullopt if none) and returns the record to keep (nullopt: delete).
  absl::Status UpdateHint(NodeId target, PartitionId partition, absl::string_view key,
                          int64_t created_wall_micros, const UpdateFn& fn);

  // Up to `limit` hints for `target`, in (partition, key) order.
  absl::StatusOr<std::vector<Hint>> HintsFor(NodeId target, size_t limit);
  // Targets with at least one hint, and how many each.
  absl::StatusOr<absl::btree_map<NodeId, uint64_t>> HintCounts();

  absl::StatusOr<std::optional<std::string>> GetMeta(absl::string_view name);
  absl::Status PutMeta(absl::string_view name, absl::string_view value);
  // Makes every write that returned so far durable: under kInterval, a WAL fsync now (as the
  // sync fiber would do later); under kSync they already are. For values that must never be
  // reissued after a crash (the node's generation).
  absl::Status Sync();

  // Writes a consistent snapshot of the whole database (records, hints and metadata as of one
  // moment) into `dir`, which must not exist (its parent must): RocksDB's live files as of that
  // moment, hard links to the table files where the file system allows them (copies otherwise)
  // and copies of the WAL and MANIFEST cut to their size then, so writes continue meanwhile and
  // nothing is flushed. Opening `dir` as a database gives that moment's state. Works on the seam
  // (the simulated disk) too. Blocks the thread while it links and copies; a partial snapshot is
  // left behind on error (the caller removes it). Errors: ALREADY_EXISTS if `dir` exists;
  // UNAVAILABLE for I/O errors.
  absl::Status Checkpoint(const std::string& dir);

  // Flushes the memtables and compacts every record file into the last level, so the compaction
  // filter judges every record now (TTL and tombstone purge). For tests and operators; slow.
  absl::Status CompactRecords();

  // The partition's Merkle tree, current with every acknowledged write.
  const MerkleTree& merkle(PartitionId partition);

  EngineStats stats() const;
  EngineSizes sizes() const;
  // OK, or why writes are refused.
  absl::Status health() const;
  const EngineOptions& options() const { return options_; }

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  absl::Status Validate(const WriteBatch& batch) const;
  // INVALID_ARGUMENT if a put's longest value exceeds value_bytes_max or its record is malformed
  // (`record_status`, from ValidateRecord).
  absl::Status ValidateValues(size_t longest_value_bytes, const absl::Status& record_status) const;
  // Get into `*out`, given the key's MerkleKeyHash: false if the key has no record.
  // REQUIRES: the key's size is valid; *out is empty.
  absl::StatusOr<bool> ReadHashed(PartitionId partition, absl::string_view key, uint64_t key_hash,
                                  Record* out);
  // OK if the stored record of `key` passed its check (`checked`); else counts a corrupt read and
  // returns DATA_LOSS naming the key.
  absl::Status CorruptRead(absl::string_view key, const absl::Status& checked);
  // The stored bytes of the key's record, pinned in *value (unchecked); false if none.
  // REQUIRES: the key's size is valid.
  absl::StatusOr<bool> ReadStored(PartitionId partition, absl::string_view key, uint64_t key_hash,
                                  rocksdb::PinnableSlice* value);
  // Write, with the key lock of an Update (released once the write is applied, before its fsync).
  absl::Status Submit(WriteBatch batch, std::optional<KeyLocks::Guard> guard);

  EngineOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kv::storage
