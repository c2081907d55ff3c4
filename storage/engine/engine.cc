#include "storage/engine/engine.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "net/assert.h"
#include "net/fiber.h"
#include "net/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/table.h"
#include "rocksdb/file_system.h"
#include "rocksdb/metadata.h"
#include "storage/engine/expiry_filter.h"
#include "storage/engine/key_locks.h"
#include "storage/engine/rocksdb_status.h"
#include "storage/engine/log_tail.h"
#include "storage/engine/sync_dir.h"
#include "storage/engine/sync_watermark.h"
#include "storage/file_system.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"
#include "storage/record/scratch_arena.h"
#include "storage/record/validate.h"
#include "storage/rocksdb_env/deterministic_options.h"
#include "storage/rocksdb_env/flush_trigger.h"
#include "storage/rocksdb_env/seam_env.h"

namespace kv::storage {
namespace {

constexpr const char* kRecordsCf = "records";
constexpr const char* kHintsCf = "hints";
constexpr const char* kMetaCf = "meta";


// Hint values: [8 bytes created wall micros, LE][encoded record].
std::string EncodeHintValue(int64_t created_wall_micros, const Record& record) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &created_wall_micros, 8);
  out += EncodeRecord(record);
  return out;
}

absl::StatusOr<std::pair<int64_t, Record>> DecodeHintValue(absl::string_view bytes) {
  if (bytes.size() < 8) return absl::DataLossError("hint shorter than its header");
  int64_t created = 0;
  std::memcpy(&created, bytes.data(), 8);
  ASSIGN_OR_RETURN(Record record, DecodeRecord(bytes.substr(8)));
  return std::make_pair(created, std::move(record));
}

// The digest the Merkle tree holds for a record: none for an empty version set, like a missing key.
std::optional<uint64_t> TreeDigest(const Record& record) {
  if (record.siblings_size() == 0) return std::nullopt;
  return RecordDigest(record);
}

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }
rocksdb::Slice Slice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Most keys a RocksDB MultiGet takes in one call without allocating (its batch size).
constexpr size_t kMultiGetBatchMax = 32;
// Record ops of a group kept on the commit fiber's stack; a bigger group allocates.
constexpr size_t kGroupRecordOpsInline = 128;

// The key filter's hash of a stored key: its partition and the client key's MerkleKeyHash (the
// same client key may be stored in several partitions: one per replication unit).
uint64_t FilterHash(PartitionId partition, uint64_t key_hash) {
  return HashCombine(key_hash, partition);
}

// Key lock names (key_locks.h): a record's is its FilterHash; a hint's a hash of its hint key with
// another seed, so the two spaces do not share locks (but by a 2^-64 chance).
uint64_t HintLockName(absl::string_view hint_key) {
  constexpr uint64_t kHintLockSeed = 0x68696e746c6f636bULL;  // "hintlock"
  return StableHash(hint_key, kHintLockSeed);
}

// A key a read may look up: not empty, at most key_bytes_max bytes.
absl::Status CheckReadKey(absl::string_view key, size_t key_bytes_max) {
  if (!key.empty() && key.size() <= key_bytes_max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "key of ", key.size(), " bytes is empty or exceeds the maximum of ", key_bytes_max, " bytes"));
}

MerkleShape ShapeFor(uint32_t leaves) {
  MerkleShape shape;
  shape.leaf_count_log2 = static_cast<uint32_t>(__builtin_ctz(leaves));
  return shape;
}

}  // namespace

// ---- WriteBatch ----

// A put keeps the record's bytes, not the record: encoded here (into the batch's one buffer),
// each record's memory goes back to the allocator as soon as the caller is done with it (in a
// batch, the next record reuses it), and the commit has no encoding left to do. Ops are built in
// place.
void WriteBatch::PutRecord(PartitionId partition, absl::string_view key, Record record) {
  AddRecord(partition, key, MerkleKeyHash(key), record);
}

WriteBatch::Bytes WriteBatch::Append(absl::string_view s) {
  KV_ASSERT(bytes_.size() + s.size() <= std::numeric_limits<uint32_t>::max());
  const Bytes b{static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(s.size())};
  bytes_.append(s.data(), s.size());
  return b;
}

WriteBatch::Bytes WriteBatch::AppendRecordKey(PartitionId partition, absl::string_view key) {
  KV_ASSERT(bytes_.size() + kRecordKeyPrefixBytes + key.size() <=
            std::numeric_limits<uint32_t>::max());
  const uint32_t offset = static_cast<uint32_t>(bytes_.size());
  storage::AppendRecordKey(partition, key, &bytes_);
  return Bytes{offset, static_cast<uint32_t>(bytes_.size() - offset)};
}

void WriteBatch::AddRecord(PartitionId partition, absl::string_view key, uint64_t key_hash,
                           const Record& record) {
  Op& op = ops_.emplace_back();
  op.kind = Op::Kind::kPutRecord;
  op.partition = partition;
  op.key = AppendRecordKey(partition, key);
  op.key_hash = key_hash;
  for (const Sibling& s : record.siblings()) {
    op.longest_value_bytes = std::max(op.longest_value_bytes, s.value().size());
  }
  op.record_status = ValidateRecord(record);
  // Not encoded if Engine::Validate refuses it whatever the options.
  if (!op.record_status.ok() || op.longest_value_bytes > kValueBytesMaxLimit) return;
  const size_t start = bytes_.size();
  AppendValidRecord(record, &bytes_);
  KV_ASSERT(bytes_.size() <= std::numeric_limits<uint32_t>::max());
  op.value = Bytes{static_cast<uint32_t>(start), static_cast<uint32_t>(bytes_.size() - start)};
  op.new_digest = TreeDigest(record);
}

void WriteBatch::DeleteRecord(PartitionId partition, absl::string_view key) {
  Op& op = ops_.emplace_back();
  op.kind = Op::Kind::kDeleteRecord;
  op.partition = partition;
  op.key = AppendRecordKey(partition, key);
  op.key_hash = MerkleKeyHash(key);
}

void WriteBatch::PutHint(Hint hint) {
  Op& op = ops_.emplace_back();
  op.kind = Op::Kind::kPutHint;
  op.partition = hint.partition;
  op.target = hint.target;
  op.key = Append(hint.key);
  op.hint_record = std::make_unique<Record>(std::move(hint.record));
  op.created_wall_micros = hint.created_wall_micros;
}

void WriteBatch::DeleteHint(NodeId target, PartitionId partition, absl::string_view key) {
  Op& op = ops_.emplace_back();
  op.kind = Op::Kind::kDeleteHint;
  op.partition = partition;
  op.target = target;
  op.key = Append(key);
}

