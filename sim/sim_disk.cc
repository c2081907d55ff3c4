#include "sim/sim_disk.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"

namespace kv::sim {

const char* DiskOpName(DiskOp op) {
  switch (op) {
    case DiskOp::kOpen: return "open";
    case DiskOp::kAppend: return "append";
    case DiskOp::kWrite: return "write";
    case DiskOp::kRead: return "read";
    case DiskOp::kSync: return "sync";
    case DiskOp::kTruncate: return "truncate";
    case DiskOp::kRename: return "rename";
    case DiskOp::kDelete: return "delete";
    case DiskOp::kMkdir: return "mkdir";
    case DiskOp::kRmdir: return "rmdir";
    case DiskOp::kSyncDir: return "syncdir";
  }
  return "?";
}

CrashOutcome& CrashOutcome::operator+=(const CrashOutcome& o) {
  files_with_unsynced_writes += o.files_with_unsynced_writes;
  files_kept_none += o.files_kept_none;
  files_kept_all += o.files_kept_all;
  files_kept_prefix += o.files_kept_prefix;
  files_torn += o.files_torn;
  unsynced_bytes_lost += o.unsynced_bytes_lost;
  dir_ops_pending += o.dir_ops_pending;
  dir_ops_kept += o.dir_ops_kept;
  return *this;
}

// One write or truncate since the last sync. A write's bytes are Inode::pending_bytes
// [bytes_begin, bytes_begin + length).
struct SimDisk::PendingWrite {
  bool truncate = false;
  uint64_t offset = 0;  // for a truncate: the new size
  uint64_t bytes_begin = 0;
  uint64_t length = 0;
};

// The two images share chunks (chunked_bytes.h). Until `durable_lags`, `durable` with `pending`
// replayed on it equals `data`, so a sync shares data's chunks instead of replaying the log.
struct SimDisk::Inode {
  uint64_t id = 0;
  ChunkedBytes data;     // what reads see
  ChunkedBytes durable;  // what survives a crash for sure
  std::vector<PendingWrite> pending;
  std::string pending_bytes;  // the bytes of pending's writes, in order
  // Set when a failed sync dropped writes `data` still shows, or a bit flip may have made replay
  // differ from `data`: syncs then replay the log. A crash resets it (the images are equal).
  bool durable_lags = false;
  int visible_links = 0;
  int durable_links = 0;
  int handles = 0;

  absl::string_view Bytes(const PendingWrite& w) const {
    return absl::string_view(pending_bytes).substr(w.bytes_begin, w.length);
  }
  void AddPendingWrite(uint64_t offset, absl::string_view bytes) {
    pending.push_back(PendingWrite{false, offset, pending_bytes.size(), bytes.size()});
    pending_bytes.append(bytes.data(), bytes.size());
  }
  void AddPendingTruncate(uint64_t size) { pending.push_back(PendingWrite{true, size, 0, 0}); }
  void ClearPending() {
    pending.clear();
    pending_bytes.clear();
    // Keep a small buffer for the next writes; give a big one (a whole table file) back.
    if (pending_bytes.capacity() > kPendingBytesRetainedMax) std::string().swap(pending_bytes);
  }
  // Replays the pending log onto `image` (the replay a sync or a crash does).
  void Replay(size_t count, ChunkedBytes* image) const {
    for (size_t i = 0; i < count; ++i) {
      const PendingWrite& w = pending[i];
      if (w.truncate) {
        image->Resize(w.offset);
      } else {
        image->Write(w.offset, Bytes(w));
      }
    }
  }
  // Drops both images and the log (what stale handles to a crashed inode keep: nothing).
  void Release() {
    data = ChunkedBytes();
    durable = ChunkedBytes();
    pending.clear();
    std::string().swap(pending_bytes);
  }

