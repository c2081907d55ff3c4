#include "tools/kvnode/data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/kvnode/host_files.h"

namespace kv::kvnode {
namespace {

namespace fs = std::filesystem;

std::string IdentityText(NodeId node) {
  return absl::StrCat("dynkv data directory\nformat ", kDataFormatVersion, "\nnode ", node, "\n");
}

absl::Status CheckIdentity(const std::string& dir, const std::string& path, NodeId node) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return ErrnoError("cannot read", path);
  int64_t format = -1, owner = -1;
  bool magic = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    if (line == "dynkv data directory") magic = true;
    else if (absl::ConsumePrefix(&line, "format ")) (void)absl::SimpleAtoi(line, &format);
    else if (absl::ConsumePrefix(&line, "node ")) (void)absl::SimpleAtoi(line, &owner);
  }
  if (!magic || format < 0 || owner < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a dynkv IDENTITY file; refusing to use ", dir));
  }
  if (format != kDataFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", dir, " holds format version ", format, "; this kvnode reads version ",
        kDataFormatVersion));
  }
  if (owner != node) {
    return absl::FailedPreconditionError(absl::StrCat("data directory ", dir, " belongs to node ",
                                                      owner, ", not node ", node));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PrepareDataDir(const std::string& dir, NodeId node) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string identity = dir + "/IDENTITY";
  if (fs::exists(identity, ec)) return CheckIdentity(dir, identity, node);
  if (!fs::is_empty(dir, ec) || ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " is not empty and has no IDENTITY file: not a dynkv data directory"));
  }
  const std::string temp = identity + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << IdentityText(node);
    out.close();
    if (!out) return ErrnoError("cannot write", temp);
  }
  if (absl::Status s = FsyncPath(temp, O_RDONLY); !s.ok()) return s;
  if (::rename(temp.c_str(), identity.c_str()) != 0) return ErrnoError("cannot rename", temp);
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace kv::kvnode
