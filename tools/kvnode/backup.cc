#include "tools/kvnode/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/crc32c.h"
#include "net/status_macros.h"
#include "nlohmann/json.hpp"
#include "tools/kvnode/host_files.h"

namespace kv::kvnode {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSnapshotFile = "SNAPSHOT.json";
constexpr const char* kManifestFile = "MANIFEST.json";
constexpr const char* kRestoredFile = "RESTORED";

struct SnapshotFile {
  std::string path;  // relative to the snapshot directory, '/'-separated
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
};

absl::StatusOr<SnapshotFile> Describe(const fs::path& root, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ErrnoError("cannot read", file.string());
  SnapshotFile out;
  out.path = fs::relative(file, root).generic_string();
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    out.crc32c = Crc32cExtend(out.crc32c, buffer.data(), n);
    out.bytes += n;
  }
  if (in.bad()) return ErrnoError("cannot read", file.string());
  return out;
}

// Every regular file under `root`/db, sorted by path.
absl::StatusOr<std::vector<SnapshotFile>> DescribeDb(const fs::path& root) {
  std::vector<SnapshotFile> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root / "db", error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    ASSIGN_OR_RETURN(SnapshotFile f, Describe(root, it->path()));
    files.push_back(std::move(f));
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot list ", (root / "db").string(), ": ",
                                               error.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.path < b.path; });
  return files;
}

// Writes `text` to `path` durably: a temporary file, fsync, rename, fsync of the directory.
absl::Status WriteFileDurably(const fs::path& path, const std::string& text) {
  const std::string temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc | std::ios::binary);
    out << text;
    out.flush();
    if (!out) return ErrnoError("cannot write", temp);
  }
  RETURN_IF_ERROR(FsyncPath(temp, O_RDONLY));
  if (::rename(temp.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename", temp);
  return FsyncPath(path.parent_path().string(), O_RDONLY | O_DIRECTORY);
}

absl::Status Damaged(const fs::path& dir, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("snapshot ", dir.string(), " is damaged or incomplete: ", why,
                   "; refusing to restore from it"));
}

}  // namespace

std::string SnapshotDirName(NodeId node) { return absl::StrCat("node-", node); }

absl::StatusOr<std::string> WriteSnapshot(storage::Engine& engine, NodeId node,
                                          const std::string& root) {
  std::error_code error;
  fs::create_directories(root, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot create ", root, ": ", error.message()));
  }
  const fs::path final_dir = fs::path(root) / SnapshotDirName(node);
  if (fs::exists(final_dir)) {
    return absl::AlreadyExistsError(
        absl::StrCat(final_dir.string(), " already exists; choose another backup directory"));
  }
  const fs::path temp_dir = fs::path(root) / absl::StrCat(".", SnapshotDirName(node), ".partial");
  fs::remove_all(temp_dir, error);  // a previous attempt's leftovers
  fs::create_directories(temp_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", temp_dir.string(), ": ", error.message()));
  }
  struct Cleanup {
    fs::path dir;
    bool keep = false;
    ~Cleanup() {
      std::error_code ignored;
      if (!keep) fs::remove_all(dir, ignored);
    }
  } cleanup{temp_dir};

  const int64_t created = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  RETURN_IF_ERROR(engine.Checkpoint((temp_dir / "db").string()));
  ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, DescribeDb(temp_dir));
  json listed = json::array();
  uint64_t bytes = 0;
  for (const SnapshotFile& f : files) {
    RETURN_IF_ERROR(FsyncPath((temp_dir / f.path).string(), O_RDONLY));
    listed.push_back({{"path", f.path}, {"bytes", f.bytes}, {"crc32c", f.crc32c}});
    bytes += f.bytes;
  }
  RETURN_IF_ERROR(FsyncPath((temp_dir / "db").string(), O_RDONLY | O_DIRECTORY));
  const json description = {{"format", kSnapshotFormatVersion},
                            {"node", node},
                            {"created_unix_micros", created},
                            {"bytes", bytes},
                            {"files", listed}};
  const std::string text = description.dump(2) + "\n";
  RETURN_IF_ERROR(WriteFileDurably(temp_dir / kSnapshotFile, text));
  if (::rename(temp_dir.c_str(), final_dir.c_str()) != 0) {
    return ErrnoError("cannot rename", temp_dir.string());
  }
  cleanup.keep = true;
  RETURN_IF_ERROR(FsyncPath(root, O_RDONLY | O_DIRECTORY));
  json answer = description;
  answer.erase("files");
  answer["dir"] = final_dir.string();
  answer["file_count"] = files.size();
  return answer.dump(2);
}