  static constexpr size_t kPendingBytesRetainedMax = size_t{1} << 20;
};

namespace {

// NOT_FOUND if nothing is at `path`, FAILED_PRECONDITION if a file is there (as ENOTDIR).
absl::Status ExpectDirectory(bool exists, bool is_dir, absl::string_view path) {
  if (!exists) return absl::NotFoundError(absl::StrCat("no such directory: '", path, "'"));
  if (!is_dir) return absl::FailedPreconditionError(absl::StrCat("not a directory: '", path, "'"));
  return absl::OkStatus();
}

absl::Status StaleHandle(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("stale handle to '", path, "': opened before a crash"));
}

}  // namespace

// A handle to an inode. Valid only in the crash epoch it was opened in.
class SimDisk::SimFile final : public storage::File {
 public:
  SimFile(SimDisk* disk, std::shared_ptr<Inode> inode, std::string path)
      : disk_(disk), inode_(std::move(inode)), path_(std::move(path)), epoch_(disk->epoch_) {
    ++inode_->handles;
  }
  ~SimFile() override {
    if (epoch_ != disk_->epoch_) return;
    --inode_->handles;
    disk_->FreeInodeIfUnreferenced(inode_->id);
  }

  absl::Status Append(absl::string_view data) override {
    if (!live()) return StaleHandle(path_);
    return Write(DiskOp::kAppend, inode_->data.size(), data);
  }
  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    if (!live()) return StaleHandle(path_);
    return Write(DiskOp::kWrite, offset, data);
  }
  absl::StatusOr<std::string> ReadAt(uint64_t offset, size_t n) override {
    if (!live()) return StaleHandle(path_);
    disk_->Observe(DiskOp::kRead, path_, offset, n, {});
    return inode_->data.Read(offset, n);
  }
  absl::Status Sync() override {
    if (!live()) return StaleHandle(path_);
    disk_->Observe(DiskOp::kSync, path_, 0, inode_->pending.size(), {});
    if (inode_->durable_lags) {
      inode_->Replay(inode_->pending.size(), &inode_->durable);
    } else {
      inode_->durable.ShareFrom(inode_->data);  // equal to the replay, without copying bytes
    }
    inode_->ClearPending();
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> Size() override {
    if (!live()) return StaleHandle(path_);
    return inode_->data.size();
  }
  absl::Status Truncate(uint64_t size) override {
    if (!live()) return StaleHandle(path_);
    RETURN_IF_ERROR(disk_->ReserveGrowth(inode_->data.size(), size));
    disk_->Observe(DiskOp::kTruncate, path_, size, 0, {});
    inode_->data.Resize(size, /*private_from=*/inode_->durable.size());
    inode_->AddPendingTruncate(size);
    return absl::OkStatus();
  }
  const std::string& path() const override { return path_; }

  bool live() const { return epoch_ == disk_->epoch_; }
  Inode& inode() { return *inode_; }

 private:
  absl::Status Write(DiskOp op, uint64_t offset, absl::string_view data) {
    const uint64_t old_size = inode_->data.size();
    RETURN_IF_ERROR(disk_->ReserveGrowth(old_size, std::max<uint64_t>(old_size, offset + data.size())));
    disk_->Observe(op, path_, offset, data.size(), data);
    // The durable image reads no byte past its size, so bytes there may be written in place.
    inode_->data.Write(offset, data, /*private_from=*/inode_->durable.size());
    inode_->AddPendingWrite(offset, data);
    return absl::OkStatus();
  }

  SimDisk* disk_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
  uint64_t epoch_;
};

SimDisk::SimDisk(DiskOptions options, Random random, DiskObserver* observer)
    : options_(options), random_(std::move(random)), observer_(observer) {
  KV_ASSERT(options_.sector_bytes > 0);
  visible_["/"] = Entry{true, 0};
  durable_["/"] = Entry{true, 0};
}

SimDisk::~SimDisk() = default;

void SimDisk::Observe(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
                      absl::string_view data) {
  if (observer_ != nullptr) observer_->OnDiskOp(op, path, offset, length, data);
}

