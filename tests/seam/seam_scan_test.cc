// The seam rule, enforced: node/, storage/ and workloads/ reach the operating system only through
// the seam (net/runtime.h, storage/file_system.h). This test scans their sources, with comments and
// string literals removed, for threads, sleeps, real clocks, unseeded randomness, sockets and
// direct file calls. Real-mode adapters are the only exceptions, listed in kAllowed with a reason.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv {
namespace {

namespace fs = std::filesystem;

struct Rule {
  const char* what;
  const char* pattern;
};

const Rule kRules[] = {
    {"threads", R"(std::thread\b|std::jthread\b|<thread>|std::async\b|pthread_create)"},
    {"sleeps", R"(\bsleep\s*\(|\busleep\s*\(|\bnanosleep\s*\(|sleep_for\b|sleep_until\b|absl::SleepFor\b)"},
    {"real clocks",
     R"(\b(system_clock|steady_clock|high_resolution_clock)\b|absl::Now\s*\(|gettimeofday|clock_gettime|\btime\s*\(\s*(NULL|nullptr|0)?\s*\))"},
    {"unseeded randomness",
     R"((^|[^.>:\w])(rand|srand|random)\s*\(|random_device|std::mt19937|absl::BitGen|absl::InsecureBitGen|/dev/u?random)"},
    {"sockets",
     R"(<sys/socket\.h>|<netinet/|<arpa/inet\.h>|boost/asio|boost/beast|\bsocket\s*\(|\baccept\s*\()"},
    {"direct file calls",
     R"(<fstream>|std::[io]?fstream|\bfopen\s*\(|::open\s*\(|::close\s*\(|::read\s*\(|::write\s*\(|\bpread\s*\(|\bpwrite\s*\(|\bfsync\s*\(|\bfdatasync\s*\(|<fcntl\.h>|<unistd\.h>|<dirent\.h>|<sys/stat\.h>|std::filesystem|rocksdb::Env::Default|FileSystem::Default)"},
};

// Files that implement the seam for real mode, relative to the source root.
const std::set<std::string> kAllowed = {
    "storage/posix_file_system.cc",  // the disk seam's POSIX implementation
};

// Removes comments, string and character literals (keeping #include <...> lines intact).
std::string StripCommentsAndStrings(const std::string& src) {
  std::string out;
  out.reserve(src.size());
  enum { kCode, kLine, kBlock, kString, kChar, kRaw } state = kCode;
  std::string raw_end;
  for (size_t i = 0; i < src.size(); ++i) {
    const char c = src[i];
    const char n = i + 1 < src.size() ? src[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && n == '/') {
          state = kLine;
          ++i;
        } else if (c == '/' && n == '*') {
          state = kBlock;
          ++i;
        } else if (c == 'R' && n == '"' && (i == 0 || !isalnum(src[i - 1]))) {
          const size_t paren = src.find('(', i + 2);
          raw_end = ")" + src.substr(i + 2, paren - i - 2) + "\"";
          state = kRaw;
          i = paren;
          out += "\"\"";
        } else if (c == '"') {
          // Keep #include "..." paths: they name headers, and headers are scanned themselves.
          state = kString;
          out += '"';
        } else if (c == '\'') {
          state = kChar;
        } else {
          out += c;
        }
        break;
      case kLine:
        if (c == '\n') {
          state = kCode;
          out += '\n';
        }
        break;
      case kBlock:
        if (c == '*' && n == '/') {
          state = kCode;
          ++i;
        } else if (c == '\n') {
          out += '\n';
        }
        break;
      case kString:
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          state = kCode;
          out += '"';
        }
        break;
      case kChar:
        if (c == '\\') {
          ++i;
        } else if (c == '\'') {
          state = kCode;
        }
        break;
      case kRaw:
        if (src.compare(i, raw_end.size(), raw_end) == 0) {
          i += raw_end.size() - 1;
          state = kCode;
        }
        break;
    }
  }
  return out;
}

// Every violation in `source` as "what: line N: text".
std::vector<std::string> Violations(const std::string& source) {
  static const std::vector<std::regex> compiled = [] {
    std::vector<std::regex> out;
    for (const Rule& rule : kRules) out.emplace_back(rule.pattern, std::regex::optimize);
    return out;
  }();
  std::vector<std::string> found;
  const std::string code = StripCommentsAndStrings(source);
  std::istringstream lines(code);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    for (size_t r = 0; r < compiled.size(); ++r) {
      if (std::regex_search(line, compiled[r])) {
        found.push_back(std::string(kRules[r].what) + ": line " + std::to_string(number) + ": " +
                        line);
      }
    }
  }
  return found;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SeamScanTest, TheScannerCatchesEachKindOfViolation) {
  // Proves the scan below can fail: one line per rule, each must be caught.
  const std::vector<std::string> bad = {
      "std::thread t([]{});",         "usleep(10);",
      "auto t = std::chrono::steady_clock::now();", "int r = rand();",
      "#include <sys/socket.h>",      "int fd = ::open(path, O_RDONLY);",
      "std::random_device rd;",       "absl::Time t = absl::Now();",
      "srand(1);",                    "long x = random();",
  };
  for (const std::string& line : bad) EXPECT_FALSE(Violations(line).empty()) << line;
  // ...and ignores comments, strings and the seam's own names.
  EXPECT_TRUE(Violations("// std::thread in a comment\nauto s = \"fsync(fd)\";\n").empty());
  EXPECT_TRUE(Violations("FiberSleep(d); fs->Open(path, {}); file->Sync(); rt.Now();").empty());
}

TEST(SeamScanTest, NodeStorageAndWorkloadsUseOnlyTheSeam) {
  const fs::path root = KV_SOURCE_DIR;
  int scanned = 0;
  std::vector<std::string> violations;
  for (const char* dir : {"node", "storage", "workloads"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const fs::path& p = entry.path();
      if (!entry.is_regular_file() || (p.extension() != ".h" && p.extension() != ".cc")) continue;
      const std::string relative = fs::relative(p, root).string();
      if (kAllowed.contains(relative)) continue;
      ++scanned;
      for (const std::string& v : Violations(ReadFile(p))) violations.push_back(relative + ": " + v);
    }
  }
  EXPECT_GT(scanned, 5) << "the scan found almost no sources; is KV_SOURCE_DIR right?";
  for (const std::string& v : violations) ADD_FAILURE() << v;
}

}  // namespace
}  // namespace kv