void WriteBatch::PutMeta(absl::string_view name, absl::string_view value) {
  Op& op = ops_.emplace_back();
  op.kind = Op::Kind::kPutMeta;
  op.key = Append(name);
  op.value = Append(value);
}

// ---- Impl ----

struct Engine::Impl {
  struct Pending {
    WriteBatch batch;
    // Update's key lock: released as soon as the write is applied (visible to reads), before
    // its fsync, so the next update of the same key can join the same sync.
    std::optional<KeyLocks::Guard> guard;
    // Set once a leader has answered it (Settle).
    bool settled = false;
    absl::Status status;
    // Where its writer waits (on the writer's stack), for its answer or for its turn to lead.
    Waiter* waiting = nullptr;
  };

  Impl(Runtime& runtime, const EngineOptions& opts)
      : rt(runtime), options(opts), shape(ShapeFor(opts.merkle_leaves)) {}

  absl::Status OpenDb();
  // kInterval: refuses a database whose WAL lost synced writes; then records the present state.
  absl::Status CheckWatermark();
  absl::Status SyncWalAndMark();
  absl::Status RebuildTrees();
  absl::Status CountHints();
  // Group commit, leader style (as LevelDB's writer queue): a writer that finds no leader commits
  // the queue, group after group, until it is empty; the others wait for their group's result.
  // An uncontended write thus costs no fiber switch.
  void Lead();
  // Answers every write in flight with `status` and releases their key locks.
  void Settle(const absl::Status& status);
  void SyncLoop();
  // Applies `group` in one RocksDB write; with `sync`, fsyncs the WAL as part of it.
  absl::Status CommitGroup(absl::Span<const std::shared_ptr<Pending>> group, bool sync);
  // A record op of a group being committed, with the digests the Merkle tree holds for its key
  // before and after it.
  struct RecordOp {
    const WriteBatch::Op* op = nullptr;
    absl::string_view key;  // the op's RocksDB key (in its batch's bytes)
    std::optional<uint64_t> old_digest;
    std::optional<uint64_t> new_digest;
  };
  using RecordOps = absl::InlinedVector<RecordOp, kGroupRecordOpsInline>;
  // Appends the record ops of `group` with their new digests; returns about how many bytes the
  // group's RocksDB batch will take.
  size_t StageRecordOps(absl::Span<const std::shared_ptr<Pending>> group, RecordOps* record_ops);
  // Sets each op's old_digest (ops in group order, new_digest set): the previous op's new digest
  // on the same key in this group, else the op's own known old digest, else none if the key
  // filter says the key is absent, else the stored record's (one read, or MultiGets in key order
  // for all).
  void OldDigests(absl::Span<RecordOp> ops);
  // The digest of the stored record of each key (nullopt: absent or unreadable, which the tree
  // leaves out too). REQUIRES: keys distinct and in ascending byte order.
  void ReadDigests(absl::Span<const rocksdb::Slice> keys,
                   absl::Span<std::optional<uint64_t>* const> out);
  absl::StatusOr<bool> HintExists(const std::string& hint_key);
  MerkleTree& Tree(PartitionId p) {
    std::unique_ptr<MerkleTree>& tree = trees[p];
    if (tree == nullptr) tree = std::make_unique<MerkleTree>(shape);
    return *tree;
  }
  void CloseDb();

  Runtime& rt;
  EngineOptions options;
  MerkleShape shape;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* records = nullptr;
  rocksdb::ColumnFamilyHandle* hints = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  ExpiryFilterStats filter_stats;
  std::unique_ptr<rocksdb_env::FlushTrigger> flush_trigger;
  std::unique_ptr<SyncWatermark> watermark;
  // Looked up, never iterated. Trees are boxed: merkle() hands out references that must
  // survive rehashing.
  absl::flat_hash_map<PartitionId, std::unique_ptr<MerkleTree>> trees;
  KeyLocks key_locks;
  // Every record key stored (by FilterHash), and more: a key it does not contain is absent.
  // Built at open from the keys on disk; a put of a key believed absent adds it before its write.
  KeyFilter key_filter;

  std::deque<std::shared_ptr<Pending>> queue;
  bool leading = false;
  std::vector<std::shared_ptr<Pending>> in_flight;  // the group the leader is committing
  absl::Status in_flight_status;
  bool in_flight_durable = false;  // what is in flight was synced (or needs no sync)
  FiberHandle syncer;
  bool closing = false;
  bool closed = false;
  absl::Status failure;
  EngineStats stats;
};