absl::Status SimDisk::ReserveGrowth(uint64_t old_size, uint64_t new_size) {
  if (new_size <= old_size) {
    used_bytes_ -= old_size - new_size;
    return absl::OkStatus();
  }
  const uint64_t growth = new_size - old_size;
  if (used_bytes_ + growth > options_.capacity_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("ENOSPC: the disk is full (", used_bytes_,
                                                     " of ", options_.capacity_bytes, " bytes)"));
  }
  used_bytes_ += growth;
  return absl::OkStatus();
}

absl::Status SimDisk::CheckParentDir(absl::string_view path) const {
  const std::string parent = storage::ParentDir(path);
  auto it = visible_.find(parent);
  if (it == visible_.end()) {
    return absl::NotFoundError(absl::StrCat("no such directory: '", parent, "'"));
  }
  if (!it->second.is_dir) {
    return absl::FailedPreconditionError(absl::StrCat("not a directory: '", parent, "'"));
  }
  return absl::OkStatus();
}

void SimDisk::Link(uint64_t inode, bool durable, int delta) {
  auto it = inodes_.find(inode);
  KV_ASSERT(it != inodes_.end());
  (durable ? it->second->durable_links : it->second->visible_links) += delta;
}

void SimDisk::FreeInodeIfUnreferenced(uint64_t inode) {
  auto it = inodes_.find(inode);
  if (it == inodes_.end()) return;
  const Inode& n = *it->second;
  if (n.visible_links > 0 || n.durable_links > 0 || n.handles > 0) return;
  for (const DirOp& op : pending_dir_ops_) {
    if (op.inode == inode) return;  // a queued name operation may still make it durable
  }
  used_bytes_ -= n.data.size();
  inodes_.erase(it);
}

void SimDisk::ApplyDirOp(const DirOp& op, bool durable) {
  Namespace& ns = durable ? durable_ : visible_;
  auto unlink_path = [&](const std::string& path) {
    auto it = ns.find(path);
    if (it == ns.end()) return;
    if (!it->second.is_dir) Link(it->second.inode, durable, -1);
    const uint64_t inode = it->second.inode;
    const bool is_dir = it->second.is_dir;
    ns.erase(it);
    if (!is_dir) FreeInodeIfUnreferenced(inode);
  };
  switch (op.kind) {
    case DirOp::kCreate:
      unlink_path(op.path);
      ns[op.path] = Entry{false, op.inode};
      Link(op.inode, durable, +1);
      break;
    case DirOp::kDelete:
    case DirOp::kRmdir:
      unlink_path(op.path);
      break;
    case DirOp::kRename: {
      // Keep the inode referenced while it moves.
      Link(op.inode, durable, +1);
      auto it = ns.find(op.path);
      if (it != ns.end() && !it->second.is_dir && it->second.inode == op.inode) unlink_path(op.path);
      unlink_path(op.path2);
      ns[op.path2] = Entry{false, op.inode};
      break;
    }
    case DirOp::kMkdir:
      if (!ns.contains(op.path)) ns[op.path] = Entry{true, 0};
      break;
  }
}

void SimDisk::QueueDirOp(DirOp op) {
  ApplyDirOp(op, /*durable=*/false);
  pending_dir_ops_.push_back(std::move(op));
}

absl::StatusOr<std::unique_ptr<storage::File>> SimDisk::Open(absl::string_view path,
                                                             storage::OpenOptions options) {
  RETURN_IF_ERROR(storage::ValidatePath(path));
  auto it = visible_.find(path);
  std::shared_ptr<Inode> inode;
  if (it != visible_.end()) {
    if (it->second.is_dir) {
      return absl::FailedPreconditionError(absl::StrCat("is a directory: '", path, "'"));
    }
    if (options.create && options.exclusive) {
      return absl::AlreadyExistsError(absl::StrCat("file exists: '", path, "'"));
    }
    inode = inodes_.at(it->second.inode);
    if (options.truncate && !inode->data.empty()) {
      RETURN_IF_ERROR(ReserveGrowth(inode->data.size(), 0));
      inode->data.Resize(0);
      inode->AddPendingTruncate(0);
    }
  } else {
    if (!options.create) return absl::NotFoundError(absl::StrCat("no such file: '", path, "'"));
    RETURN_IF_ERROR(CheckParentDir(path));
    inode = std::make_shared<Inode>();
    inode->id = next_inode_++;
    inodes_[inode->id] = inode;
    QueueDirOp(DirOp{DirOp::kCreate, std::string(path), {}, inode->id});
  }
  Observe(DiskOp::kOpen, path, 0, 0, {});
  return std::unique_ptr<storage::File>(new SimFile(this, std::move(inode), std::string(path)));
}

