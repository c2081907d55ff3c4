#include "node/api/namespace_json.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace kv::api {
namespace {

using json = nlohmann::json;

double Seconds(int64_t micros) { return static_cast<double>(micros) / 1e6; }

absl::StatusOr<uint32_t> Count(const json& value, const char* field) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", field, "\" must be a whole number >= 0; got ", value.dump()));
  }
  return value.get<uint32_t>();
}

}  // namespace

json NamespaceJson(const node::Namespace& ns) {
  return {{"name", ns.name()},
          {"n", ns.n()},
          {"r", ns.r()},
          {"w", ns.w()},
          {"quorum", ns.strict() ? "strict" : "sloppy"},
          {"ttl", Seconds(ns.default_ttl_micros())},
          {"siblings_max", ns.siblings_max()},
          {"token", !ns.token().empty()},
          {"cache_bytes", ns.cache_bytes()},
          {"version", ns.version()}};
}

json DefaultNamespaceJson(const node::CoordinatorOptions& o, bool token_set) {
  return {{"name", "default"},
          {"n", o.n},
          {"r", o.r},
          {"w", o.w},
          {"quorum", o.sloppy ? "sloppy" : "strict"},
          {"ttl", 0},
          {"siblings_max", o.siblings_max},
          {"token", token_set},
          {"cache_bytes", 0},
          {"version", 0}};
}

absl::StatusOr<node::Namespace> NamespaceFromJson(absl::string_view body, node::Namespace base) {
  const json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError(
        "the body must be a JSON object, e.g. {\"n\": 3, \"r\": 2, \"w\": 2}");
  }
  for (const auto& [field, value] : parsed.items()) {
    if (field == "n" || field == "r" || field == "w" || field == "siblings_max") {
      absl::StatusOr<uint32_t> count = Count(value, field.c_str());
      if (!count.ok()) return count.status();
      if (field == "n") base.set_n(*count);
      if (field == "r") base.set_r(*count);
      if (field == "w") base.set_w(*count);
      if (field == "siblings_max") base.set_siblings_max(*count);
    } else if (field == "cache_bytes") {
      if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"cache_bytes\" must be a whole number >= 0; got ", value.dump()));
      }
      base.set_cache_bytes(value.get<uint64_t>());
    } else if (field == "quorum") {
      if (value != "sloppy" && value != "strict") {
        return absl::InvalidArgumentError(
            absl::StrCat("\"quorum\" must be \"sloppy\" or \"strict\"; got ", value.dump()));
      }
      base.set_strict(value == "strict");
    } else if (field == "ttl") {
      // Seconds; up to about 292 years fits the microseconds.
      if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
          value.get<double>() > 9.2e12) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"ttl\" must be a number of seconds >= 0; got ", value.dump()));
      }
      base.set_default_ttl_micros(static_cast<int64_t>(std::llround(value.get<double>() * 1e6)));
    } else if (field == "token" && value.is_boolean()) {
      // As GET shows it: true keeps the token, false removes it.
      if (!value.get<bool>()) base.clear_token();
    } else if (field == "token") {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("\"token\" must be a string; got ", value.dump()));
      }
      base.set_token(value.get<std::string>());
    } else if (field == "name") {
      if (value != base.name()) {
        return absl::InvalidArgumentError(absl::StrCat("the body names namespace ", value.dump(),
                                                       ", the path '", base.name(), "'"));
      }
    } else if (field == "version") {
      // What GET shows may be sent back as it is; the node numbers versions.
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown field \"", field, "\" (known: n, r, w, quorum, ttl, siblings_max, token, cache_bytes)"));
    }
  }
  return base;
}

}  // namespace kv::api