absl::Status Engine::Impl::OpenDb() {
  // The engine reads none of RocksDB's per-thread perf counters, and counting them (on by
  // default) costs thread-local accesses in every key comparison: about 2 % of a simulated
  // cluster's run. The level is per thread; every engine call runs on this one.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::Options db_options;
  if (options.seam_env != nullptr) {
    table.block_cache = rocksdb_env::NewDeterministicBlockCache(options.block_cache_bytes);
    db_options = rocksdb_env::SeamOptions(options.seam_env, table);
  } else {
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // RocksDB flushes a memtable of this size itself (the seam env's flush trigger does it in a
    // simulated run).
    db_options.write_buffer_size = options.memtable_flush_bytes;
  }
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // WAL replay after a crash (measured with tests/storage/engine_crash_test.cc, bit flips on):
  //  - kSync: every acknowledged write is in the synced part of the WAL, so a bad record anywhere
  //    but in a torn tail is a corruption that must not be skipped: kTolerateCorruptedTailRecords
  //    fails the open with DATA_LOSS instead. (kPointInTimeRecovery silently dropped acknowledged
  //    writes behind a flipped bit.)
  //  - kInterval: the contract already allows losing a suffix, and a crash often tears the
  //    unsynced tail with garbage, which kTolerateCorruptedTailRecords reports as corruption
  //    (refusing to start after an ordinary crash): kPointInTimeRecovery replays up to the first
  //    bad record, losing only a suffix.
  db_options.wal_recovery_mode = options.durability == Durability::kSync
                                     ? rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords
                                     : rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  rocksdb::ColumnFamilyOptions cf_options(db_options);
  rocksdb::ColumnFamilyOptions records_options(db_options);
  // A bloom filter over memtable keys: the Merkle update's lookup of a new key's old record (most
  // puts) skips the skiplist search.
  // Sized at 5 % of a memtable as the engine fills it (the seam env puts RocksDB's own memtable
  // size out of reach, and the filter is allocated from that size: 0.05 of it was 800 MiB).
  records_options.memtable_whole_key_filtering = true;
  records_options.memtable_prefix_bloom_size_ratio =
      0.05 * std::min(1.0, static_cast<double>(options.memtable_flush_bytes) /
                               static_cast<double>(records_options.write_buffer_size));
  records_options.compaction_filter_factory = std::make_shared<ExpiryFilterFactory>(
      &rt.clock(), options.tombstone_grace, &filter_stats);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kRecordsCf, records_options},
      {kHintsCf, cf_options},
      {kMetaCf, cf_options},
  };
  // A new database is opened with the default family alone and given the others in one
  // CreateColumnFamilies call: RocksDB writes its OPTIONS file (serialised, then parsed back to
  // verify; most of an open's cost) twice, where create_missing_column_families writes it once
  // per family and once more. A crash in between leaves a database with CURRENT, which the
  // second branch completes.
  // Before RocksDB reads the MANIFEST and replays the WAL: a synced record whose length field was
  // damaged would look like a torn tail and be dropped silently (log_tail.h). Under kInterval the
  // WAL's replay stops at its first bad record and the sync watermark judges what was lost.
  RETURN_IF_ERROR(CheckLogTails(db_options.env->GetFileSystem().get(), options.dir,
                                /*wals=*/options.durability == Durability::kSync));
  const bool fresh = db_options.env->FileExists(options.dir + "/CURRENT").IsNotFound();
  const std::string opening = absl::StrCat("opening the database at ", options.dir);
  if (fresh) {
    // The directory must outlive a crash before anything acknowledged lives in it, and RocksDB
    // syncs only the directory itself, never the one holding it (nor does a CreateDirIfMissing
    // that finds it there after an earlier try's failed sync: the crash property's
    // sync_disk_faults seed 6618 lost every write when /db vanished at the first crash).
    rocksdb::FileSystem* fs = db_options.env->GetFileSystem().get();
    RETURN_IF_ERROR(FromRocksDb(fs->CreateDirIfMissing(options.dir, rocksdb::IOOptions(), nullptr),
                                opening));
    RETURN_IF_ERROR(SyncDir(fs, storage::ParentDir(options.dir), opening));
    RETURN_IF_ERROR(FromRocksDb(
        rocksdb::DB::Open(db_options, options.dir, {descriptors[0]}, &handles, &db), opening));
    std::vector<rocksdb::ColumnFamilyHandle*> created;
    const rocksdb::Status s =
        db->CreateColumnFamilies({descriptors.begin() + 1, descriptors.end()}, &created);
    handles.insert(handles.end(), created.begin(), created.end());  // closed with the rest
    RETURN_IF_ERROR(FromRocksDb(s, opening));
  } else {
    RETURN_IF_ERROR(FromRocksDb(
        rocksdb::DB::Open(db_options, options.dir, descriptors, &handles, &db), opening));
  }
  KV_ASSERT(handles.size() == descriptors.size());
  records = handles[1];
  hints = handles[2];
  meta = handles[3];
  watermark = std::make_unique<SyncWatermark>(db->GetFileSystem(), options.dir);
  if (options.seam_env != nullptr) {
    rocksdb_env::FlushTriggerOptions trigger;
    trigger.memtable_bytes_limit = options.memtable_flush_bytes;
    flush_trigger = std::make_unique<rocksdb_env::FlushTrigger>(db, options.seam_env, trigger,
                                                                records);
  }
  return absl::OkStatus();
}

absl::Status Engine::Impl::CheckWatermark() {
  ASSIGN_OR_RETURN(std::optional<uint64_t> synced, watermark->Read());
  const uint64_t recovered = db->GetLatestSequenceNumber();
  if (synced.has_value() && recovered < *synced) {
    return absl::DataLossError(absl::StrCat(
        "the WAL lost writes that had been synced: recovered up to sequence ", recovered,
        ", synced up to ", *synced, "; refusing to serve a database missing acknowledged writes"));
  }
  return watermark->Write(recovered);
}

absl::Status Engine::Impl::SyncWalAndMark() {
  const uint64_t sequence = db->GetLatestSequenceNumber();
  RETURN_IF_ERROR(FromRocksDb(db->SyncWAL(), "syncing the WAL"));
  return watermark->Write(sequence);
}

absl::Status Engine::Impl::RebuildTrees() {
  // Sized by RocksDB's estimate of the keys (records, and tombstones of removed ones); the filter
  // grows if there are more.
  uint64_t estimated_keys = 0;
  if (!db->GetIntProperty(records, "rocksdb.estimate-num-keys", &estimated_keys)) {
    estimated_keys = 0;
  }
  key_filter = KeyFilter(estimated_keys + estimated_keys / 2);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    PartitionId partition;
    absl::string_view key;
    if (!ParseRecordKey(View(it->key()), &partition, &key)) {
      return absl::DataLossError("malformed record key in the database");
    }
    const uint64_t key_hash = MerkleKeyHash(key);
    // Corrupt records too: reads of them must find them and report DATA_LOSS.
    key_filter.Add(FilterHash(partition, key_hash));
    absl::StatusOr<Record> record = DecodeRecord(View(it->value()));
    if (!record.ok()) continue;  // the tree leaves it out
    Tree(partition).UpdateHashed(key_hash, std::nullopt, TreeDigest(*record));
  }
  return FromRocksDb(it->status(), "scanning records at open");
}

absl::Status Engine::Impl::CountHints() {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), hints));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++stats.hints;
  return FromRocksDb(it->status(), "counting hints at open");
}

void Engine::Impl::CloseDb() {
  if (db == nullptr) return;  // never opened
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
  handles.clear();
  delete db;
  db = nullptr;
}

void Engine::Impl::OldDigests(absl::Span<RecordOp> ops) {
  const size_t n = ops.size();
  if (n == 0) return;
  if (n == 1) {  // most groups: one update, whose old digest is known
    RecordOp& only = ops[0];
    if (only.op->old_digest_known) {
      only.old_digest = only.op->old_digest;
    } else if (!key_filter.MayContain(FilterHash(only.op->partition, only.op->key_hash))) {
      ++stats.reads_skipped;  // absent: no old digest
    } else {
      const rocksdb::Slice key(only.key.data(), only.key.size());
      std::optional<uint64_t>* out = &only.old_digest;
      ReadDigests(absl::MakeConstSpan(&key, 1), absl::MakeConstSpan(&out, 1));
    }
    return;
  }
  // The ops in key order, ties in group order, so each op's predecessor on its key comes just
  // before it, and the keys to read come out sorted as MultiGet wants them. Sorted by the keys'
  // first 8 bytes as one integer first: most comparisons then need no memcmp.
  struct Sorted {
    uint64_t prefix;  // the key's first 8 bytes, big-endian, zero-padded
    uint32_t index;   // into ops
  };
  absl::InlinedVector<Sorted, kGroupRecordOpsInline> order(n);
  for (uint32_t i = 0; i < n; ++i) {
    const absl::string_view key = ops[i].key;
    unsigned char bytes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(bytes, key.data(), std::min<size_t>(key.size(), 8));
    uint64_t prefix = 0;
    for (unsigned char b : bytes) prefix = prefix << 8 | b;
    order[i] = Sorted{prefix, i};
  }
  std::sort(order.begin(), order.end(), [&](const Sorted& a, const Sorted& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const int c = ops[a.index].key.compare(ops[b.index].key);
    return c != 0 ? c < 0 : a.index < b.index;
  });
  absl::InlinedVector<rocksdb::Slice, kGroupRecordOpsInline> missing;
  absl::InlinedVector<std::optional<uint64_t>*, kGroupRecordOpsInline> missing_out;
  const RecordOp* previous = nullptr;
  for (const Sorted& s : order) {
    RecordOp& r = ops[s.index];
    if (previous != nullptr && previous->key == r.key) {
      r.old_digest = previous->new_digest;
    } else if (r.op->old_digest_known) {
      r.old_digest = r.op->old_digest;
    } else if (!key_filter.MayContain(FilterHash(r.op->partition, r.op->key_hash))) {
      ++stats.reads_skipped;  // absent: no old digest
    } else {
      missing.emplace_back(r.key.data(), r.key.size());
      missing_out.push_back(&r.old_digest);
    }
    previous = &r;
  }
  if (!missing.empty()) ReadDigests(missing, missing_out);
}

