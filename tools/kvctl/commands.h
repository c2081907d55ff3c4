// kvctl's commands over a node's HTTP API: what each sends, and how its answer is shown (human
// text by default, the API's JSON with --json). Each returns the process exit status: 0 done,
// 1 the operation failed or the key is absent, 2 bad usage; errors are printed to stderr.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/kvctl/http_client.h"

namespace kv::kvctl {

struct Output {
  bool json = false;
};

struct PutArgs {
  std::string ns;  // the key's namespace ("" = default)
  std::string key, value, context;
  absl::Duration ttl = absl::ZeroDuration();
  int w = 0;
};

// `ns`: the key's namespace ("" = default).
int Get(const HttpTarget& node, const Output& out, const std::string& ns, const std::string& key,
        int r);
int Put(const HttpTarget& node, const Output& out, const PutArgs& args);
int Delete(const HttpTarget& node, const Output& out, const std::string& ns,
           const std::string& key, const std::string& context);
int Status(const HttpTarget& node, const Output& out);
// seed: "id@host:port" of a member of the cluster to join.
int Join(const HttpTarget& node, const Output& out, const std::string& seed);
int Leave(const HttpTarget& node, const Output& out);
int Decommission(const HttpTarget& node, const Output& out, const std::string& node_id);
// Asks each of `nodes` to write its snapshot under `to` (made absolute; on each node's own host)
// and writes `to`/MANIFEST.json (on this host) naming them. Exit status 1 if any node failed (the
// manifest then lists only those that succeeded, and says the backup is incomplete).
int Backup(const std::vector<HttpTarget>& nodes, const Output& out, const std::string& to);

}  // namespace kv::kvctl
