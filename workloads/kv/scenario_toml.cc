#include "workloads/kv/scenario_toml.h"

#include <map>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "toml++/toml.h"

namespace kv::workloads {
namespace {

const char* TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
  }
}

int LineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// Shared state of one parse: the first error and the line of every field seen (for errors that
// ValidateScenario reports by field name).
struct ParseState {
  std::string source;
  absl::Status error;
  std::map<std::string, int> lines;

  void Fail(int line, absl::string_view field, const std::string& reason) {
    if (!error.ok()) return;
    error = absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", field, ": ", reason));
  }
};

// Reads one table's fields; Finish() rejects the keys nobody asked for.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, ParseState* state)
      : table_(table), path_(std::move(path)), state_(state) {
    state_->lines[path_] = LineOf(table);
    for (auto&& [key, node] : table_) state_->lines[Field(key.str())] = LineOf(node);
  }

  std::string Field(std::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", std::string(key));
  }

  const toml::node* Get(std::string_view key) {
    known_.emplace_back(key);
    return table_.get(key);
  }

  void Fail(std::string_view key, const toml::node& n, const std::string& reason) {
    state_->Fail(LineOf(n), Field(key), reason);
  }

  void Int(std::string_view key, int64_t lo, int64_t hi, auto* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_integer()) return Fail(key, *n, absl::StrCat("expected an integer, got ", TypeName(*n)));
    const int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) return Fail(key, *n, absl::StrCat("must be ", lo, "..", hi, ", got ", v));
    *out = static_cast<std::remove_reference_t<decltype(*out)>>(v);
  }

  void Double(std::string_view key, double* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (n->is_integer()) {
      *out = static_cast<double>(n->as_integer()->get());
    } else if (n->is_floating_point()) {
      *out = n->as_floating_point()->get();
    } else {
      Fail(key, *n, absl::StrCat("expected a number, got ", TypeName(*n)));
    }
  }

  void Bool(std::string_view key, bool* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_boolean()) return Fail(key, *n, absl::StrCat("expected true or false, got ", TypeName(*n)));
    *out = n->as_boolean()->get();
  }

  void String(std::string_view key, std::string* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_string()) return Fail(key, *n, absl::StrCat("expected a string, got ", TypeName(*n)));
    *out = n->as_string()->get();
  }

  // Each table of the array of tables `key` ([[path.key]]), read by fn(reader, index).
  template <typename Fn>
  void Tables(std::string_view key, Fn fn) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_array_of_tables()) {
      return Fail(key, *n, absl::StrCat("expected [[", Field(key), "]] tables"));
    }
    size_t i = 0;
    for (const toml::node& entry : *n->as_array()) {
      TableReader reader(*entry.as_table(), absl::StrCat(Field(key), "[", i, "]"), state_);
      fn(reader, i++);
    }
  }

  const toml::table& table() const { return table_; }

  // One of `choices` (each a name and the value it means).
  template <typename T>
  void Choice(std::string_view key, std::initializer_list<std::pair<const char*, T>> choices,
              T* out) {
    std::string text;
    const toml::node* n = table_.get(key);
    String(key, &text);
    if (n == nullptr || !n->is_string()) return;
    std::vector<std::string> names;
    for (const auto& [name, value] : choices) {
      if (text == name) {
        *out = value;
        return;
      }
      names.push_back(absl::StrCat("'", name, "'"));
    }
    Fail(key, *n, absl::StrCat("unknown value '", text, "'; expected ", absl::StrJoin(names, ", ")));
  }

  void DurationField(std::string_view key, Duration* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_string()) {
      return Fail(key, *n, absl::StrCat("expected a duration string such as \"500ms\" or \"2s\", got ",
                                        TypeName(*n)));
    }
    if (!absl::ParseDuration(n->as_string()->get(), out)) {
      Fail(key, *n, absl::StrCat("cannot read '", n->as_string()->get(),
                                 "' as a duration (examples: \"250ms\", \"3s\", \"2m\")"));
    }
  }

  // A [min, max] pair of durations, or one duration for both.
  void DurationRange(std::string_view key, Duration* lo, Duration* hi) {
    const toml::node* n = table_.get(key);
    if (n != nullptr && n->is_array()) {
      Get(key);
      const toml::array& a = *n->as_array();
      Duration d[2];
      if (a.size() != 2 || !a[0].is_string() || !a[1].is_string() ||
          !absl::ParseDuration(a[0].as_string()->get(), &d[0]) ||
          !absl::ParseDuration(a[1].as_string()->get(), &d[1])) {
        return Fail(key, *n, "expected [\"min\", \"max\"] durations");
      }
      *lo = d[0];
      *hi = d[1];
      return;
    }
    DurationField(key, lo);
    if (n != nullptr) *hi = *lo;
  }

  // A list of integers in [lo, hi].
  void IntList(std::string_view key, int64_t lo, int64_t hi, std::vector<uint32_t>* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_array()) return Fail(key, *n, absl::StrCat("expected an array, got ", TypeName(*n)));
    out->clear();
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_integer() || e.as_integer()->get() < lo || e.as_integer()->get() > hi) {
        return Fail(key, e, absl::StrCat("expected integers ", lo, "..", hi));
      }
      out->push_back(static_cast<uint32_t>(e.as_integer()->get()));
    }
  }

  void StringList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* n = Get(key);
    if (n == nullptr) return;
    if (!n->is_array()) return Fail(key, *n, absl::StrCat("expected an array, got ", TypeName(*n)));
    out->clear();
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return Fail(key, e, "expected an array of strings");
      out->push_back(e.as_string()->get());
    }
  }

  // A sub-table; nullptr if absent (a non-table value is an error).
  const toml::table* Table(std::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      Fail(key, *n, absl::StrCat("expected a table, got ", TypeName(*n)));
      return nullptr;
    }
    return n->as_table();
  }

  void Finish() {
    for (auto&& [key, node] : table_) {
      if (std::find(known_.begin(), known_.end(), key.str()) == known_.end()) {
        state_->Fail(LineOf(node), Field(key.str()), "unknown key");
      }
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  ParseState* state_;
  std::vector<std::string> known_;
};

// One [[cluster.namespace]] table.
void ReadNamespace(TableReader& t, node::Namespace* ns) {
  std::string name;
  t.String("name", &name);
  ns->set_name(name);
  uint32_t n = 0, r = 0, w = 0, siblings_max = 0;
  t.Int("n", 1, 64, &n);
  t.Int("r", 1, 64, &r);
  t.Int("w", 1, 64, &w);
  t.Int("siblings_max", 0, 1 << 20, &siblings_max);
  ns->set_n(n);
  ns->set_r(r);
  ns->set_w(w);
  ns->set_siblings_max(siblings_max);
  bool sloppy = true;
  t.Choice<bool>("quorum", {{"sloppy", true}, {"strict", false}}, &sloppy);
  ns->set_strict(!sloppy);
  Duration ttl = absl::ZeroDuration();
  t.DurationField("ttl", &ttl);
  ns->set_default_ttl_micros(absl::ToInt64Microseconds(ttl));
  uint64_t cache_bytes = 0;
  t.Int("cache_bytes", 0, int64_t{1} << 40, &cache_bytes);
  ns->set_cache_bytes(cache_bytes);
  t.Finish();
}

void ReadCluster(TableReader& t, ClusterSpec* c) {
  t.Int("nodes", 1, 128, &c->nodes);
  t.IntList("weights", 1, 64, &c->weights);
  t.Int("n", 1, 64, &c->n);
  t.Int("r", 1, 64, &c->r);
  t.Int("w", 1, 64, &c->w);
  t.Choice<bool>("quorum", {{"sloppy", true}, {"strict", false}}, &c->sloppy);
  t.Int("partitions", 1, 4096, &c->partitions);
  t.Choice<storage::Durability>(
      "durability", {{"sync", storage::Durability::kSync}, {"interval", storage::Durability::kInterval}},
      &c->durability);
  t.DurationField("anti_entropy_interval", &c->anti_entropy_interval);
  t.DurationField("gossip_interval", &c->gossip_interval);
  t.DurationField("handoff_interval", &c->handoff_interval);
  t.DurationField("request_timeout", &c->request_timeout);
  t.DurationField("clock_skew", &c->clock_skew);
  t.Double("clock_drift_ppm", &c->clock_drift_ppm);
  t.Choice<storage::Resolution>("resolution",
                       {{"dvv", storage::Resolution::kDottedVersionVectors}, {"lww", storage::Resolution::kLastWriterWins}},
                       &c->resolution);
  t.Tables("namespace", [c](TableReader& nt, size_t) { ReadNamespace(nt, &c->namespaces.emplace_back()); });
  t.Finish();
}

void ReadWorkload(TableReader& t, ParseState* state, WorkloadSpec* w) {
  // The preset first: explicit mix and distribution settings refine it.
  std::string preset;
  t.String("preset", &preset);
  if (!preset.empty()) {
    if (absl::Status st = ApplyPreset(preset, w); !st.ok()) {
      state->Fail(state->lines["workload.preset"], "workload.preset",
                  std::string(st.message().substr(st.message().find(": ") + 2)));
    }
  }
  t.Int("clients", 1, 1024, &w->clients);
  t.Choice<Loop>("loop", {{"closed", Loop::kClosed}, {"open", Loop::kOpen}}, &w->loop);
  t.Double("rate", &w->rate);
  t.DurationField("duration", &w->duration);
  t.Int("keys", 1, 10'000'000, &w->keys);
  t.Choice<KeyDistribution>("distribution",
                            {{"uniform", KeyDistribution::kUniform},
                             {"zipfian", KeyDistribution::kZipfian},
                             {"latest", KeyDistribution::kLatest}},
                            &w->distribution);
  t.Double("zipf_theta", &w->zipf_theta);
  if (const toml::node* n = t.Get("value_bytes")) {
    // One size, or [min, max].
    auto size_at = [](const toml::node& v, uint32_t* out) {
      if (!v.is_integer() || v.as_integer()->get() < 1 || v.as_integer()->get() > (1 << 20)) return false;
      *out = static_cast<uint32_t>(v.as_integer()->get());
      return true;
    };
    const toml::array* a = n->as_array();
    const bool ok = a != nullptr ? a->size() == 2 && size_at((*a)[0], &w->value_bytes_min) &&
                                       size_at((*a)[1], &w->value_bytes_max)
                                 : size_at(*n, &w->value_bytes_min);
    if (a == nullptr) w->value_bytes_max = w->value_bytes_min;
    if (!ok) t.Fail("value_bytes", *n, "expected a size in bytes (1..1048576) or [min, max]");
  }
  t.Double("ttl_share", &w->ttl_share);
  t.DurationRange("ttl", &w->ttl_min, &w->ttl_max);
  t.Bool("use_contexts", &w->use_contexts);
  t.Double("blind_share", &w->blind_share);
  if (const toml::table* mix = t.Table("mix")) {
    TableReader m(*mix, "workload.mix", state);
    m.Double("read", &w->mix.read);
    m.Double("update", &w->mix.update);
    m.Double("insert", &w->mix.insert);
    m.Double("read_modify_write", &w->mix.read_modify_write);
    m.Double("delete", &w->mix.remove);
    m.Finish();
  }
  t.Finish();
}

void ReadEvent(TableReader& t, FaultEvent* e) {
  using K = FaultEvent::Kind;
  t.Choice<K>("kind",
              {{"partition", K::kPartition},
               {"heal", K::kHeal},
               {"crash", K::kCrash},
               {"restart", K::kRestart},
               {"pause", K::kPause},
               {"clock-jump", K::kClockJump},
               {"clock-drift", K::kClockDrift},
               {"disk-faults", K::kDiskFaults},
               {"join", K::kJoin},
               {"leave", K::kLeave},
               {"backup", K::kBackup},
               {"restore", K::kRestore}},
              &e->kind);
  t.DurationField("at", &e->at);
  t.Int("node", 1, 1024, &e->node);
  t.String("shape", &e->shape);
  if (const toml::node* n = t.Get("groups")) {
    bool ok = n->is_array();
    if (ok) {
      for (const toml::node& g : *n->as_array()) {
        if (!g.is_array()) {
          ok = false;
          break;
        }
        std::vector<NodeId> group;
        for (const toml::node& id : *g.as_array()) {
          if (!id.is_integer() || id.as_integer()->get() < 1) {
            ok = false;
            break;
          }
          group.push_back(static_cast<NodeId>(id.as_integer()->get()));
        }
        e->groups.push_back(std::move(group));
      }
    }
    if (!ok) t.Fail("groups", *n, "expected an array of node-id arrays, e.g. [[1, 2], [3, 4, 5]]");
  }
  t.DurationField("duration", &e->duration);
  if (const toml::node* n = t.Get("by")) {
    // A clock jump may go backwards: "-5s".
    if (!n->is_string() || !absl::ParseDuration(n->as_string()->get(), &e->by)) {
      t.Fail("by", *n, "expected a signed duration string such as \"-5s\"");
    }
  }
  t.Double("drift_ppm", &e->drift_ppm);
  t.Double("error_probability", &e->error_probability);
  t.Double("no_space_probability", &e->no_space_probability);
  t.Finish();
}

void ReadNemesis(TableReader& t, NemesisSpec* n) {
  t.Bool("enabled", &n->enabled);
  t.DurationField("mean_interval", &n->mean_interval);
  t.Double("active_share", &n->active_share);
  t.Double("partition", &n->partition);
  t.Double("crash", &n->crash);
  t.Double("pause", &n->pause);
  t.Double("clock_jump", &n->clock_jump);
  t.Double("disk", &n->disk);
  t.Int("max_down", 0, 127, &n->max_down);
  t.DurationField("partition_mean", &n->partition_mean);
  t.DurationField("downtime_mean", &n->downtime_mean);
  t.DurationField("pause_mean", &n->pause_mean);
  t.DurationField("clock_jump_max", &n->clock_jump_max);
  t.DurationField("disk_fault_window", &n->disk_fault_window);
  t.Finish();
}

void ReadFaults(TableReader& t, ParseState* state, Scenario* s) {
  t.Tables("script", [state, s](TableReader& et, size_t i) {
    FaultEvent e;
    e.line = LineOf(et.table());
    if (et.table().get("kind") == nullptr) {
      state->Fail(e.line, absl::StrCat("faults.script[", i, "]"), "missing 'kind'");
    }
    ReadEvent(et, &e);
    s->script.push_back(std::move(e));
  });
  if (const toml::table* nemesis = t.Table("nemesis")) {
    TableReader nt(*nemesis, "faults.nemesis", state);
    s->nemesis.enabled = true;
    ReadNemesis(nt, &s->nemesis);
  } else {
    s->nemesis.enabled = false;  // a file without [faults.nemesis] injects only its script
  }
  t.Bool("buggify", &s->buggify);
  t.Finish();
}

void ReadChecks(TableReader& t, CheckSpec* c) {
  t.StringList("run", &c->run);
  t.StringList("expect_violation", &c->expect_violation);
  t.DurationField("convergence_limit", &c->convergence_limit);
  t.Finish();
}

// The line of `field`, or of its nearest enclosing field that the file set.
int LineOfField(const ParseState& state, std::string field) {
  while (!field.empty()) {
    if (auto it = state.lines.find(field); it != state.lines.end() && it->second > 0) return it->second;
    const size_t cut = field.find_last_of(".[");
    if (cut == std::string::npos) break;
    field.resize(cut);
  }
  return 0;
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(absl::string_view text, absl::string_view source_name) {
  ParseState state;
  state.source = std::string(source_name);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()),
                       std::string_view(source_name.data(), source_name.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ":", e.source().begin.line,
                                                   ": not valid TOML: ", std::string(e.description())));
  }
  Scenario s;
  s.source = std::string(source_name);
  s.nemesis.enabled = false;
  TableReader top(root, "", &state);
  top.String("name", &s.name);
  top.String("description", &s.description);
  if (const toml::table* t = top.Table("cluster")) {
    TableReader r(*t, "cluster", &state);
    ReadCluster(r, &s.cluster);
  }
  if (const toml::table* t = top.Table("workload")) {
    TableReader r(*t, "workload", &state);
    ReadWorkload(r, &state, &s.workload);
  }
  if (const toml::table* t = top.Table("faults")) {
    TableReader r(*t, "faults", &state);
    ReadFaults(r, &state, &s);
  }
  if (const toml::table* t = top.Table("checks")) {
    TableReader r(*t, "checks", &state);
    ReadChecks(r, &s.checks);
  }
  top.Finish();
  if (!state.error.ok()) return state.error;
  if (absl::Status valid = ValidateScenario(s); !valid.ok()) {
    const std::string message(valid.message());
    const std::string field = message.substr(0, message.find(": "));
    const int line = LineOfField(state, field);
    return absl::InvalidArgumentError(line > 0 ? absl::StrCat(source_name, ":", line, ": ", message)
                                               : absl::StrCat(source_name, ": ", message));
  }
  return s;
}