absl::Status SimDisk::Rename(absl::string_view from, absl::string_view to) {
  RETURN_IF_ERROR(storage::ValidatePath(from));
  RETURN_IF_ERROR(storage::ValidatePath(to));
  auto it = visible_.find(from);
  if (it == visible_.end()) return absl::NotFoundError(absl::StrCat("no such file: '", from, "'"));
  if (it->second.is_dir) {
    return absl::UnimplementedError(absl::StrCat("renaming directories is not supported: '", from, "'"));
  }
  RETURN_IF_ERROR(CheckParentDir(to));
  auto target = visible_.find(to);
  if (target != visible_.end() && target->second.is_dir) {
    return absl::FailedPreconditionError(absl::StrCat("rename target is a directory: '", to, "'"));
  }
  if (from == to) return absl::OkStatus();
  Observe(DiskOp::kRename, from, 0, 0, to);
  QueueDirOp(DirOp{DirOp::kRename, std::string(from), std::string(to), it->second.inode});
  return absl::OkStatus();
}

absl::Status SimDisk::Delete(absl::string_view path) {
  RETURN_IF_ERROR(storage::ValidatePath(path));
  auto it = visible_.find(path);
  if (it == visible_.end()) return absl::NotFoundError(absl::StrCat("no such file: '", path, "'"));
  if (it->second.is_dir) {
    return absl::FailedPreconditionError(absl::StrCat("is a directory: '", path, "'"));
  }
  Observe(DiskOp::kDelete, path, 0, 0, {});
  QueueDirOp(DirOp{DirOp::kDelete, std::string(path), {}, it->second.inode});
  return absl::OkStatus();
}

absl::Status SimDisk::CreateDir(absl::string_view path) {
  RETURN_IF_ERROR(storage::ValidatePath(path));
  auto it = visible_.find(path);
  if (it != visible_.end()) {
    if (it->second.is_dir) return absl::OkStatus();
    return absl::AlreadyExistsError(absl::StrCat("a file exists at '", path, "'"));
  }
  RETURN_IF_ERROR(CheckParentDir(path));
  Observe(DiskOp::kMkdir, path, 0, 0, {});
  QueueDirOp(DirOp{DirOp::kMkdir, std::string(path), {}, 0});
  return absl::OkStatus();
}

absl::Status SimDisk::DeleteDir(absl::string_view path) {
  RETURN_IF_ERROR(storage::ValidatePath(path));
  if (path == "/") return absl::InvalidArgumentError("cannot delete the root directory");
  RETURN_IF_ERROR(ExpectDirectory(Exists(path), IsDir(path), path));
  ASSIGN_OR_RETURN(std::vector<std::string> children, List(path));
  if (!children.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("directory not empty: '", path, "'"));
  }
  Observe(DiskOp::kRmdir, path, 0, 0, {});
  QueueDirOp(DirOp{DirOp::kRmdir, std::string(path), {}, 0});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SimDisk::List(absl::string_view dir) {
  RETURN_IF_ERROR(storage::ValidatePath(dir));
  RETURN_IF_ERROR(ExpectDirectory(Exists(dir), IsDir(dir), dir));
  const std::string prefix = dir == "/" ? std::string("/") : absl::StrCat(dir, "/");
  std::vector<std::string> names;
  for (auto e = visible_.lower_bound(prefix); e != visible_.end(); ++e) {
    if (!absl::StartsWith(e->first, prefix)) break;
    absl::string_view rest = absl::string_view(e->first).substr(prefix.size());
    if (rest.empty() || rest.find('/') != absl::string_view::npos) continue;
    names.emplace_back(rest);
  }
  return names;
}

