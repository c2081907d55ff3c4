#include "tools/kvctl/namespace_commands.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/reply.h"

namespace kv::kvctl {
namespace {

using json = nlohmann::json;

void PrintHeader() {
  std::printf("%-20s %-3s %-3s %-3s %-7s %-10s %-12s %-6s %-12s %s\n", "NAMESPACE", "N", "R",
              "W", "QUORUM", "TTL", "SIBLINGS_MAX", "TOKEN", "CACHE_BYTES", "VERSION");
}

void PrintRow(const json& ns) {
  const double ttl = ns.value("ttl", 0.0);
  const std::string ttl_text =
      ttl > 0 ? absl::FormatDuration(absl::Seconds(ttl)) : std::string("none");
  const int64_t siblings = ns.value("siblings_max", int64_t{0});
  const uint64_t cache = ns.value("cache_bytes", uint64_t{0});
  std::printf("%-20s %-3s %-3s %-3s %-7s %-10s %-12s %-6s %-12s %s\n", Str(ns, "name").c_str(),
              Str(ns, "n").c_str(), Str(ns, "r").c_str(), Str(ns, "w").c_str(),
              Str(ns, "quorum").c_str(), ttl_text.c_str(),
              siblings == 0 ? "(node's)" : absl::StrCat(siblings).c_str(),
              ns.value("token", false) ? "yes" : "no",
              cache == 0 ? "-" : absl::StrCat(cache).c_str(), Str(ns, "version").c_str());
}

// GET `path`; prints its JSON (--json) or its rows.
int ShowJson(const HttpTarget& node, const Output& out, const std::string& path, bool list) {
  std::optional<json> body = GetJson(node, path);
  if (!body.has_value()) return 1;
  if (out.json) {
    std::printf("%s\n", body->dump(2).c_str());
    return 0;
  }
  PrintHeader();
  if (!list) {
    PrintRow(*body);
  } else {
    for (const json& ns : (*body)["namespaces"]) PrintRow(ns);
  }
  return 0;
}

}  // namespace

int ListNamespaces(const HttpTarget& node, const Output& out) {
  return ShowJson(node, out, "/ns", /*list=*/true);
}

int ShowNamespace(const HttpTarget& node, const Output& out, const std::string& name) {
  return ShowJson(node, out, absl::StrCat("/ns/", EncodePathSegment(name)), /*list=*/false);
}

int DefineNamespace(const HttpTarget& node, const Output& out, const NamespaceArgs& args,
                    bool create) {
  const std::string path = absl::StrCat("/ns/", EncodePathSegment(args.name));
  absl::StatusOr<HttpReply> existing = Request(node, "GET", path, {});
  if (!existing.ok()) return Fail(existing.status());
  if (create && existing->status == 200) {
    return Fail(absl::AlreadyExistsError(absl::StrCat(
        "namespace '", args.name, "' already exists (kvctl ns update changes it)")));
  }
  if (!create && existing->status == 404) {
    return Fail(absl::NotFoundError(
        absl::StrCat("no namespace '", args.name, "' (kvctl ns create makes one)")));
  }
  json body = json::object();
  if (args.n) body["n"] = *args.n;
  if (args.r) body["r"] = *args.r;
  if (args.w) body["w"] = *args.w;
  if (args.siblings_max) body["siblings_max"] = *args.siblings_max;
  if (args.strict) body["quorum"] = *args.strict ? "strict" : "sloppy";
  if (args.ttl) body["ttl"] = absl::ToDoubleSeconds(*args.ttl);
  if (args.token) body["token"] = *args.token;
  if (args.cache_bytes) body["cache_bytes"] = *args.cache_bytes;
  absl::StatusOr<HttpReply> reply = Request(node, "PUT", path, {}, body.dump());
  if (!reply.ok()) return Fail(reply.status());
  if (reply->status != 200 && reply->status != 201) return FailReply(*reply);
  absl::StatusOr<json> defined = ParseJson(*reply);
  if (!defined.ok()) return Fail(defined.status());
  if (out.json) {
    std::printf("%s\n", defined->dump(2).c_str());
  } else {
    std::printf("%s namespace %s (it reaches every node within a few gossip rounds)\n",
                reply->status == 201 ? "created" : "updated", args.name.c_str());
    PrintHeader();
    PrintRow(*defined);
  }
  return 0;
}

}  // namespace kv::kvctl
