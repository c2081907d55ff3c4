#include "tools/kvctl/commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/reply.h"

namespace kv::kvctl {
namespace {

using json = nlohmann::json;

// A value as text: printable bytes as they are, others escaped (C style).
std::string Printable(const std::string& bytes) {
  for (unsigned char c : bytes) {
    if (c < 0x20 || c >= 0x7f) return absl::StrCat("\"", absl::CHexEscape(bytes), "\"");
  }
  return bytes;
}

void ShowValues(const json& body) {
  const json& values = body["values"];
  if (values.size() > 1) {
    std::printf("%zu siblings (concurrent writes; put with this context to resolve them):\n",
                values.size());
  }
  int i = 0;
  for (const json& v : values) {
    std::string bytes;
    absl::Base64Unescape(Str(v, "value_base64"), &bytes);
    const std::string expires = Str(v, "expires");
    const std::string meta = absl::StrCat("written ", Str(v, "timestamp"), ", dot ", Str(v, "dot"),
                                          expires.empty() ? "" : absl::StrCat(", expires ", expires));
    if (values.size() == 1) {
      std::printf("value: %s\n(%s)\n", Printable(bytes).c_str(), meta.c_str());
    } else {
      std::printf("  %d) %s  (%s)\n", ++i, Printable(bytes).c_str(), meta.c_str());
    }
  }
  std::printf("context: %s\n", Str(body, "context").c_str());
}

}  // namespace

int Get(const HttpTarget& node, const Output& out, const std::string& ns, const std::string& key,
        int r) {
  std::string path = absl::StrCat(KeyPath(ns, key), "?format=json");
  if (r > 0) absl::StrAppend(&path, "&r=", r);
  absl::StatusOr<HttpReply> reply = Request(node, "GET", path, {});
  if (!reply.ok()) return Fail(reply.status());
  if (reply->status != 200 && reply->status != 300 && reply->status != 404) return FailReply(*reply);
  absl::StatusOr<json> body = ParseJson(*reply);
  if (!body.ok()) return Fail(body.status());
  if (out.json) {
    std::printf("%s\n", body->dump(2).c_str());
  } else if (reply->status == 404) {
    std::printf("(not found)\n");
    const std::string context = Str(*body, "context");
    if (!context.empty()) std::printf("context: %s\n", context.c_str());
  } else {
    ShowValues(*body);
  }
  return reply->status == 404 ? 1 : 0;
}

int Put(const HttpTarget& node, const Output& out, const PutArgs& args) {
  std::string path = absl::StrCat(KeyPath(args.ns, args.key), "?returnbody=true&format=json");
  if (args.w > 0) absl::StrAppend(&path, "&w=", args.w);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!args.context.empty()) headers.emplace_back("X-Kv-Context", args.context);
  if (args.ttl > absl::ZeroDuration()) {
    headers.emplace_back("X-Kv-Ttl", absl::StrFormat("%.3f", absl::ToDoubleSeconds(args.ttl)));
  }
  absl::StatusOr<HttpReply> reply = Request(node, "PUT", path, headers, args.value);
  if (!reply.ok()) return Fail(reply.status());
  if (reply->status != 200 && reply->status != 204) return FailReply(*reply);
  if (out.json) {
    std::printf("%s\n", reply->body.c_str());
    return 0;
  }
  std::printf("stored (acks: %s, dot %s)\ncontext: %s\n", reply->Header("X-Kv-Acks").c_str(),
              reply->Header("X-Kv-Dot").c_str(), reply->Header("X-Kv-Context").c_str());
  return 0;
}

int Delete(const HttpTarget& node, const Output& out, const std::string& ns,
           const std::string& key, const std::string& context) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!context.empty()) headers.emplace_back("X-Kv-Context", context);
  absl::StatusOr<HttpReply> reply =
      Request(node, "DELETE", KeyPath(ns, key), headers);
  if (!reply.ok()) return Fail(reply.status());
  if (reply->status != 204 && reply->status != 200) return FailReply(*reply);
  if (out.json) {
    std::printf("%s\n", json{{"deleted", key}, {"context", reply->Header("X-Kv-Context")}}.dump().c_str());
  } else {
    std::printf("deleted\ncontext: %s\n", reply->Header("X-Kv-Context").c_str());
  }
  return 0;
}