absl::StatusOr<std::string> CheckSnapshot(const std::string& path, NodeId node) {
  fs::path dir = path;
  if (!fs::exists(dir / kSnapshotFile)) {
    if (!fs::exists(dir / kManifestFile)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not a snapshot: it has neither ", kSnapshotFile, " (a node snapshot) nor ",
          kManifestFile, " (a cluster backup); an interrupted backup leaves neither"));
    }
    dir /= SnapshotDirName(node);
    if (!fs::exists(dir / kSnapshotFile)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the cluster backup ", path, " has no snapshot of node ", node));
    }
  }
  std::ifstream in(dir / kSnapshotFile);
  json description = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (description.is_discarded() || !description.is_object()) {
    return Damaged(dir, absl::StrCat(kSnapshotFile, " is not valid JSON"));
  }
  if (!description.contains("format") || !description["format"].is_number_integer() ||
      !description.contains("node") || !description["node"].is_number_integer() ||
      !description.contains("files") || !description["files"].is_array()) {
    return Damaged(dir, absl::StrCat(kSnapshotFile, " lacks format, node or files"));
  }
  if (description["format"].get<int64_t>() != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", dir.string(), " has format version ",
                     description["format"].get<int64_t>(), "; this kvnode reads version ",
                     kSnapshotFormatVersion));
  }
  if (description["node"].get<int64_t>() != static_cast<int64_t>(node)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", dir.string(), " is of node ", description["node"].get<int64_t>(),
        ", not node ", node, "; a node restores only its own snapshot"));
  }
  std::vector<std::string> listed;
  for (const json& f : description["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() ||
        !f.contains("bytes") || !f["bytes"].is_number_unsigned() || !f.contains("crc32c") ||
        !f["crc32c"].is_number_unsigned()) {
      return Damaged(dir, absl::StrCat(kSnapshotFile, " has a malformed file entry"));
    }
    const std::string rel = f["path"].get<std::string>();
    const fs::path rel_path(rel);
    if (rel_path.is_absolute() || rel.rfind("db/", 0) != 0 ||
        std::find(rel_path.begin(), rel_path.end(), "..") != rel_path.end()) {
      return Damaged(dir, absl::StrCat("file entry '", rel, "' is outside db/"));
    }
    if (!fs::is_regular_file(dir / rel_path)) return Damaged(dir, absl::StrCat(rel, " is missing"));
    ASSIGN_OR_RETURN(SnapshotFile actual, Describe(dir, dir / rel_path));
    if (actual.bytes != f["bytes"].get<uint64_t>()) {
      return Damaged(dir, absl::StrCat(rel, " has ", actual.bytes, " bytes; ", kSnapshotFile,
                                       " says ", f["bytes"].get<uint64_t>()));
    }
    if (actual.crc32c != f["crc32c"].get<uint32_t>()) {
      return Damaged(dir, absl::StrCat(rel, "'s checksum differs from the one recorded"));
    }
    listed.push_back(rel);
  }
  // Every listed file was read and checked above; here only count what db/ holds.
  size_t present = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir / "db", error), end; !error && it != end;
       it.increment(error)) {
    present += it->is_regular_file() ? 1 : 0;
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot list ", (dir / "db").string(), ": ",
                                               error.message()));
  }
  if (present != listed.size()) {
    return Damaged(dir, absl::StrCat("db/ holds ", present, " files; ", kSnapshotFile,
                                     " lists ", listed.size()));
  }
  return dir.string();
}

absl::Status RestoreSnapshot(const std::string& path, const std::string& data_dir, NodeId node) {
  const fs::path db = fs::path(data_dir) / "db";
  if (fs::exists(db) && !fs::is_empty(db)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", data_dir, " already holds a database (", db.string(),
                     "); move it away before restoring. Nothing was changed"));
  }
  ASSIGN_OR_RETURN(const std::string snapshot, CheckSnapshot(path, node));
  const fs::path temp = fs::path(data_dir) / "db.restoring";
  std::error_code error;
  fs::remove_all(temp, error);
  fs::copy(fs::path(snapshot) / "db", temp, fs::copy_options::recursive, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot copy ", snapshot, "/db to ",
                                               temp.string(), ": ", error.message()));
  }
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(temp)) {
    if (e.is_regular_file()) RETURN_IF_ERROR(FsyncPath(e.path().string(), O_RDONLY));
  }
  RETURN_IF_ERROR(FsyncPath(temp.string(), O_RDONLY | O_DIRECTORY));
  // The marker first: a crash after the rename but before it would start the node on restored
  // data with a generation it may have used already.
  RETURN_IF_ERROR(WriteFileDurably(fs::path(data_dir) / kRestoredFile,
                                   absl::StrCat("restored from ", snapshot, "\n")));
  fs::remove(db, error);  // empty, if there
  if (::rename(temp.c_str(), db.c_str()) != 0) return ErrnoError("cannot rename", temp.string());
  return FsyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

bool RestoredMarkerPresent(const std::string& data_dir) {
  return fs::exists(fs::path(data_dir) / kRestoredFile);
}

absl::Status ClearRestoredMarker(const std::string& data_dir) {
  const fs::path marker = fs::path(data_dir) / kRestoredFile;
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("cannot remove", marker.string());
  }
  return FsyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace kv::kvnode