namespace {

std::string D(Duration d) { return absl::FormatDuration(d); }

template <typename T>
toml::array Array(const std::vector<T>& values) {
  toml::array a;
  for (const T& v : values) a.push_back(static_cast<int64_t>(v));
  return a;
}

toml::array Strings(const std::vector<std::string>& values) {
  toml::array a;
  for (const std::string& v : values) a.push_back(v);
  return a;
}

const char* DistributionName(KeyDistribution d) {
  switch (d) {
    case KeyDistribution::kUniform: return "uniform";
    case KeyDistribution::kZipfian: return "zipfian";
    case KeyDistribution::kLatest: return "latest";
  }
  return "uniform";
}

toml::table EventTable(const FaultEvent& e) {
  toml::table t{{"at", D(e.at)}, {"kind", FaultEventKindName(e.kind)}};
  if (e.node != kNoNode) t.insert("node", static_cast<int64_t>(e.node));
  if (!e.shape.empty()) t.insert("shape", e.shape);
  if (!e.groups.empty()) {
    toml::array groups;
    for (const auto& g : e.groups) groups.push_back(Array(g));
    t.insert("groups", groups);
  }
  if (e.duration != absl::ZeroDuration()) t.insert("duration", D(e.duration));
  if (e.kind == FaultEvent::Kind::kClockJump) t.insert("by", D(e.by));
  if (e.kind == FaultEvent::Kind::kClockDrift) t.insert("drift_ppm", e.drift_ppm);
  if (e.kind == FaultEvent::Kind::kDiskFaults) {
    t.insert("error_probability", e.error_probability);
    t.insert("no_space_probability", e.no_space_probability);
  }
  return t;
}

}  // namespace

