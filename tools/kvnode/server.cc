#include "tools/kvnode/server.h"

#include <csignal>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "absl/strings/str_cat.h"
#include "net/asio_executor.h"
#include "net/fault_points.h"
#include "net/fiber.h"
#include "net/random.h"
#include "net/runtime.h"
#include "net/stderr_logger.h"
#include "net/tcp_stream.h"
#include "net/tcp_transport.h"
#include "node/api/http_api.h"
#include "node/api/http_server.h"
#include "node/api/metrics.h"
#include "node/api/redis_server.h"
#include "node/api/redis_session.h"
#include "node/node.h"
#include "tools/kvnode/backup.h"
#include "tools/kvnode/data_dir.h"

namespace kv::kvnode {
namespace {

// Client connections of both APIs, counted against connections_max.
struct ConnectionLimit {
  uint32_t open = 0;
  uint32_t max = 0;
};

// Accepts on `listener` until it closes; each connection is served on a fiber of its own by
// `serve`, or refused with `refusal` (written, then closed) when the limit is reached.
void AcceptLoop(Runtime& rt, TcpListener& listener, ConnectionLimit& limit, std::string refusal,
                std::function<void(TcpStream&)> serve) {
  while (true) {
    absl::StatusOr<std::unique_ptr<TcpStream>> accepted = listener.Accept();
    if (!accepted.ok()) {
      if (absl::IsCancelled(accepted.status())) return;  // closed: shutting down
      rt.Log(LogLevel::kWarn, "accept on %s: %s", listener.address(),
             accepted.status().ToString());
      FiberSleep(absl::Milliseconds(50));  // e.g. out of file descriptors: do not spin
      continue;
    }
    std::shared_ptr<TcpStream> stream = std::move(*accepted);
    if (limit.open >= limit.max) {
      rt.Log(LogLevel::kWarn, "refusing %s: %d client connections open (connections_max)",
             stream->peer(), limit.open);
      rt.Spawn("refuse", [stream, refusal, &rt] {
        (void)stream->WriteAll(refusal, rt.Now() + absl::Seconds(1));
        stream->Close();
      });
      continue;
    }
    ++limit.open;
    rt.Spawn(absl::StrCat("client ", stream->peer()), [stream, &limit, serve] {
      struct Release {
        ConnectionLimit& limit;
        ~Release() { --limit.open; }
      } release{limit};
      serve(*stream);
      stream->Close();
    });
  }
}

}  // namespace

int RunServer(const Config& config) {
  StderrLogger logger(absl::StrCat("n", config.id), config.log_level);
  absl::Status dir = PrepareDataDir(config.data_dir, config.id);
  if (!dir.ok()) {
    logger.Log(LogLevel::kError, absl::StrCat("cannot start: ", dir.message()));
    return 1;
  }

  AsioExecutor executor;
  FiberScheduler fibers(&executor);
  // Real mode: seeded from the OS (node code only draws jitter and gossip targets from it).
  Random random((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}());
  NoFaultPoints fault_points;
  TcpTransportOptions transport_options;
  transport_options.self = config.id;
  transport_options.listen_address = config.peer_listen;
  transport_options.cluster_secret = config.cluster_secret;
  TcpTransport transport(executor, fibers, logger, random.Fork("transport"), transport_options);
  Random node_random = random.Fork("node");
  Runtime rt(Runtime::Parts{.self = config.id,
                            .clock = &executor,
                            .executor = &executor,
                            .fibers = &fibers,
                            .transport = &transport,
                            .random = &node_random,
                            .fault_points = &fault_points,
                            .logger = &logger});

  // Every listener before any data is touched: a port in use fails start-up cleanly.
  absl::Status started = transport.Start();
  std::unique_ptr<TcpListener> http_listener, redis_listener;
  if (started.ok() && !config.http_listen.empty()) {
    absl::StatusOr<std::unique_ptr<TcpListener>> l = TcpListener::Listen(executor, config.http_listen);
    if (l.ok()) http_listener = std::move(*l); else started = l.status();
  }
  if (started.ok() && !config.redis_listen.empty()) {
    absl::StatusOr<std::unique_ptr<TcpListener>> l = TcpListener::Listen(executor, config.redis_listen);
    if (l.ok()) redis_listener = std::move(*l); else started = l.status();
  }
  // A failed start stops what did start: the transport's fibers end before the scheduler does.
  auto fail_start = [&](absl::string_view what, const absl::Status& status) {
    logger.Log(LogLevel::kError, absl::StrCat(what, status.message()));
    transport.Stop();
    fibers.CancelAll();
    return 1;
  };
  if (!started.ok()) return fail_start("cannot start: ", started);
  if (!config.restore_from.empty()) {
    absl::Status restored = RestoreSnapshot(config.restore_from, config.data_dir, config.id);
    if (!restored.ok()) return fail_start("cannot restore: ", restored);
    logger.Log(LogLevel::kInfo, absl::StrCat("restored ", config.data_dir, " from ",
                                             config.restore_from));
  }
  // Set until the first start after a restore has taken its new generation.
  const bool restored = RestoredMarkerPresent(config.data_dir);

  for (const SeedAddress& seed : config.seeds) {
    if (seed.id != config.id) transport.SetPeerAddress(seed.id, seed.address);
  }

  node::NodeOptions node_options = ToNodeOptions(config);
  node_options.restored = restored;
  node::Node node(rt, node_options);
  node::ApiMetrics metrics;
  node::HttpApi http_api(rt, node, metrics,
                         {.client_token = config.client_token,
                          .key_bytes_max = config.key_bytes_max,
                          .value_bytes_max = config.value_bytes_max,
                          .learn_address = [&transport](NodeId id, const std::string& address) {
                            transport.SetPeerAddress(id, address);
                          },
                          .backup = [&node, &config](const std::string& dir) {
                            return WriteSnapshot(node.engine(), config.id, dir);
                          }});
  node::HttpServerOptions http_options;
  http_options.idle_timeout = config.idle_timeout;
  api::RedisStats redis_stats;
  redis_stats.started = rt.Now();
  api::RedisSessionOptions session_options{.auth_token = config.client_token,
                                           .n = config.n, .r = config.r, .w = config.w};
  api::RedisServerOptions redis_options;
  redis_options.idle_timeout = absl::ZeroDuration();
  ConnectionLimit limit{.open = 0, .max = config.connections_max};
  int exit_status = 0;

  rt.Spawn("start", [&] {
    absl::Status s = node.Start();
    if (!s.ok()) {
      logger.Log(LogLevel::kError, absl::StrCat("cannot start the node: ", s.ToString()));
      exit_status = 1;
      executor.Stop();
      return;
    }
    if (restored) {
      absl::Status cleared = ClearRestoredMarker(config.data_dir);
      if (!cleared.ok()) logger.Log(LogLevel::kWarn, std::string(cleared.message()));
      logger.Log(LogLevel::kInfo, absl::StrCat("restored node started with generation ",
                                               node.generation(), " (a new range of dot issuers)"));
    }
    logger.Log(LogLevel::kInfo,
               absl::StrCat("node ", config.id, " serving: peers ", transport.listen_address(),
                            http_listener ? absl::StrCat(", http ", http_listener->address()) : "",
                            redis_listener ? absl::StrCat(", redis ", redis_listener->address()) : "",
                            ", data ", config.data_dir));
    // Peers' addresses come from gossip: each member announces its own.
    rt.Spawn("addresses", [&] {
      while (true) {
        for (const auto& [id, member] : node.membership().members()) {
          if (id == config.id || member.address().empty()) continue;
          std::optional<std::string> known = transport.PeerAddress(id);
          if (!known.has_value() || *known != member.address()) {
            transport.SetPeerAddress(id, member.address());
          }
        }
        FiberSleep(absl::Milliseconds(200));
      }
    });
    if (http_listener) {
      rt.Spawn("http-accept", [&] {
        AcceptLoop(rt, *http_listener, limit,
                   "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 32\r\nConnection: close\r\n\r\n"
                   "too many connections; try later\n",
                   [&](TcpStream& stream) { node::ServeHttpConnection(rt, stream, http_api, http_options); });
      });
    }
    if (redis_listener) {
      rt.Spawn("redis-accept", [&] {
        AcceptLoop(rt, *redis_listener, limit, "-ERR max number of clients reached\r\n",
                   [&](TcpStream& stream) {
                     api::RedisSession session(rt, node, session_options, &redis_stats);
                     (void)api::ServeRedisConnection(rt, stream, session, redis_options);
                   });
      });
    }
  });

  // SIGTERM/SIGINT: stop accepting, cancel every fiber, close the storage engine cleanly.
  boost::asio::signal_set signals(executor.io(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    logger.Log(LogLevel::kInfo, absl::StrCat("signal ", signal, ": shutting down"));
    if (http_listener) http_listener->Close();
    if (redis_listener) redis_listener->Close();
    transport.Stop();
    fibers.CancelAll();
    rt.Spawn("shutdown", [&] {
      if (node.started()) {
        absl::Status s = node.Stop();
        if (!s.ok()) {
          logger.Log(LogLevel::kError, absl::StrCat("closing storage: ", s.ToString()));
          exit_status = 1;
        }
      }
      logger.Log(LogLevel::kInfo, "stopped");
      executor.Stop();
    });
  });
  signal(SIGPIPE, SIG_IGN);

  executor.Run();
  signals.cancel();
  fibers.CancelAll();
  return exit_status;
}

}  // namespace kv::kvnode
