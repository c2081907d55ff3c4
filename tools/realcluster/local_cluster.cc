#include "tools/realcluster/local_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/http_client.h"
#include "net/status_macros.h"

namespace kv::realcluster {
namespace {

using json = nlohmann::json;

absl::StatusOr<json> ParseJson(const absl::StatusOr<std::string>& body) {
  if (!body.ok()) return body.status();
  json parsed = json::parse(*body, nullptr, false);
  if (parsed.is_discarded()) return absl::DataLossError("not JSON");
  return parsed;
}

}  // namespace

absl::StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("bind: ", std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options,
                                                                  absl::Duration timeout) {
  if (options.nodes < 1) return absl::InvalidArgumentError("a cluster needs at least one node");
  if (::access(options.kvnode_binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no kvnode binary at ", options.kvnode_binary));
  }
  std::unique_ptr<LocalCluster> c(new LocalCluster(std::move(options)));
  std::filesystem::create_directories(c->options_.dir);
  for (int i = 1; i <= c->options_.nodes; ++i) {
    absl::StatusOr<Node> n = c->NewNode(c->options_.first_id + i - 1);
    if (!n.ok()) return n.status();
    if (static_cast<size_t>(i) <= c->options_.node_flags.size()) {
      n->flags = c->options_.node_flags[i - 1];
    }
    c->nodes_.push_back(std::move(*n));
  }
  for (int i = 1; i <= c->size(); ++i) {
    RETURN_IF_ERROR(c->StartNewNode(i, timeout));
  }
  return c;
}

absl::Status LocalCluster::StartNewNode(int node, absl::Duration timeout) {
  // A port FreePort released can be taken before the node binds it (an outgoing connection of
  // another process gets it as its ephemeral port): a node no other knows yet takes new ones.
  absl::Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = StartNode(node, timeout);
    if (s.ok() || !absl::StrContains(s.message(), "Address already in use")) return s;
    Node& n = at(node);
    absl::StatusOr<Node> fresh = NewNode(n.id);
    if (!fresh.ok()) return fresh.status();
    n.peer = fresh->peer;
    n.http = fresh->http;
    n.redis = fresh->redis;
  }
  return s;
}

LocalCluster::~LocalCluster() {
  for (Node& n : nodes_) {
    if (n.pid > 0) {
      ::kill(n.pid, SIGKILL);
      ::waitpid(n.pid, nullptr, 0);
      n.pid = -1;
    }
  }
  if (options_.keep_dir && !options_.keep_dir()) {
    std::error_code ignored;
    std::filesystem::remove_all(options_.dir, ignored);
  }
}

absl::StatusOr<LocalCluster::Node> LocalCluster::NewNode(int id) const {
  Node n;
  n.id = id;
  for (std::string* address : {&n.peer, &n.http, &n.redis}) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    *address = absl::StrCat("127.0.0.1:", *port);
  }
  n.data_dir = absl::StrCat(options_.dir, "/n", n.id);
  n.log = absl::StrCat(options_.dir, "/n", n.id, ".log");
  return n;
}

const LocalCluster::Node& LocalCluster::at(int node) const { return nodes_.at(node - 1); }
LocalCluster::Node& LocalCluster::at(int node) { return nodes_.at(node - 1); }

std::vector<std::string> LocalCluster::Argv(const Node& n) const {
  std::vector<std::string> argv = {options_.kvnode_binary, "--id", absl::StrCat(n.id),
                                   "--data-dir", n.data_dir, "--peer", n.peer, "--http", n.http,
                                   "--redis", n.redis, "--seeds",
                                   absl::StrCat(nodes_.front().id, "@", nodes_.front().peer)};
  argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
  argv.insert(argv.end(), n.flags.begin(), n.flags.end());
  return argv;
}

absl::Status LocalCluster::StartNode(int node, absl::Duration timeout) {
  RETURN_IF_ERROR(Spawn(node));
  return WaitHealthy(node, timeout);
}

absl::Status LocalCluster::Spawn(int node) {
  Node& n = at(node);
  if (n.pid > 0) return absl::FailedPreconditionError(absl::StrCat("node ", node, " runs"));
  std::vector<std::string> args = Argv(n);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log = ::open(n.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log < 0) return absl::UnavailableError(absl::StrCat("cannot open ", n.log));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(log);
  n.pid = pid;
  return absl::OkStatus();
}