void Engine::Impl::ReadDigests(absl::Span<const rocksdb::Slice> keys,
                               absl::Span<std::optional<uint64_t>* const> out) {
  KV_ASSERT(keys.size() == out.size());
  if (keys.size() == 1) {  // MultiGet's set-up costs more than it saves for one key
    rocksdb::PinnableSlice value;
    if (db->Get(rocksdb::ReadOptions(), records, keys[0], &value).ok()) {
      absl::StatusOr<Record> record = DecodeRecord(View(value));
      if (record.ok()) *out[0] = TreeDigest(*record);
    }
    return;
  }
  // In slices of MultiGet's own batch size: its key contexts then stay on the stack (a bigger
  // call allocates them), and so do the values here. RocksDB splits a bigger call the same way.
  const rocksdb::ReadOptions read_options;
  std::array<rocksdb::PinnableSlice, kMultiGetBatchMax> values;
  std::array<rocksdb::Status, kMultiGetBatchMax> statuses;
  for (size_t first = 0; first < keys.size(); first += kMultiGetBatchMax) {
    const size_t count = std::min(kMultiGetBatchMax, keys.size() - first);
    db->MultiGet(read_options, records, count, keys.data() + first, values.data(),
                 statuses.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < count; ++i) {
      if (statuses[i].ok()) {
        absl::StatusOr<Record> record = DecodeRecord(View(values[i]));
        if (record.ok()) *out[first + i] = TreeDigest(*record);
      }
      values[i].Reset();
    }
  }
}

absl::StatusOr<bool> Engine::Impl::HintExists(const std::string& hint_key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), hints, hint_key, &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(FromRocksDb(s, "reading a hint"));
  return true;
}

size_t Engine::Impl::StageRecordOps(absl::Span<const std::shared_ptr<Pending>> group,
                                    RecordOps* record_ops) {
  size_t op_count = 0;
  for (const std::shared_ptr<Pending>& pending : group) op_count += pending->batch.size();
  record_ops->reserve(op_count);
  size_t batch_bytes = 0;
  for (const std::shared_ptr<Pending>& pending : group) {
    const WriteBatch& batch = pending->batch;
    batch_bytes += batch.bytes_.size() + 16 * batch.size();
    for (const WriteBatch::Op& op : batch.ops_) {
      if (op.is_record()) {
        record_ops->push_back(RecordOp{&op, batch.key(op), std::nullopt, op.new_digest});
      }
    }
  }
  return batch_bytes;
}

absl::Status Engine::Impl::CommitGroup(absl::Span<const std::shared_ptr<Pending>> group,
                                       bool sync) {
  if (!failure.ok()) return failure;
  // The record ops, in op order, with the digests they leave and find.
  RecordOps record_ops;
  const size_t batch_bytes = StageRecordOps(group, &record_ops);
  OldDigests(absl::MakeSpan(record_ops));
  // Before the write: once RocksDB has a key, the filter must say it may be there. (A put whose
  // key has an old digest is in already; re-adding would only use up the filter's capacity.)
  for (const RecordOp& r : record_ops) {
    if (r.op->kind == WriteBatch::Op::Kind::kPutRecord && !r.old_digest.has_value()) {
      key_filter.Add(FilterHash(r.op->partition, r.op->key_hash));
    }
  }
  rocksdb::WriteBatch batch(batch_bytes);
  absl::btree_map<std::string, bool> hint_staged;  // hint key -> exists after the op
  int64_t hint_delta = 0;
  size_t ops = 0;
  for (const std::shared_ptr<Pending>& pending : group) {
    const WriteBatch& ops_batch = pending->batch;
    for (const WriteBatch::Op& op : ops_batch.ops_) {
      ++ops;
      const absl::string_view op_key = ops_batch.key(op);
      const rocksdb::Slice key(op_key.data(), op_key.size());
      switch (op.kind) {
        case WriteBatch::Op::Kind::kPutRecord:
          batch.Put(records, key, Slice(ops_batch.value(op)));  // encoded by PutRecord
          break;
        case WriteBatch::Op::Kind::kDeleteRecord:
          batch.Delete(records, key);
          break;
        case WriteBatch::Op::Kind::kPutHint:
        case WriteBatch::Op::Kind::kDeleteHint: {
          const bool put = op.kind == WriteBatch::Op::Kind::kPutHint;
          std::string hk = HintKey(op.target, op.partition, op_key);
          bool existed;
          auto staged_it = hint_staged.find(hk);
          if (staged_it != hint_staged.end()) {
            existed = staged_it->second;
          } else {
            ASSIGN_OR_RETURN(existed, HintExists(hk));
          }
          hint_delta += (put ? 1 : 0) - (existed ? 1 : 0);
          hint_staged[hk] = put;
          if (put) {
            batch.Put(hints, hk, EncodeHintValue(op.created_wall_micros, *op.hint_record));
          } else {
            batch.Delete(hints, hk);
          }
          break;
        }
        case WriteBatch::Op::Kind::kPutMeta:
          batch.Put(meta, key, Slice(ops_batch.value(op)));
          break;
      }
    }
  }
  // Applied now (WAL written, memtable updated: visible to reads). A synced write also makes
  // every group applied before it durable: RocksDB syncs the whole WAL (Lead).
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  absl::Status written = FromRocksDb(db->Write(write_options, &batch), "writing to the WAL");
  ++stats.commit_groups;
  if (!written.ok()) {
    // RocksDB refuses further writes after a failed WAL write or sync; so do we, saying why.
    failure = absl::UnavailableError(
        absl::StrCat("storage failed (restart the node to recover): ", written.message()));
    return written;
  }
  stats.ops_committed += ops;
  for (const RecordOp& r : record_ops) {
    Tree(r.op->partition).UpdateHashed(r.op->key_hash, r.old_digest, r.new_digest);
  }
  stats.hints = static_cast<uint64_t>(static_cast<int64_t>(stats.hints) + hint_delta);
  if (flush_trigger != nullptr) {
    const uint64_t requested_before = flush_trigger->flushes_requested();
    (void)flush_trigger->Account(batch.GetDataSize());  // a failed flush surfaces on later writes
    stats.flushes_requested += flush_trigger->flushes_requested() - requested_before;
  }
  return absl::OkStatus();
}