std::string ScenarioToToml(const Scenario& s) {
  const ClusterSpec& c = s.cluster;
  toml::table cluster{
      {"nodes", c.nodes},
      {"n", static_cast<int64_t>(c.n)},
      {"r", static_cast<int64_t>(c.r)},
      {"w", static_cast<int64_t>(c.w)},
      {"quorum", c.sloppy ? "sloppy" : "strict"},
      {"partitions", static_cast<int64_t>(c.partitions)},
      {"durability", c.durability == storage::Durability::kSync ? "sync" : "interval"},
      {"anti_entropy_interval", D(c.anti_entropy_interval)},
      {"gossip_interval", D(c.gossip_interval)},
      {"handoff_interval", D(c.handoff_interval)},
      {"request_timeout", D(c.request_timeout)},
      {"clock_skew", D(c.clock_skew)},
      {"clock_drift_ppm", c.clock_drift_ppm},
      {"resolution", c.resolution == storage::Resolution::kLastWriterWins ? "lww" : "dvv"},
  };
  if (!c.weights.empty()) cluster.insert("weights", Array(c.weights));
  if (!c.namespaces.empty()) {
    toml::array namespaces;
    for (const node::Namespace& ns : c.namespaces) {
      namespaces.push_back(toml::table{{"name", ns.name()},
                                       {"n", static_cast<int64_t>(ns.n())},
                                       {"r", static_cast<int64_t>(ns.r())},
                                       {"w", static_cast<int64_t>(ns.w())},
                                       {"quorum", ns.strict() ? "strict" : "sloppy"},
                                       {"ttl", D(absl::Microseconds(ns.default_ttl_micros()))},
                                       {"siblings_max", static_cast<int64_t>(ns.siblings_max())},
                                       {"cache_bytes", static_cast<int64_t>(ns.cache_bytes())}});
    }
    cluster.insert("namespace", namespaces);
  }
  const WorkloadSpec& w = s.workload;
  toml::table workload{
      {"clients", w.clients},
      {"loop", w.loop == Loop::kOpen ? "open" : "closed"},
      {"rate", w.rate},
      {"duration", D(w.duration)},
      {"keys", w.keys},
      {"distribution", DistributionName(w.distribution)},
      {"zipf_theta", w.zipf_theta},
      {"value_bytes", toml::array{static_cast<int64_t>(w.value_bytes_min),
                                  static_cast<int64_t>(w.value_bytes_max)}},
      {"ttl_share", w.ttl_share},
      {"ttl", toml::array{D(w.ttl_min), D(w.ttl_max)}},
      {"use_contexts", w.use_contexts},
      {"blind_share", w.blind_share},
      {"mix", toml::table{{"read", w.mix.read},
                          {"update", w.mix.update},
                          {"insert", w.mix.insert},
                          {"read_modify_write", w.mix.read_modify_write},
                          {"delete", w.mix.remove}}},
  };
  toml::table faults{{"buggify", s.buggify}};
  if (!s.script.empty()) {
    toml::array script;
    for (const FaultEvent& e : s.script) script.push_back(EventTable(e));
    faults.insert("script", script);
  }
  if (s.nemesis.enabled) {
    const NemesisSpec& n = s.nemesis;
    faults.insert("nemesis", toml::table{{"enabled", true},
                                         {"mean_interval", D(n.mean_interval)},
                                         {"active_share", n.active_share},
                                         {"partition", n.partition},
                                         {"crash", n.crash},
                                         {"pause", n.pause},
                                         {"clock_jump", n.clock_jump},
                                         {"disk", n.disk},
                                         {"max_down", static_cast<int64_t>(n.max_down)},
                                         {"partition_mean", D(n.partition_mean)},
                                         {"downtime_mean", D(n.downtime_mean)},
                                         {"pause_mean", D(n.pause_mean)},
                                         {"clock_jump_max", D(n.clock_jump_max)},
                                         {"disk_fault_window", D(n.disk_fault_window)}});
  }
  toml::table checks{{"run", Strings(s.checks.run)},
                     {"expect_violation", Strings(s.checks.expect_violation)},
                     {"convergence_limit", D(s.checks.convergence_limit)}};
  toml::table root{{"name", s.name}, {"description", s.description}, {"cluster", cluster},
                   {"workload", workload}, {"faults", faults}, {"checks", checks}};
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace kv::workloads
