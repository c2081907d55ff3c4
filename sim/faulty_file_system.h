// Injected disk faults, layered over SimDisk (FoundationDB composes its simulated disk the same way:
// durability model below, chaos above). Every fault is a named probability, drawn per call from the
// process's disk-fault random stream, and reported to a FaultSink (for the trace and the report).
//
// What the node is expected to survive:
//  - EIO on read, write or sync: the call fails; a failed write wrote nothing; a failed sync lost
//    the file's unsynced writes for good (see SimDisk::FailSync). The error must reach the caller;
//    a write whose sync failed must never be acknowledged.
//  - ENOSPC on write: the call fails and writes nothing.
//  - Bit flips: a write reaches the platter with one bit flipped (latent corruption), or a read
//    returns one flipped bit (transient). Checksums above the disk must detect both.
//  - Latency: each call made on a fiber suspends it for an exponentially distributed time. The
//    RocksDB adapter turns latency off (RocksDB holds mutexes across file calls).
#pragma once

#include <functional>
#include <memory>
#include "absl/strings/string_view.h"

#include "net/random.h"
#include "net/time.h"
#include "sim/sim_disk.h"
#include "storage/file_system.h"

namespace kv::sim {

struct DiskFaultOptions {
  double read_error_probability = 0;
  double write_error_probability = 0;
  double sync_error_probability = 0;
  double no_space_probability = 0;
  double write_bit_flip_probability = 0;
  double read_bit_flip_probability = 0;
  Duration latency_mean = absl::ZeroDuration();

  bool any() const {
    return read_error_probability > 0 || write_error_probability > 0 ||
           sync_error_probability > 0 || no_space_probability > 0 ||
           write_bit_flip_probability > 0 || read_bit_flip_probability > 0;
  }
};

// Receives each injected fault: its kind ("disk_eio_read", "disk_enospc", ...) and the file.
using FaultSink = std::function<void(absl::string_view kind, absl::string_view path)>;

class FaultyFileSystem final : public storage::FileSystem {
 public:
  // `disk` must outlive this. `sink` may be empty.
  FaultyFileSystem(SimDisk* disk, DiskFaultOptions options, Random random, FaultSink sink);

  void set_options(const DiskFaultOptions& options) { options_ = options; }

  // While offline (the process is down or being torn down), every call, on the file system and on
  // files opened before, fails with FAILED_PRECONDITION and touches nothing: a killed process's
  // destructors must not write to the disk its next incarnation will read.
  void set_offline(bool offline) { offline_ = offline; }
  bool offline() const { return offline_; }
  const DiskFaultOptions& options() const { return options_; }
  SimDisk& disk() { return *disk_; }

  absl::StatusOr<std::unique_ptr<storage::File>> Open(absl::string_view path,
                                                      storage::OpenOptions options) override;
  absl::Status Rename(absl::string_view from, absl::string_view to) override;
  absl::Status Delete(absl::string_view path) override;
  absl::Status CreateDir(absl::string_view path) override;
  absl::Status DeleteDir(absl::string_view path) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view dir) override;
  absl::Status SyncDir(absl::string_view dir) override;
  absl::StatusOr<uint64_t> FileSize(absl::string_view path) override;
  bool Exists(absl::string_view path) override;
  bool IsDir(absl::string_view path) override;

 private:
  class FaultyFile;
  // Suspends the calling fiber for a sampled latency, if latency is on and we are on a fiber.
  void Delay();
  bool Inject(double probability, absl::string_view kind, absl::string_view path);
  absl::Status CheckOnline(absl::string_view path) const;

  SimDisk* disk_;
  DiskFaultOptions options_;
  Random random_;
  FaultSink sink_;
  bool offline_ = false;
};

}  // namespace kv::sim