void Engine::Impl::Lead() {
  KV_ASSERT(!leading);
  leading = true;
  // Runs however Lead ends. Normally nothing is in flight then. If the leader's fiber is unwound
  // (cancelled at a yield or while it models the fsync), the groups in flight get the status so
  // far (applied but never synced: an error, as after a crash), and the oldest writer still
  // queued is woken to lead in its own fiber (no new fiber: a shutdown that cancels every fiber
  // must not keep finding new ones).
  struct Abdicate {
    Impl* impl;
    ~Abdicate() {
      impl->leading = false;
      const absl::Status status =
          impl->in_flight_status.ok() && !impl->in_flight_durable
              ? absl::UnavailableError("the commit was interrupted before its fsync")
              : impl->in_flight_status;
      impl->Settle(status);
      // (The unwinding leader's own write may be first, not waiting: its writer drops it.)
      for (const std::shared_ptr<Pending>& p : impl->queue) {
        if (p->waiting != nullptr) {
          p->waiting->Wake();
          break;
        }
      }
    }
  } abdicate{this};
  const bool sync = options.durability == Durability::kSync;
  // Writers that are ready to run (request handlers woken by the same burst of messages, the
  // next update of a key whose lock a group just released) join a group only if the leader lets
  // them run first: when another fiber is ready, it yields before each group. A lone writer
  // (nothing else ready) commits at once.
  //  - kSync, where the fsync itself takes the time (real mode): it blocks the thread, and each
  //    writer left out would pay its own fsync, so the leader also lets the event loop poll for
  //    input once (YieldToPoll): measured with redis-benchmark -c 50, 50,000 SETs took ~1,100
  //    fsyncs this way and ~2,300 with a plain Yield. (With a modelled sync latency, writers
  //    queue while the leader sleeps instead.)
  //  - kInterval: each group costs one WAL write (a system call) and one pass of RocksDB's write
  //    path, however many writers share it; the fibers already ready (the handlers of one poll's
  //    input) join for the price of a fiber switch (Yield).
  const bool yield = sync && options.modelled_sync_latency == absl::ZeroDuration();
  while (!queue.empty()) {
    // Apply group after group while writers keep coming, up to group_commit_ops_max operations;
    // the last group's write syncs the WAL, making them all durable with one fsync.
    in_flight_status = absl::OkStatus();
    in_flight_durable = false;
    size_t ops = 0;
    bool synced = !sync;
    if (OtherFibersReady()) {
      if (yield) {
        YieldToPoll();
      } else if (!sync) {
        Yield();
      }
    }
    while (true) {
      const size_t first = in_flight.size();
      while (!queue.empty() && (ops == 0 || ops + queue.front()->batch.size() <=
                                                options.group_commit_ops_max)) {
        ops += queue.front()->batch.size();
        in_flight.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      if (in_flight.size() == first) break;
      const absl::Span<const std::shared_ptr<Pending>> group =
          absl::MakeConstSpan(in_flight).subspan(first);
      // Another group can join this fsync only if someone runs before it: at a yield, where
      // fibers waiting for a key lock this group releases take their turn. Otherwise this
      // group is the last, and its own write syncs.
      bool more = false;
      if (sync && yield && ops < options.group_commit_ops_max) {
        for (const std::shared_ptr<Pending>& p : group) {
          if (p->guard.has_value() && p->guard->contended()) more = true;
        }
      }
      const bool sync_now = sync && !more;
      in_flight_status = CommitGroup(group, sync_now);
      if (!in_flight_status.ok()) break;
      if (sync_now) {
        synced = true;
        ++stats.wal_syncs;
      }
      for (const std::shared_ptr<Pending>& p : group) p->guard.reset();
      if (!more) break;
      // The locks just released wake the next updates of those keys: let them queue too.
      YieldToPoll();
    }
    if (in_flight_status.ok() && !synced) {
      in_flight_status = FromRocksDb(db->SyncWAL(), "syncing the WAL");
      ++stats.wal_syncs;
      if (!in_flight_status.ok()) {
        failure = absl::UnavailableError(absl::StrCat(
            "storage failed (restart the node to recover): ", in_flight_status.message()));
      }
    }
    if (in_flight_status.ok() && sync && options.modelled_sync_latency > absl::ZeroDuration()) {
      in_flight_durable = true;
      // Writers arriving while the fsync takes its time queue up and form the next group.
      FiberSleep(options.modelled_sync_latency);
    }
    in_flight_durable = true;
    Settle(in_flight_status);
  }
}

void Engine::Impl::Settle(const absl::Status& status) {
  for (const std::shared_ptr<Pending>& p : in_flight) {
    p->guard.reset();
    p->settled = true;
    p->status = status;
    if (p->waiting != nullptr) p->waiting->Wake();
  }
  in_flight.clear();
}

void Engine::Impl::SyncLoop() {
  while (!closing) {
    FiberSleep(options.sync_interval);
    if (closing || !failure.ok()) continue;
    absl::Status s = SyncWalAndMark();
    ++stats.wal_syncs;
    if (!s.ok()) {
      failure = absl::UnavailableError(
          absl::StrCat("storage failed (restart the node to recover): ", s.message()));
    }
  }
}

// ---- Engine ----

Engine::Engine(std::unique_ptr<Impl> impl) : options_(impl->options), impl_(std::move(impl)) {}

Engine::~Engine() {
  if (impl_ == nullptr || impl_->db == nullptr) return;
  // No Close: a crash. The process's fibers were cancelled first; nothing is synced here.
  KV_ASSERT_MSG(!impl_->leading && impl_->syncer.done(),
                "Engine destroyed without Close while its fibers run");
  impl_->CloseDb();
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(Runtime& rt, EngineOptions options) {
  RETURN_IF_ERROR(ValidateEngineOptions(options));
  auto impl = std::make_unique<Impl>(rt, options);
  absl::Status loaded = impl->OpenDb();  // may fail with the database open (CloseDb below)
  if (loaded.ok() && options.durability == Durability::kInterval) loaded = impl->CheckWatermark();
  if (loaded.ok()) loaded = impl->RebuildTrees();
  if (loaded.ok()) loaded = impl->CountHints();
  if (!loaded.ok()) {
    impl->CloseDb();
    return loaded;
  }
  Impl* raw = impl.get();
  if (options.durability == Durability::kInterval) {
    raw->syncer = rt.Spawn("storage-wal-sync", [raw] { raw->SyncLoop(); });
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

absl::Status Engine::Close() {
  KV_ASSERT_MSG(!impl_->closed, "Engine closed twice");
  KV_ASSERT_MSG(impl_->queue.empty() && !impl_->leading, "Engine::Close during a write");
  impl_->closing = true;
  impl_->syncer.Cancel();
  impl_->syncer.Join();
  absl::Status status = absl::OkStatus();
  if (options_.durability == Durability::kInterval && impl_->failure.ok()) {
    status = impl_->SyncWalAndMark();
  }
  if (options_.seam_env != nullptr) options_.seam_env->WaitForBackgroundJobs();
  for (rocksdb::ColumnFamilyHandle* h : impl_->handles) impl_->db->DestroyColumnFamilyHandle(h);
  impl_->handles.clear();
  absl::Status closed = FromRocksDb(impl_->db->Close(), "closing the database");
  delete impl_->db;
  impl_->db = nullptr;
  impl_->closed = true;
  return status.ok() ? closed : status;
}

absl::Status Engine::Validate(const WriteBatch& batch) const {
  for (const WriteBatch::Op& op : batch.ops_) {
    if (op.kind == WriteBatch::Op::Kind::kPutMeta) {
      if (op.key.size == 0) return absl::InvalidArgumentError("empty metadata name");
      continue;
    }
    const absl::string_view key = batch.client_key(op);
    if (key.empty()) return absl::InvalidArgumentError("empty key");
    if (key.size() > options_.key_bytes_max) {
      return absl::InvalidArgumentError(absl::StrCat("key of ", key.size(),
                                                     " bytes exceeds the maximum of ",
                                                     options_.key_bytes_max, " bytes"));
    }
    if (op.kind == WriteBatch::Op::Kind::kPutRecord) {
      // Checked when the op was added (WriteBatch::AddRecord).
      RETURN_IF_ERROR(ValidateValues(op.longest_value_bytes, op.record_status));
    } else if (op.kind == WriteBatch::Op::Kind::kPutHint) {
      size_t longest = 0;
      for (const Sibling& s : op.hint_record->siblings()) {
        longest = std::max(longest, s.value().size());
      }
      RETURN_IF_ERROR(ValidateValues(longest, ValidateRecord(*op.hint_record)));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::ValidateValues(size_t longest_value_bytes,
                                    const absl::Status& record_status) const {
  if (longest_value_bytes > options_.value_bytes_max) {
    return absl::InvalidArgumentError(absl::StrCat("value of ", longest_value_bytes,
                                                   " bytes exceeds the maximum of ",
                                                   options_.value_bytes_max, " bytes"));
  }
  if (!record_status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed record: ", record_status.message()));
  }
  return absl::OkStatus();
}

absl::Status Engine::Write(WriteBatch batch) { return Submit(std::move(batch), std::nullopt); }

absl::Status Engine::Submit(WriteBatch batch, std::optional<KeyLocks::Guard> guard) {
  RETURN_IF_ERROR(Validate(batch));
  KV_ASSERT_MSG(!impl_->closing, "Engine::Write after Close");
  if (!impl_->failure.ok()) {
    ++impl_->stats.writes_failed;
    return impl_->failure;
  }
  if (batch.empty()) return absl::OkStatus();
  auto pending = std::make_shared<Impl::Pending>();
  pending->batch = std::move(batch);
  if (guard.has_value()) pending->guard.emplace(std::move(*guard));
  impl_->queue.push_back(pending);  // kept here too, to read the answer
  // If this fiber is unwound (cancelled) before a leader took the write, the write is dropped
  // unapplied: nobody waits for it any more.
  struct Abandon {
    Impl* impl;
    Impl::Pending* pending;
    ~Abandon() {
      pending->waiting = nullptr;
      if (pending->settled) return;
      auto it = std::find_if(impl->queue.begin(), impl->queue.end(),
                             [this](const auto& p) { return p.get() == pending; });
      if (it != impl->queue.end()) impl->queue.erase(it);
    }
  } abandon{impl_.get(), pending.get()};
  while (!pending->settled) {
    if (!impl_->leading) {
      impl_->Lead();  // commits this write (and any queued behind it)
      continue;
    }
    Waiter w;  // woken by Settle, or by a leader that was unwound and hands over
    pending->waiting = &w;
    w.Wait();
    pending->waiting = nullptr;
  }
  if (!pending->status.ok()) {
    ++impl_->stats.writes_failed;
    return pending->status;
  }
  ++impl_->stats.writes;
  return absl::OkStatus();
}

absl::Status Engine::Put(PartitionId partition, absl::string_view key, Record record) {
  WriteBatch batch;
  batch.PutRecord(partition, key, std::move(record));
  return Write(std::move(batch));
}

absl::StatusOr<std::optional<Record>> Engine::Get(PartitionId partition, absl::string_view key) {
  RETURN_IF_ERROR(CheckReadKey(key, options_.key_bytes_max));
  std::optional<Record> record(std::in_place);
  ASSIGN_OR_RETURN(const bool found, ReadHashed(partition, key, MerkleKeyHash(key), &*record));
  if (!found) record.reset();
  return record;
}

absl::StatusOr<bool> Engine::GetEncoded(PartitionId partition, absl::string_view key,
                                        std::string* out) {
  RETURN_IF_ERROR(CheckReadKey(key, options_.key_bytes_max));
  rocksdb::PinnableSlice value;
  ASSIGN_OR_RETURN(const bool found, ReadStored(partition, key, MerkleKeyHash(key), &value));
  if (!found) return false;
  RETURN_IF_ERROR(CorruptRead(key, CheckRecordEnvelope(View(value))));
  out->assign(value.data(), value.size());
  return true;
}

absl::StatusOr<bool> Engine::ReadStored(PartitionId partition, absl::string_view key,
                                        uint64_t key_hash, rocksdb::PinnableSlice* value) {
  if (!impl_->key_filter.MayContain(FilterHash(partition, key_hash))) {
    ++impl_->stats.reads_skipped;
    return false;
  }
  // Pinned in the block cache or memtable: no copy.
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->records, RecordKey(partition, key), value);
  if (s.IsNotFound()) return false;
  absl::Status read = FromRocksDb(s, absl::StrCat("reading key '", key, "'"));
  if (!read.ok()) {
    if (read.code() == absl::StatusCode::kDataLoss) ++impl_->stats.corrupt_reads;
    return read;
  }
  return true;
}

absl::StatusOr<bool> Engine::ReadHashed(PartitionId partition, absl::string_view key,
                                        uint64_t key_hash, Record* out) {
  rocksdb::PinnableSlice value;
  ASSIGN_OR_RETURN(const bool found, ReadStored(partition, key, key_hash, &value));
  if (!found) return false;
  RETURN_IF_ERROR(CorruptRead(key, DecodeRecordInto(View(value), out)));
  return true;
}

absl::Status Engine::CorruptRead(absl::string_view key, const absl::Status& checked) {
  if (checked.ok()) return checked;
  ++impl_->stats.corrupt_reads;
  return absl::DataLossError(
      absl::StrCat("record of key '", key, "' is corrupt: ", checked.message()));
}

absl::StatusOr<std::optional<Record>> Engine::Update(PartitionId partition, absl::string_view key,
                                                     const UpdateFn& fn) {
  RETURN_IF_ERROR(CheckReadKey(key, options_.key_bytes_max));
  const uint64_t key_hash = MerkleKeyHash(key);  // hashed once: lock, filter and tree
  KeyLocks::Guard guard = impl_->key_locks.Lock(FilterHash(partition, key_hash));
  // The current record is only read (by fn, and for its digest): decoded on a scratch arena.
  ScratchArena<> scratch;
  Record* current = scratch.Make<Record>();
  ASSIGN_OR_RETURN(const bool found, ReadHashed(partition, key, key_hash, current));
  if (!found) current = nullptr;
  ASSIGN_OR_RETURN(std::optional<Record> next, fn(current));
  WriteBatch batch;
  const bool put = next.has_value();
  if (put) {
    batch.AddRecord(partition, key, key_hash, *next);  // encoded now: `next` is returned as stored
  } else if (current != nullptr) {
    batch.DeleteRecord(partition, key);
  }
  if (!batch.empty()) {
    // Under the key's lock, the record just read is what the tree holds.
    WriteBatch::Op& op = batch.ops_.back();
    op.old_digest_known = true;
    op.old_digest = current != nullptr ? TreeDigest(*current) : std::nullopt;
  }
  // The lock goes with the write: released once it is applied, before its fsync.
  RETURN_IF_ERROR(Submit(std::move(batch), std::move(guard)));
  return next;  // nullopt if removed
}

absl::Status Engine::ScanPartition(
    PartitionId partition, absl::FunctionRef<bool(absl::string_view key, const Record&)> fn,
    absl::string_view start_after) {
  const std::string start =
      start_after.empty() ? PartitionStart(partition) : RecordKey(partition, start_after);
  const std::string end = PartitionEnd(partition);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->records));
  for (it->Seek(start); it->Valid(); it->Next()) {
    PartitionId p;
    absl::string_view key;
    if (!ParseRecordKey(View(it->key()), &p, &key) || p != partition) break;
    if (!start_after.empty() && key == start_after) continue;
    absl::StatusOr<Record> record = DecodeRecord(View(it->value()));
    if (!record.ok()) {
      ++impl_->stats.corrupt_reads;
      return absl::DataLossError(absl::StrCat("record of key '", key, "' in partition ", partition,
                                              " is corrupt: ", record.status().message()));
    }
    if (!fn(key, *record)) return absl::OkStatus();
  }
  return FromRocksDb(it->status(), absl::StrCat("scanning partition ", partition));
}

absl::StatusOr<std::vector<Hint>> Engine::HintsFor(NodeId target, size_t limit) {
  const std::string start = HintTargetStart(target);
  const std::string end = HintTargetEnd(target);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->hints));
  std::vector<Hint> out;
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    Hint hint;
    absl::string_view key;
    if (!ParseHintKey(View(it->key()), &hint.target, &hint.partition, &key)) {
      return absl::DataLossError("malformed hint key in the database");
    }
    hint.key = std::string(key);
    absl::StatusOr<std::pair<int64_t, Record>> value = DecodeHintValue(View(it->value()));
    if (!value.ok()) {
      return absl::DataLossError(absl::StrCat("hint for node ", target, " key '", key,
                                              "' is corrupt: ", value.status().message()));
    }
    hint.created_wall_micros = value->first;
    hint.record = std::move(value->second);
    out.push_back(std::move(hint));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), absl::StrCat("reading hints for node ", target)));
  return out;
}

