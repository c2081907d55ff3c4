#include "node/node.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"
#include "node/namespaces.h"

namespace kv::node {

namespace {
constexpr const char* kGenerationMeta = "node.generation";
constexpr const char* kRingMeta = "node.ring";
constexpr const char* kNamespacesMeta = "node.namespaces";
}

Node::Node(Runtime& rt, NodeOptions options)
    : rt_(rt), options_(std::move(options)), rpc_(rt, options_.rpc) {}

Node::~Node() = default;

absl::StatusOr<uint64_t> Node::NextGeneration(uint64_t step) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, engine_->GetMeta(kGenerationMeta));
  uint64_t generation = 0;
  if (stored.has_value() && !absl::SimpleAtoi(*stored, &generation)) {
    return absl::DataLossError(absl::StrCat("unreadable node generation '", *stored, "'"));
  }
  if (generation + step >= (uint64_t{1} << 32)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("node generation ", generation, " cannot advance by ", step,
                     ": the node has used up its dot issuer ids"));
  }
  generation += step;
  // Durable before the node issues a single dot with it.
  RETURN_IF_ERROR(engine_->PutMeta(kGenerationMeta, absl::StrCat(generation)));
  RETURN_IF_ERROR(engine_->Sync());
  return generation;
}

absl::Status ValidateNodeOptions(const NodeOptions& o) {
  const CoordinatorOptions& c = o.coordinator;
  if (c.n < 1 || c.r < 1 || c.w < 1 || c.r > c.n || c.w > c.n) {
    return absl::InvalidArgumentError(
        absl::StrCat("need 1 <= R, W <= N; got N=", c.n, " R=", c.r, " W=", c.w));
  }
  if (c.clock_offset_max < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("coordinator.clock_offset_max must not be negative");
  }
  if (o.membership.n_val != c.n) {
    return absl::InvalidArgumentError("membership.n_val must equal coordinator.n");
  }
  for (const Namespace& ns : o.namespaces) RETURN_IF_ERROR(ValidateNamespace(ns));
  // A full anti-entropy cycle visits every partition this node replicates; Q bounds it.
  const Duration cycle = o.anti_entropy.interval * o.membership.partitions;
  if (o.anti_entropy.enabled && o.engine.tombstone_grace <= cycle) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tombstone grace (", absl::FormatDuration(o.engine.tombstone_grace),
        ") must exceed an anti-entropy cycle (", absl::FormatDuration(cycle),
        "), or a replica that missed a delete could bring the value back"));
  }
  if (o.engine.tombstone_grace <= o.handoff.window) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tombstone grace (", absl::FormatDuration(o.engine.tombstone_grace),
        ") must exceed the hint window (", absl::FormatDuration(o.handoff.window), ")"));
  }
  return absl::OkStatus();
}

absl::Status Node::Start() {
  KV_ASSERT_MSG(!started(), "Node started twice");
  RETURN_IF_ERROR(ValidateNodeOptions(options_));
  // Stored keys carry their namespace (node/namespaces.h): room for it beyond the clients' limit.
  storage::EngineOptions engine_options = options_.engine;
  engine_options.key_bytes_max = std::min<size_t>(engine_options.key_bytes_max + kStoredKeyOverhead,
                                                  size_t{64} << 10);
  ASSIGN_OR_RETURN(engine_, storage::Engine::Open(rt_, engine_options));
  ASSIGN_OR_RETURN(generation_, NextGeneration(options_.restored ? kRestoreGenerationGap : 1));
  // Actors retired after a handoff take numbers from the same sequence, so a restart (which
  // takes the next) never reuses one.
  store_ = std::make_unique<ReplicaStore>(
      rt_, *engine_, ActorId(rt_.self(), generation_),
      [this]() -> absl::StatusOr<uint64_t> {
        ASSIGN_OR_RETURN(const uint64_t number, NextGeneration(1));
        return ActorId(rt_.self(), number);
      },
      options_.resolution);
  RingState saved_ring;
  ASSIGN_OR_RETURN(std::optional<std::string> ring_bytes, engine_->GetMeta(kRingMeta));
  if (ring_bytes.has_value() && !saved_ring.ParseFromString(*ring_bytes)) {
    return absl::DataLossError("the saved ring does not parse");
  }
  ClusterState saved_namespaces;  // only its namespaces field is used
  ASSIGN_OR_RETURN(std::optional<std::string> namespace_bytes, engine_->GetMeta(kNamespacesMeta));
  if (namespace_bytes.has_value() && !saved_namespaces.ParseFromString(*namespace_bytes)) {
    return absl::DataLossError("the saved namespaces do not parse");
  }
  std::vector<Namespace> namespaces(saved_namespaces.namespaces().begin(),
                                    saved_namespaces.namespaces().end());
  for (Namespace ns : options_.namespaces) {
    ns.set_version(0);
    ns.set_modified_by(0);
    namespaces.push_back(std::move(ns));
  }
  membership_ = std::make_unique<Membership>(rt_, rpc_, options_.membership, generation_,
                                             saved_ring, namespaces);
  cache_ = std::make_unique<CacheEvictor>(rt_, *engine_, *membership_, options_.coordinator.n,
                                          options_.cache);
  RETURN_IF_ERROR(cache_->Load());
  store_->set_listener(cache_.get());
  // Every namespace change is saved, so a restarted node serves its namespaces at once.
  membership_->set_namespace_observer([this] {
    cache_->OnNamespacesChanged();
    ClusterState table;
    *table.mutable_namespaces() = membership_->namespaces();
    absl::Status saved = engine_->PutMeta(kNamespacesMeta, table.SerializeAsString());
    if (!saved.ok()) rt_.Log(LogLevel::kWarn, "could not save the namespaces: %s", saved.ToString());
  });
  last_ring_ = membership_->ring();
  transfer_ = std::make_unique<OwnershipTransfer>(rt_, rpc_, *membership_, *store_,
                                                  options_.coordinator.n, options_.transfer);
  RETURN_IF_ERROR(transfer_->Load());
  // Every ring change is saved, so a restarted node knows its cluster before it hears of it, and
  // starts the transfers it owes.
  membership_->set_ring_observer([this](const RingState&) {
    const std::optional<Ring>& now = membership_->ring();
    if (last_ring_.has_value() && now.has_value()) transfer_->OnRingChange(*last_ring_, *now);
    last_ring_ = now;
    absl::Status saved =
        engine_->PutMeta(kRingMeta, membership_->state().ring().SerializeAsString());
    if (!saved.ok()) rt_.Log(LogLevel::kWarn, "could not save the ring: %s", saved.ToString());
  });
  auto coordinator =
      std::make_unique<Coordinator>(rt_, rpc_, *membership_, *store_, options_.coordinator);
  membership_->Register();
  coordinator->Register();
  handoff_ = std::make_unique<HintedHandoff>(rt_, rpc_, *membership_, *engine_, options_.handoff);
  anti_entropy_ = std::make_unique<AntiEntropy>(rt_, rpc_, *membership_, *store_,
                                                options_.coordinator.n, options_.anti_entropy);
  anti_entropy_->Register();
  transfer_->Register();
  rpc_.Start();
  membership_->Start();
  handoff_->Start();
  anti_entropy_->Start();
  transfer_->Start();
  cache_->Start();
  coordinator_ = std::move(coordinator);
  rt_.Log(LogLevel::kInfo, "node %d started, generation %d", rt_.self(), generation_);
  return absl::OkStatus();
}

absl::Status Node::Stop() {
  KV_ASSERT(started());
  return engine_->Close();
}

}  // namespace kv::node
