#include "sim/faulty_file_system.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/fiber.h"
#include "net/status_macros.h"

namespace kv::sim {

namespace {
absl::Status Eio(absl::string_view what, absl::string_view path) {
  return absl::UnavailableError(absl::StrCat("EIO: injected I/O error on ", what, " of '", path, "'"));
}
}  // namespace

absl::Status FaultyFileSystem::CheckOnline(absl::string_view path) const {
  if (!offline_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the process is down: no disk access to '", path, "'"));
}

class FaultyFileSystem::FaultyFile final : public storage::File {
 public:
  FaultyFile(FaultyFileSystem* fs, std::unique_ptr<storage::File> inner)
      : fs_(fs), inner_(std::move(inner)) {}

  absl::Status Append(absl::string_view data) override {
    return Write(data, [&](absl::string_view d) { return inner_->Append(d); });
  }
  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    return Write(data, [&](absl::string_view d) { return inner_->WriteAt(offset, d); });
  }
  absl::StatusOr<std::string> ReadAt(uint64_t offset, size_t n) override {
    RETURN_IF_ERROR(fs_->CheckOnline(path()));
    fs_->Delay();
    if (fs_->Inject(fs_->options_.read_error_probability, "disk_eio_read", path())) {
      return Eio("read", path());
    }
    absl::StatusOr<std::string> out = inner_->ReadAt(offset, n);
    if (out.ok() && !out->empty() &&
        fs_->Inject(fs_->options_.read_bit_flip_probability, "disk_bitflip_read", path())) {
      const uint64_t bit = fs_->random_.Uniform(out->size() * 8);
      (*out)[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    }
    return out;
  }
  absl::Status Sync() override {
    RETURN_IF_ERROR(fs_->CheckOnline(path()));
    fs_->Delay();
    if (fs_->Inject(fs_->options_.sync_error_probability, "disk_eio_sync", path())) {
      // As Linux after a failed fsync: the dirty pages are marked clean and their data is gone
      // from the durability pipeline.
      fs_->disk_->FailSync(inner_.get());
      return Eio("sync", path());
    }
    return inner_->Sync();
  }
  absl::StatusOr<uint64_t> Size() override {
    RETURN_IF_ERROR(fs_->CheckOnline(path()));
    return inner_->Size();
  }
  absl::Status Truncate(uint64_t size) override {
    RETURN_IF_ERROR(fs_->CheckOnline(path()));
    fs_->Delay();
    return inner_->Truncate(size);
  }
  const std::string& path() const override { return inner_->path(); }

 private:
  template <typename WriteFn>
  absl::Status Write(absl::string_view data, WriteFn write) {
    RETURN_IF_ERROR(fs_->CheckOnline(path()));
    fs_->Delay();
    if (fs_->Inject(fs_->options_.write_error_probability, "disk_eio_write", path())) {
      return Eio("write", path());
    }
    if (fs_->Inject(fs_->options_.no_space_probability, "disk_enospc", path())) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ENOSPC: injected out-of-space on write of '", path(), "'"));
    }
    if (!data.empty() &&
        fs_->Inject(fs_->options_.write_bit_flip_probability, "disk_bitflip_write", path())) {
      std::string flipped(data);
      const uint64_t bit = fs_->random_.Uniform(flipped.size() * 8);
      flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      return write(flipped);
    }
    return write(data);
  }

  FaultyFileSystem* fs_;
  std::unique_ptr<storage::File> inner_;
};

FaultyFileSystem::FaultyFileSystem(SimDisk* disk, DiskFaultOptions options, Random random,
                                   FaultSink sink)
    : disk_(disk), options_(options), random_(std::move(random)), sink_(std::move(sink)) {}

void FaultyFileSystem::Delay() {
  if (options_.latency_mean <= absl::ZeroDuration() || !FiberScheduler::OnFiber()) return;
  FiberSleep(random_.Exponential(options_.latency_mean));
}

bool FaultyFileSystem::Inject(double probability, absl::string_view kind, absl::string_view path) {
  if (!random_.Bernoulli(probability)) return false;
  if (sink_) sink_(kind, path);
  return true;
}

absl::StatusOr<std::unique_ptr<storage::File>> FaultyFileSystem::Open(absl::string_view path,
                                                                      storage::OpenOptions options) {
  RETURN_IF_ERROR(CheckOnline(path));
  Delay();
  absl::StatusOr<std::unique_ptr<storage::File>> inner = disk_->Open(path, options);
  if (!inner.ok()) return inner.status();
  return std::unique_ptr<storage::File>(new FaultyFile(this, std::move(*inner)));
}

absl::Status FaultyFileSystem::Rename(absl::string_view from, absl::string_view to) {
  RETURN_IF_ERROR(CheckOnline(from));
  Delay();
  return disk_->Rename(from, to);
}

absl::Status FaultyFileSystem::Delete(absl::string_view path) {
  RETURN_IF_ERROR(CheckOnline(path));
  Delay();
  return disk_->Delete(path);
}

absl::Status FaultyFileSystem::CreateDir(absl::string_view path) {
  RETURN_IF_ERROR(CheckOnline(path));
  Delay();
  return disk_->CreateDir(path);
}

absl::Status FaultyFileSystem::DeleteDir(absl::string_view path) {
  RETURN_IF_ERROR(CheckOnline(path));
  Delay();
  return disk_->DeleteDir(path);
}

absl::StatusOr<std::vector<std::string>> FaultyFileSystem::List(absl::string_view dir) {
  RETURN_IF_ERROR(CheckOnline(dir));
  return disk_->List(dir);
}

absl::Status FaultyFileSystem::SyncDir(absl::string_view dir) {
  RETURN_IF_ERROR(CheckOnline(dir));
  Delay();
  if (Inject(options_.sync_error_probability, "disk_eio_syncdir", dir)) return Eio("syncdir", dir);
  return disk_->SyncDir(dir);
}

absl::StatusOr<uint64_t> FaultyFileSystem::FileSize(absl::string_view path) {
  RETURN_IF_ERROR(CheckOnline(path));
  return disk_->FileSize(path);
}

bool FaultyFileSystem::Exists(absl::string_view path) { return !offline_ && disk_->Exists(path); }

bool FaultyFileSystem::IsDir(absl::string_view path) { return !offline_ && disk_->IsDir(path); }

}  // namespace kv::sim