absl::StatusOr<std::optional<Hint>> Engine::GetHint(NodeId target, PartitionId partition,
                                                    absl::string_view key) {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->hints,
                                     HintKey(target, partition, key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocksDb(s, absl::StrCat("reading the hint of '", key, "'")));
  absl::StatusOr<std::pair<int64_t, Record>> decoded = DecodeHintValue(value);
  if (!decoded.ok()) {
    ++impl_->stats.corrupt_reads;
    return absl::DataLossError(absl::StrCat("hint for node ", target, " key '", key,
                                            "' is corrupt: ", decoded.status().message()));
  }
  return Hint{target, partition, std::string(key), std::move(decoded->second), decoded->first};
}

absl::Status Engine::UpdateHint(NodeId target, PartitionId partition, absl::string_view key,
                                int64_t created_wall_micros, const UpdateFn& fn) {
  KeyLocks::Guard guard = impl_->key_locks.Lock(HintLockName(HintKey(target, partition, key)));
  ASSIGN_OR_RETURN(std::optional<Hint> current, GetHint(target, partition, key));
  ASSIGN_OR_RETURN(std::optional<Record> next,
                   fn(current.has_value() ? &current->record : nullptr));
  WriteBatch batch;
  if (next.has_value()) {
    batch.PutHint(Hint{target, partition, std::string(key), *std::move(next),
                       current.has_value() ? current->created_wall_micros : created_wall_micros});
  } else if (current.has_value()) {
    batch.DeleteHint(target, partition, key);
  }
  return Submit(std::move(batch), std::move(guard));
}

