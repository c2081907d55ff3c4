#include "tools/kvctl/reply.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace kv::kvctl {

using json = nlohmann::json;

int Fail(const absl::Status& status) {
  std::cerr << "kvctl: " << status.message() << "\n";
  return 1;
}

int FailReply(const HttpReply& reply) {
  std::string body = reply.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  std::cerr << "kvctl: " << reply.status << ": " << body << "\n";
  return 1;
}

absl::StatusOr<json> ParseJson(const HttpReply& reply) {
  json parsed = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(absl::StrCat("the node answered ", reply.status,
                                            " with a body that is not JSON"));
  }
  return parsed;
}

std::optional<json> GetJson(const HttpTarget& node, const std::string& path) {
  absl::StatusOr<HttpReply> reply = Request(node, "GET", path, {});
  if (!reply.ok()) return Fail(reply.status()), std::nullopt;
  if (reply->status != 200) return FailReply(*reply), std::nullopt;
  absl::StatusOr<json> body = ParseJson(*reply);
  if (!body.ok()) return Fail(body.status()), std::nullopt;
  return *std::move(body);
}

std::string Str(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string KeyPath(const std::string& ns, const std::string& key) {
  if (ns.empty() || ns == "default") return absl::StrCat("/kv/", EncodePathSegment(key));
  return absl::StrCat("/ns/", EncodePathSegment(ns), "/kv/", EncodePathSegment(key));
}

}  // namespace kv::kvctl