absl::Status LocalCluster::WaitHealthy(int node, absl::Duration timeout) {
  Node& n = at(node);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (n.pid <= 0) return absl::FailedPreconditionError(absl::StrCat("node ", node, " is not running"));
    if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
      n.pid = -1;
      return absl::UnavailableError(absl::StrCat("node ", node, " exited at start (status ",
                                                 status, "):\n", LogTail(node)));
    }
    kvctl::HttpTarget target{.host_port = n.http, .timeout = absl::Milliseconds(500)};
    absl::StatusOr<kvctl::HttpReply> health = kvctl::Request(target, "GET", "/health", {});
    if (health.ok() && health->status == 200) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("node ", node, " not healthy after ", absl::FormatDuration(timeout), ":\n",
                   LogTail(node)));
}

absl::StatusOr<int> LocalCluster::AddNode(std::vector<std::string> flags) {
  int id = options_.first_id;
  for (const Node& n : nodes_) id = std::max(id, n.id + 1);
  absl::StatusOr<Node> n = NewNode(id);
  if (!n.ok()) return n.status();
  n->flags = std::move(flags);
  nodes_.push_back(std::move(*n));
  RETURN_IF_ERROR(Spawn(size()));
  return size();
}

absl::Status LocalCluster::Leave(int node) {
  kvctl::HttpTarget target{.host_port = at(node).http, .token = options_.token,
                           .timeout = absl::Seconds(2)};
  absl::StatusOr<kvctl::HttpReply> reply = kvctl::Request(target, "POST", "/admin/leave", {});
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat("node ", node, " refused to leave (", reply->status,
                                               "): ", reply->body));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalCluster::Backup(int node, const std::string& root) {
  kvctl::HttpTarget target{.host_port = at(node).http, .token = options_.token,
                           .timeout = absl::Seconds(30)};
  absl::StatusOr<kvctl::HttpReply> reply = kvctl::Request(
      target, "POST", absl::StrCat("/admin/backup?to=", kvctl::EncodePathSegment(root)), {});
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat("node ", node, " did not back up (", reply->status,
                                               "): ", reply->body));
  }
  return absl::StrCat(root, "/node-", at(node).id);
}

absl::Status LocalCluster::SpawnRestored(int node, const std::string& snapshot) {
  Node& n = at(node);
  if (n.pid > 0) return absl::FailedPreconditionError(absl::StrCat("node ", node, " runs"));
  const std::string db = n.data_dir + "/db";
  std::string aside;
  for (int k = 1; aside.empty() || std::filesystem::exists(aside); ++k) {
    aside = absl::StrCat(db, ".lost-", k);
  }
  std::error_code error;
  if (std::filesystem::exists(db)) std::filesystem::rename(db, aside, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot move ", db, ": ", error.message()));
  const std::vector<std::string> flags = n.flags;
  n.flags.push_back("--restore");
  n.flags.push_back(snapshot);
  absl::Status spawned = Spawn(node);
  n.flags = flags;
  return spawned;
}

absl::StatusOr<std::string> LocalCluster::HttpGet(int node, const std::string& path,
                                                  absl::Duration timeout) const {
  const std::string& address = at(node).http;
  kvctl::HttpTarget target{.host_port = address, .token = options_.token, .timeout = timeout};
  absl::StatusOr<kvctl::HttpReply> reply = kvctl::Request(target, "GET", path, {});
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat(address, path, " answered ", reply->status));
  }
  return std::move(reply->body);
}

