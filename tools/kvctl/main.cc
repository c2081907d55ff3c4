// kvctl: talk to a dynkv node's HTTP API. See tools/kvctl/README.md.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "tools/kvctl/commands.h"
#include "tools/kvctl/namespace_commands.h"

int main(int argc, char** argv) {
  using namespace kv::kvctl;
  CLI::App app{"kvctl: read, write and administer a dynkv cluster through a node's HTTP API"};
  app.require_subcommand(1);
  HttpTarget node{.host_port = "127.0.0.1:7101"};
  Output out;
  std::string timeout = "10s";
  app.add_option("--node", node.host_port, "the node's HTTP API address (host:port)");
  app.add_option("--token", node.token, "client token, if the node requires one");
  app.add_flag("--json", out.json, "print the API's JSON instead of text");
  app.add_option("--timeout", timeout, "give up after this long (e.g. 500ms, 10s)");
  std::string ns;
  app.add_option("--ns", ns, "the namespace of get/put/delete's key (default: default)");

  std::string key, value, context, ttl, seed, node_id;
  int r = 0, w = 0;
  CLI::App* get = app.add_subcommand("get", "read a key (all siblings, and the context)");
  get->add_option("key", key, "the key")->required();
  get->add_option("--r", r, "replies to wait for (default: the cluster's R)");
  CLI::App* put = app.add_subcommand("put", "write a key (VALUE '-' reads stdin)");
  put->add_option("key", key, "the key")->required();
  put->add_option("value", value, "the value")->required();
  put->add_option("--context", context, "the context of your last read of the key");
  put->add_option("--ttl", ttl, "expire after this long (e.g. 30s, 1h)");
  put->add_option("--w", w, "acknowledgements to wait for (default: the cluster's W)");
  CLI::App* del = app.add_subcommand("delete", "delete a key");
  del->add_option("key", key, "the key")->required();
  del->add_option("--context", context, "the context of your last read of the key");
  CLI::App* status = app.add_subcommand("status", "members, liveness, ownership, hints, transfers");
  CLI::App* join = app.add_subcommand("join", "make a node running alone join a cluster");
  join->add_option("seed", seed, "a member of the cluster, as id@host:port (its peer address)")
      ->required();
  CLI::App* leave = app.add_subcommand("leave", "make the node leave the cluster");
  CLI::App* decommission =
      app.add_subcommand("decommission", "remove a dead node for good (asked of a live node)");
  decommission->add_option("node_id", node_id, "the gone node's id")->required();
  std::string backup_to;
  std::vector<std::string> backup_nodes;
  CLI::App* backup = app.add_subcommand(
      "backup", "snapshot the node (or --nodes, a whole cluster) into a directory, online");
  backup->add_option("--to", backup_to, "backup directory (absolute, or relative to here)")
      ->required();
  backup->add_option("--nodes", backup_nodes,
                     "HTTP addresses of every node to back up (default: --node)")
      ->delimiter(',');
  CLI::App* ns_cmd = app.add_subcommand("ns", "namespaces: list, show, create, update");
  ns_cmd->require_subcommand(1);
  CLI::App* ns_list = ns_cmd->add_subcommand("list", "every namespace and its settings");
  CLI::App* ns_show = ns_cmd->add_subcommand("show", "one namespace's settings");
  NamespaceArgs ns_args;
  ns_show->add_option("name", ns_args.name, "the namespace")->required();
  std::string ns_ttl;
  CLI::App* ns_create = ns_cmd->add_subcommand("create", "define a namespace (settings default to "
                                                         "the default namespace's)");
  CLI::App* ns_update = ns_cmd->add_subcommand("update", "change a namespace's settings (not N)");
  for (CLI::App* sub : {ns_create, ns_update}) {
    sub->add_option("name", ns_args.name, "the namespace (letters, digits, _ and -)")->required();
    sub->add_option("--n", ns_args.n, "replicas (fixed once created)");
    sub->add_option("--r", ns_args.r, "replies a read waits for");
    sub->add_option("--w", ns_args.w, "acknowledgements a write waits for");
    sub->add_flag("--strict{true},--sloppy{false}", ns_args.strict,
                  "strict quorums (only the preference list) or sloppy (stand-ins, hints)");
    sub->add_option("--ttl", ns_ttl, "default TTL of its writes (e.g. 1h; 0 for none)");
    sub->add_option("--siblings-max", ns_args.siblings_max, "sibling limit (0: the nodes')");
    sub->add_option("--cache-bytes", ns_args.cache_bytes,
                    "a cache: live bytes each node keeps, LRU-evicted beyond (e.g. 64MiB; "
                    "fixed at create: a cache or not)")
        ->transform(CLI::AsSizeValue(false));
    sub->add_option("--ns-token", ns_args.token,
                    "the token its clients present (HTTP bearer, Redis AUTH); '' removes it");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  absl::Duration parsed;
  if (!absl::ParseDuration(timeout, &parsed) || parsed <= absl::ZeroDuration()) {
    std::cerr << "kvctl: --timeout: '" << timeout << "' is not a positive duration\n";
    return 2;
  }
  node.timeout = parsed;

  if (get->parsed()) return Get(node, out, ns, key, r);
  if (put->parsed()) {
    PutArgs args{.ns = ns, .key = key, .value = value, .context = context, .w = w};
    if (value == "-") {
      args.value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    if (!ttl.empty() && (!absl::ParseDuration(ttl, &args.ttl) || args.ttl <= absl::ZeroDuration())) {
      std::cerr << "kvctl: --ttl: '" << ttl << "' is not a positive duration\n";
      return 2;
    }
    return Put(node, out, args);
  }
  if (del->parsed()) return Delete(node, out, ns, key, context);
  if (ns_list->parsed()) return ListNamespaces(node, out);
  if (ns_show->parsed()) return ShowNamespace(node, out, ns_args.name);
  if (ns_create->parsed() || ns_update->parsed()) {
    if (!ns_ttl.empty()) {
      absl::Duration d;
      if (ns_ttl == "0") {
        d = absl::ZeroDuration();
      } else if (!absl::ParseDuration(ns_ttl, &d) || d < absl::ZeroDuration()) {
        std::cerr << "kvctl: --ttl: '" << ns_ttl << "' is not a duration (e.g. 90s, 1h, 0)\n";
        return 2;
      }
      ns_args.ttl = d;
    }
    return DefineNamespace(node, out, ns_args, ns_create->parsed());
  }
  if (status->parsed()) return Status(node, out);
  if (join->parsed()) return Join(node, out, seed);
  if (leave->parsed()) return Leave(node, out);
  if (decommission->parsed()) return Decommission(node, out, node_id);
  if (backup->parsed()) {
    std::vector<HttpTarget> targets;
    for (const std::string& address : backup_nodes) {
      HttpTarget t = node;
      t.host_port = address;
      targets.push_back(t);
    }
    if (targets.empty()) targets.push_back(node);
    return Backup(targets, out, backup_to);
  }
  return 2;
}