absl::StatusOr<absl::btree_map<NodeId, uint64_t>> Engine::HintCounts() {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->hints));
  absl::btree_map<NodeId, uint64_t> counts;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    NodeId target;
    PartitionId partition;
    absl::string_view key;
    if (!ParseHintKey(View(it->key()), &target, &partition, &key)) {
      return absl::DataLossError("malformed hint key in the database");
    }
    ++counts[target];
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "counting hints"));
  return counts;
}

absl::StatusOr<std::optional<std::string>> Engine::GetMeta(absl::string_view name) {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->meta,
                                     rocksdb::Slice(name.data(), name.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocksDb(s, absl::StrCat("reading metadata '", name, "'")));
  return value;
}

absl::Status Engine::PutMeta(absl::string_view name, absl::string_view value) {
  WriteBatch batch;
  batch.PutMeta(name, value);
  return Write(std::move(batch));
}

absl::Status Engine::Sync() {
  if (options_.durability == Durability::kSync) return absl::OkStatus();
  if (!impl_->failure.ok()) return impl_->failure;
  ++impl_->stats.wal_syncs;
  return impl_->SyncWalAndMark();
}

absl::Status Engine::Checkpoint(const std::string& dir) {
  // RocksDB's own Checkpoint writes into a temporary directory and renames it, which the
  // simulated disk does not do; this is the same recipe without the rename: with file deletions
  // held off, the live files as of one moment (the WAL and MANIFEST cut to their size then,
  // CURRENT as it was), linked where the file system can and copied otherwise.
  rocksdb::DB* db = impl_->db;
  rocksdb::FileSystem* fs = db->GetFileSystem();
  const rocksdb::IOOptions io;
  if (fs->FileExists(dir, io, nullptr).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot directory ", dir, " already exists"));
  }
  const std::string what = absl::StrCat("writing a snapshot to ", dir);
  RETURN_IF_ERROR(FromRocksDb(fs->CreateDir(dir, io, nullptr), what));
  RETURN_IF_ERROR(FromRocksDb(db->DisableFileDeletions(), what));
  struct Resume {
    rocksdb::DB* db;
    ~Resume() { (void)db->EnableFileDeletions(/*force=*/false); }
  } resume{db};
  rocksdb::LiveFilesStorageInfoOptions live_options;
  live_options.wal_size_for_flush = std::numeric_limits<uint64_t>::max();  // never flush: no wait
  std::vector<rocksdb::LiveFileStorageInfo> files;
  RETURN_IF_ERROR(FromRocksDb(db->GetLiveFilesStorageInfo(live_options, &files), what));
  for (const rocksdb::LiveFileStorageInfo& f : files) {
    const std::string from = absl::StrCat(f.directory, "/", f.relative_filename);
    const std::string to = absl::StrCat(dir, "/", f.relative_filename);
    if (f.replacement_contents.empty() && f.file_type == rocksdb::kTableFile &&
        fs->LinkFile(from, to, io, nullptr).ok()) {
      continue;  // table files never change: a hard link is a copy
    }
    std::unique_ptr<rocksdb::FSWritableFile> out;
    RETURN_IF_ERROR(FromRocksDb(fs->NewWritableFile(to, rocksdb::FileOptions(), &out, nullptr), what));
    if (!f.replacement_contents.empty()) {
      RETURN_IF_ERROR(FromRocksDb(out->Append(f.replacement_contents, io, nullptr), what));
    } else {
      std::unique_ptr<rocksdb::FSSequentialFile> in;
      RETURN_IF_ERROR(
          FromRocksDb(fs->NewSequentialFile(from, rocksdb::FileOptions(), &in, nullptr), what));
      std::string buffer(1 << 20, '\0');
      uint64_t left = f.size;  // the file may have grown since (trim_to_size): the moment's size
      while (left > 0) {
        rocksdb::Slice chunk;
        const size_t want = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
        RETURN_IF_ERROR(FromRocksDb(in->Read(want, io, &chunk, buffer.data(), nullptr), what));
        if (chunk.empty()) {
          return absl::DataLossError(absl::StrCat(what, ": ", from, " is shorter than ", f.size));
        }
        RETURN_IF_ERROR(FromRocksDb(out->Append(chunk, io, nullptr), what));
        left -= chunk.size();
      }
    }
    RETURN_IF_ERROR(FromRocksDb(out->Sync(io, nullptr), what));
    RETURN_IF_ERROR(FromRocksDb(out->Close(io, nullptr), what));
  }
  // The files' names, then `dir`'s own name in its parent.
  RETURN_IF_ERROR(SyncDir(fs, dir, what));
  return SyncDir(fs, storage::ParentDir(dir), what);
}