absl::Status SimDisk::SyncDir(absl::string_view dir) {
  RETURN_IF_ERROR(storage::ValidatePath(dir));
  RETURN_IF_ERROR(ExpectDirectory(Exists(dir), IsDir(dir), dir));
  Observe(DiskOp::kSyncDir, dir, 0, 0, {});
  std::vector<DirOp> still_pending;
  std::vector<uint64_t> applied_inodes;
  for (DirOp& op : pending_dir_ops_) {
    const bool touches = storage::ParentDir(op.path) == dir ||
                         (op.kind == DirOp::kRename && storage::ParentDir(op.path2) == dir);
    if (touches) {
      ApplyDirOp(op, /*durable=*/true);
      if (op.inode != 0) applied_inodes.push_back(op.inode);
    } else {
      still_pending.push_back(std::move(op));
    }
  }
  pending_dir_ops_ = std::move(still_pending);
  // An inode the applied operations unlinked was kept only because they were still queued.
  for (uint64_t inode : applied_inodes) FreeInodeIfUnreferenced(inode);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SimDisk::FileSize(absl::string_view path) {
  RETURN_IF_ERROR(storage::ValidatePath(path));
  auto it = visible_.find(path);
  if (it == visible_.end()) return absl::NotFoundError(absl::StrCat("no such file: '", path, "'"));
  if (it->second.is_dir) {
    return absl::FailedPreconditionError(absl::StrCat("is a directory: '", path, "'"));
  }
  return inodes_.at(it->second.inode)->data.size();
}

bool SimDisk::Exists(absl::string_view path) { return visible_.contains(path); }

bool SimDisk::IsDir(absl::string_view path) {
  auto it = visible_.find(path);
  return it != visible_.end() && it->second.is_dir;
}

void SimDisk::FailSync(storage::File* file) {
  auto* f = dynamic_cast<SimFile*>(file);
  KV_ASSERT_MSG(f != nullptr, "FailSync on a file of another file system");
  if (!f->live()) return;
  Inode& inode = f->inode();
  if (!inode.pending.empty()) inode.durable_lags = true;  // data keeps writes durable never gets
  inode.ClearPending();
}

bool SimDisk::FlipBit(absl::string_view path, uint64_t offset, int bit) {
  auto it = visible_.find(path);
  if (it == visible_.end() || it->second.is_dir) return false;
  Inode& inode = *inodes_.at(it->second.inode);
  if (offset >= inode.data.size()) return false;
  const auto mask = static_cast<uint8_t>(1 << (bit & 7));
  // A chunk the two images share holds the byte once: flip it once.
  const bool shared = inode.data.SharesChunkAt(inode.durable, offset);
  inode.data.XorByteInPlace(offset, mask);
  if (offset < inode.durable.size() && !shared) inode.durable.XorByteInPlace(offset, mask);
  for (const PendingWrite& w : inode.pending) {
    if (!w.truncate && offset >= w.offset && offset < w.offset + w.length) {
      inode.pending_bytes[w.bytes_begin + (offset - w.offset)] ^= static_cast<char>(mask);
    }
  }
  // A byte a pending truncate zeroed and a later write's gap re-extended is flipped in data only.
  if (!inode.pending.empty()) inode.durable_lags = true;
  return true;
}

absl::StatusOr<std::string> SimDisk::DurableContents(absl::string_view path) const {
  auto it = durable_.find(path);
  if (it == durable_.end() || it->second.is_dir) {
    return absl::NotFoundError(absl::StrCat("no durable file: '", path, "'"));
  }
  return inodes_.at(it->second.inode)->durable.ToString();
}

uint64_t SimDisk::unsynced_bytes() const {
  uint64_t total = 0;
  for (const auto& [id, inode] : inodes_) {
    for (const PendingWrite& w : inode->pending) total += w.length;
  }
  return total;
}

ChunkedBytes SimDisk::SurvivingBytes(Inode& inode, CrashOutcome* outcome) {
  ChunkedBytes bytes = inode.durable;  // shares its chunks; the writes below copy them
  const size_t n = inode.pending.size();
  if (n == 0) return bytes;
  ++outcome->files_with_unsynced_writes;
  size_t keep = 0;
  bool tear = false;
  switch (random_.Uniform(4)) {
    case 0: ++outcome->files_kept_none; keep = 0; break;
    case 1: ++outcome->files_kept_all; keep = n; break;
    case 2: ++outcome->files_kept_prefix; keep = random_.Uniform(n + 1); break;
    default: keep = random_.Uniform(n); tear = true; break;
  }
  inode.Replay(keep, &bytes);
  for (size_t i = keep; i < n; ++i) {
    const PendingWrite& w = inode.pending[i];
    if (i == keep && tear && !w.truncate && w.length > 0) {
      // Persist the write up to a sector boundary inside it (or none of it).
      ++outcome->files_torn;
      const uint64_t s = options_.sector_bytes;
      const uint64_t begin = w.offset;
      const uint64_t end = w.offset + w.length;
      const uint64_t first_boundary = (begin / s + 1) * s;
      const uint64_t inner = first_boundary < end ? (end - 1 - first_boundary) / s + 1 : 0;
      const uint64_t pick = random_.Uniform(inner + 1);
      const uint64_t cut = pick == 0 ? begin : first_boundary + (pick - 1) * s;
      bytes.Write(begin, inode.Bytes(w).substr(0, cut - begin));
      if (random_.Bernoulli(0.5)) {
        const uint64_t garbage_end = std::min(end, (cut / s + 1) * s);
        std::string garbage(garbage_end - cut, '\0');
        for (char& c : garbage) c = static_cast<char>(random_.Uniform(256));
        bytes.Write(cut, garbage);
      }
      outcome->unsynced_bytes_lost += end - cut;
      continue;
    }
    outcome->unsynced_bytes_lost += w.length;
  }
  return bytes;
}

void SimDisk::DropDurableOrphans() {
  // Parents sort before their children, so one ordered pass removes whole orphaned subtrees.
  for (auto it = durable_.begin(); it != durable_.end();) {
    if (it->first != "/" && !durable_.contains(storage::ParentDir(it->first))) {
      if (!it->second.is_dir) Link(it->second.inode, /*durable=*/true, -1);
      it = durable_.erase(it);
    } else {
      ++it;
    }
  }
}

CrashOutcome SimDisk::Crash() {
  CrashOutcome outcome;
  ++epoch_;
  outcome.dir_ops_pending = pending_dir_ops_.size();
  const size_t keep = random_.Uniform(pending_dir_ops_.size() + 1);
  for (size_t i = 0; i < keep; ++i) ApplyDirOp(pending_dir_ops_[i], /*durable=*/true);
  outcome.dir_ops_kept = keep;
  pending_dir_ops_.clear();
  DropDurableOrphans();

  absl::btree_map<uint64_t, std::shared_ptr<Inode>> survivors;
  used_bytes_ = 0;
  for (auto& [id, inode] : inodes_) {
    if (inode->durable_links <= 0) {
      for (const PendingWrite& w : inode->pending) outcome.unsynced_bytes_lost += w.length;
      inode->Release();
      continue;
    }
    auto fresh = std::make_shared<Inode>();
    fresh->id = id;
    fresh->durable = SurvivingBytes(*inode, &outcome);
    fresh->data = fresh->durable;  // shared chunks: the live image copies one before changing it
    inode->Release();
    fresh->visible_links = inode->durable_links;
    fresh->durable_links = inode->durable_links;
    used_bytes_ += fresh->data.size();
    survivors[id] = std::move(fresh);
  }
  // Old inodes stay alive only through stale handles, which refuse every call.
  inodes_ = std::move(survivors);
  visible_ = durable_;
  return outcome;
}

}  // namespace kv::sim