absl::Status LocalCluster::DefineNamespace(const std::string& name, const std::string& json_body,
                                           absl::Duration timeout) {
  const std::string path = absl::StrCat("/ns/", kvctl::EncodePathSegment(name));
  kvctl::HttpTarget target{.host_port = at(1).http, .token = options_.token};
  ASSIGN_OR_RETURN(kvctl::HttpReply reply, kvctl::Request(target, "PUT", path, {}, json_body));
  if (reply.status != 200 && reply.status != 201) {
    return absl::InvalidArgumentError(
        absl::StrCat("defining namespace ", name, ": ", reply.status, " ", reply.body));
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (int number = 1; number <= size(); ++number) {
    while (at(number).pid > 0 && !HttpGet(number, path).ok()) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("node ", at(number).id, " has not learnt namespace ", name));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return absl::OkStatus();
}

std::vector<int> LocalCluster::Reap() {
  std::vector<int> exited;
  for (int i = 1; i <= size(); ++i) {
    Node& n = at(i);
    int status = 0;
    if (n.pid > 0 && ::waitpid(n.pid, &status, WNOHANG) == n.pid) {
      n.pid = -1;
      exited.push_back(i);
    }
  }
  return exited;
}

absl::Status LocalCluster::Kill(int node) {
  Node& n = at(node);
  if (n.pid <= 0) return absl::FailedPreconditionError(absl::StrCat("node ", node, " is not running"));
  ::kill(n.pid, SIGKILL);
  ::kill(n.pid, SIGCONT);
  ::waitpid(n.pid, nullptr, 0);
  n.pid = -1;
  return absl::OkStatus();
}

absl::Status LocalCluster::Terminate(int node, absl::Duration timeout) {
  Node& n = at(node);
  if (n.pid <= 0) return absl::FailedPreconditionError(absl::StrCat("node ", node, " is not running"));
  ::kill(n.pid, SIGCONT);
  ::kill(n.pid, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (::waitpid(n.pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      Kill(node).IgnoreError();
      return absl::DeadlineExceededError(absl::StrCat("node ", node, " ignored SIGTERM for ",
                                                      absl::FormatDuration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  n.pid = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("node ", node, " exited with status ", status,
                                            " after SIGTERM:\n", LogTail(node)));
  }
  return absl::OkStatus();
}

absl::Status LocalCluster::Pause(int node) {
  if (at(node).pid <= 0) return absl::FailedPreconditionError("not running");
  ::kill(at(node).pid, SIGSTOP);
  return absl::OkStatus();
}

absl::Status LocalCluster::Resume(int node) {
  if (at(node).pid <= 0) return absl::FailedPreconditionError("not running");
  ::kill(at(node).pid, SIGCONT);
  return absl::OkStatus();
}

absl::Status LocalCluster::WaitForRing(absl::Duration timeout, int owners) {
  if (owners == 0) owners = size();
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no answer yet";
  while (absl::Now() < deadline) {
    bool all = true;
    for (int number = 1; number <= size(); ++number) {
      const Node& n = at(number);
      if (n.pid <= 0) continue;
      absl::StatusOr<json> c = ParseJson(HttpGet(number, "/cluster"));
      if (!c.ok()) {
        all = false;
        last = std::string(c.status().message());
        break;
      }
      int owning = 0, alive = 0;
      for (const json& m : (*c)["members"]) {
        if (m.value("partitions", 0) > 0) ++owning;
        if (m.value("alive", false) || m.value("id", 0) == n.id) ++alive;
      }
      if (owning != owners || alive < owners) {
        all = false;
        last = absl::StrCat("node ", n.id, " sees ", owning, " owners, ", alive, " alive");
        break;
      }
    }
    if (all) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("the ring did not form: ", last));
}

absl::Status LocalCluster::WaitForHintsDrained(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    uint64_t total = 0;
    bool answered = true;
    for (int number = 1; number <= size(); ++number) {
      const Node& n = at(number);
      if (n.pid <= 0) continue;
      absl::StatusOr<json> c = ParseJson(HttpGet(number, "/cluster"));
      if (!c.ok()) {
        answered = false;
        break;
      }
      const uint64_t held = (*c)["hints"].value("total", uint64_t{0});
      if (held > 0) last = absl::StrCat("node ", n.id, " holds ", held, " hints");
      total += held;
    }
    if (answered && total == 0) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return absl::DeadlineExceededError(absl::StrCat("hints did not drain: ", last));
}

std::string LocalCluster::LogTail(int node, int lines) const {
  std::ifstream in(at(node).log);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  return absl::StrJoin(tail, "\n");
}

}  // namespace kv::realcluster