absl::Status Engine::CompactRecords() {
  rocksdb::DB* db = impl_->db;
  if (options_.seam_env == nullptr) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    RETURN_IF_ERROR(FromRocksDb(db->Flush(flush, impl_->records), "flushing records"));
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return FromRocksDb(db->CompactRange(compact, impl_->records, nullptr, nullptr),
                       "compacting records");
  }
  // On the seam nothing may block on background work: flush as a background job, let it run,
  // then compact in the foreground with CompactFiles.
  RETURN_IF_ERROR(FromRocksDb(impl_->flush_trigger->FlushNow(), "flushing records"));
  options_.seam_env->WaitForBackgroundJobs();
  rocksdb::ColumnFamilyMetaData meta;
  db->GetColumnFamilyMetaData(impl_->records, &meta);
  std::vector<std::string> files;
  for (const rocksdb::LevelMetaData& level : meta.levels) {
    for (const rocksdb::SstFileMetaData& file : level.files) files.push_back(file.name);
  }
  if (files.empty()) return absl::OkStatus();
  const int last_level = static_cast<int>(meta.levels.size()) - 1;
  return FromRocksDb(
      db->CompactFiles(rocksdb::CompactionOptions(), impl_->records, files, last_level),
      "compacting records");
}

const MerkleTree& Engine::merkle(PartitionId partition) { return impl_->Tree(partition); }

EngineSizes Engine::sizes() const {
  EngineSizes out;
  if (impl_->db == nullptr) return out;
  for (rocksdb::ColumnFamilyHandle* cf : {impl_->records, impl_->hints}) {
    auto add = [&](const std::string& name, uint64_t* to) {
      uint64_t v = 0;
      if (impl_->db->GetIntProperty(cf, name, &v)) *to += v;
    };
    add("rocksdb.estimate-num-keys", &out.estimated_keys);
    add("rocksdb.total-sst-files-size", &out.sst_bytes);
    add("rocksdb.estimate-live-data-size", &out.live_data_bytes);
    add("rocksdb.cur-size-all-mem-tables", &out.memtable_bytes);
    add("rocksdb.estimate-pending-compaction-bytes", &out.pending_compaction_bytes);
  }
  uint64_t cache = 0;  // one cache shared by the column families
  if (impl_->db->GetIntProperty(impl_->records, "rocksdb.block-cache-usage", &cache)) {
    out.block_cache_bytes = cache;
  }
  out.key_filter_bytes = impl_->key_filter.memory_bytes();
  return out;
}

EngineStats Engine::stats() const {
  EngineStats s = impl_->stats;
  s.records_purged = impl_->filter_stats.purged.load(std::memory_order_relaxed);
  return s;
}

absl::Status Engine::health() const { return impl_->failure; }

}  // namespace kv::storage