int Status(const HttpTarget& node, const Output& out) {
  std::optional<json> body = GetJson(node, "/cluster");
  if (!body.has_value()) return 1;
  if (out.json) {
    std::printf("%s\n", body->dump(2).c_str());
    return 0;
  }
  const json& c = *body;
  std::printf("node %s (generation %s, %s)", Str(c, "node").c_str(), Str(c, "generation").c_str(),
              Str(c, "status").c_str());
  if (c.contains("ring") && c["ring"].is_object()) {
    std::printf(", ring version %s: %s partitions, N=%s", Str(c["ring"], "version").c_str(),
                Str(c["ring"], "partitions").c_str(), Str(c["ring"], "n_val").c_str());
  } else {
    std::printf(", no ring yet");
  }
  std::printf("\n\n%-6s %-22s %-8s %-6s %-10s %s\n", "NODE", "ADDRESS", "STATUS", "ALIVE",
              "PARTITIONS", "OWNERSHIP");
  for (const json& m : c["members"]) {
    std::printf("%-6s %-22s %-8s %-6s %-10s %.1f%%\n", Str(m, "id").c_str(),
                Str(m, "address").c_str(), Str(m, "status").c_str(),
                m.value("alive", false) ? "yes" : "no", Str(m, "partitions").c_str(),
                m.value("ownership_percent", 0.0));
  }
  const json& hints = c["hints"];
  std::printf("\nhints pending: %s", Str(hints, "total").c_str());
  if (hints.contains("by_target")) {
    for (const json& t : hints["by_target"]) {
      std::printf("  (node %s: %s)", Str(t, "node").c_str(), Str(t, "count").c_str());
    }
  }
  std::printf("\ntransfers in progress: %zu\n", c["transfers"].size());
  for (const json& t : c["transfers"]) {
    std::printf("  partition %s -> node %s: %s keys sent, %s passes left\n",
                Str(t, "partition").c_str(), Str(t, "target").c_str(), Str(t, "keys_sent").c_str(),
                Str(t, "passes_left").c_str());
  }
  return 0;
}

namespace {
int Admin(const HttpTarget& node, const Output& out, const std::string& path, const char* done) {
  absl::StatusOr<HttpReply> reply = Request(node, "POST", path, {});
  if (!reply.ok()) return Fail(reply.status());
  if (reply->status / 100 != 2) return FailReply(*reply);
  if (out.json) {
    std::printf("%s\n", reply->body.c_str());
  } else {
    std::printf("%s\n", done);
  }
  return 0;
}
}  // namespace

int Join(const HttpTarget& node, const Output& out, const std::string& seed) {
  return Admin(node, out, absl::StrCat("/admin/join?seed=", EncodePathSegment(seed)),
               "joining (see kvctl status for progress)");
}

int Leave(const HttpTarget& node, const Output& out) {
  return Admin(node, out, "/admin/leave",
               "leaving: the node hands its partitions over, then stops serving them");
}

int Decommission(const HttpTarget& node, const Output& out, const std::string& node_id) {
  return Admin(node, out, absl::StrCat("/admin/decommission/", EncodePathSegment(node_id)),
               "decommissioned: the others rebuild its replicas");
}

int Backup(const std::vector<HttpTarget>& nodes, const Output& out, const std::string& to) {
  std::error_code error;
  const std::filesystem::path root = std::filesystem::absolute(to, error);
  if (error) return Fail(absl::InvalidArgumentError(absl::StrCat("--to ", to, ": ", error.message())));
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  json manifest = {{"format", 1}, {"created_unix_micros", now.count()}, {"nodes", json::array()}};
  int status = 0;
  for (const HttpTarget& node : nodes) {
    absl::StatusOr<HttpReply> reply = Request(
        node, "POST", absl::StrCat("/admin/backup?to=", EncodePathSegment(root.string())), {});
    if (!reply.ok()) {
      status = Fail(reply.status());
      continue;
    }
    if (reply->status / 100 != 2) {
      status = FailReply(*reply);
      continue;
    }
    json snapshot = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (snapshot.is_discarded() || !snapshot.contains("node")) {
      status = Fail(absl::DataLossError(absl::StrCat(node.host_port, ": unexpected answer")));
      continue;
    }
    snapshot["address"] = node.host_port;
    if (!out.json) {
      std::printf("node %s: %s (%s files, %s bytes)\n", Str(snapshot, "node").c_str(),
                  Str(snapshot, "dir").c_str(), Str(snapshot, "file_count").c_str(),
                  Str(snapshot, "bytes").c_str());
    }
    manifest["nodes"].push_back(std::move(snapshot));
  }
  manifest["complete"] = status == 0;
  std::filesystem::create_directories(root, error);
  std::ofstream file(root / "MANIFEST.json", std::ios::trunc);
  file << manifest.dump(2) << "\n";
  file.close();
  if (!file) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", (root / "MANIFEST.json").string())));
  if (out.json) std::printf("%s\n", manifest.dump(2).c_str());
  if (status != 0) std::cerr << "kvctl: the backup is incomplete (see MANIFEST.json)\n";
  return status;
}

}  // namespace kv::kvctl
