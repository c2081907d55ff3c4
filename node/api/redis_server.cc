#include "node/api/redis_server.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/fiber.h"

namespace kv::api {

namespace {

// connected_clients counts the connection while it is served, also when its fiber unwinds.
class ConnectedClient {
 public:
  explicit ConnectedClient(RedisStats& stats) : stats_(stats) {
    ++stats_.connections_received;
    ++stats_.connected_clients;
  }
  ~ConnectedClient() {
    KV_ASSERT(stats_.connected_clients > 0);
    --stats_.connected_clients;
  }
  ConnectedClient(const ConnectedClient&) = delete;
  ConnectedClient& operator=(const ConnectedClient&) = delete;

 private:
  RedisStats& stats_;
};

// Closes the stream however the connection ends (a cancelled fiber too).
class CloseOnExit {
 public:
  explicit CloseOnExit(ByteStream& stream) : stream_(stream) {}
  ~CloseOnExit() { stream_.Close(); }
  CloseOnExit(const CloseOnExit&) = delete;
  CloseOnExit& operator=(const CloseOnExit&) = delete;

 private:
  ByteStream& stream_;
};

// Redis's defence against cross-protocol scripting: a browser tricked into posting to the Redis
// port sends "POST ..." and "Host: ..." lines, which would otherwise run as inline commands.
bool LooksLikeHttp(absl::string_view command) {
  return absl::EqualsIgnoreCase(command, "post") || absl::EqualsIgnoreCase(command, "host:");
}

// One connection's loop state.
class Connection {
 public:
  Connection(Runtime& rt, ByteStream& stream, RedisSession& session,
             const RedisServerOptions& options)
      : rt_(rt), stream_(stream), session_(session), options_(options), parser_(options.parser) {}

  absl::Status Serve() {
    std::string chunk(options_.read_chunk_bytes, '\0');
    while (true) {
      const MonoTime deadline = options_.idle_timeout > absl::ZeroDuration()
                                    ? rt_.Now() + options_.idle_timeout
                                    : MonoTime::Max();
      absl::StatusOr<size_t> read = stream_.ReadSome(chunk.data(), chunk.size(), deadline);
      if (!read.ok()) {
        if (absl::IsDeadlineExceeded(read.status())) {
          return absl::DeadlineExceededError(absl::StrCat(
              "idle for ", absl::FormatDuration(options_.idle_timeout), ": connection closed"));
        }
        return read.status();
      }
      if (*read == 0) return absl::OkStatus();  // the client closed its side
      KV_ASSERT(*read <= chunk.size());
      parser_.Feed(absl::string_view(chunk.data(), *read));
      std::optional<absl::Status> end = RunCommands();
      absl::Status written = Flush();
      if (end.has_value()) return written.ok() ? *end : written;
      if (!written.ok()) return written;
    }
  }

 private:
  // Executes every complete command buffered, appending replies. Returns why the connection
  // must end after the replies are written, or nullopt to keep reading.
  std::optional<absl::Status> RunCommands() {
    while (true) {
      const RespParser::Result result = parser_.Next(&args_);
      if (result == RespParser::Result::kError) {
        RunBatch();  // what came before the broken frame is answered first
        replies_.Error(absl::StrCat("ERR ", parser_.error()));
        return absl::InvalidArgumentError(parser_.error());
      }
      if (result == RespParser::Result::kNeedMore) break;
      KV_ASSERT(!args_.empty());
      if (LooksLikeHttp(args_[0])) {
        RunBatch();
        return absl::PermissionDeniedError(
            "an HTTP request on the Redis port (cross-protocol scripting?): connection closed");
      }
      if (Overlappable(args_) && batch_count_ < kBatchMax && !BatchHasKey(args_[1])) {
        // Swapped, not moved: args_ takes back a batched command's strings for the parser to
        // refill (RespParser::Next), so a steady pipeline parses without allocating.
        if (batch_count_ == batch_.size()) batch_.emplace_back();
        std::swap(batch_[batch_count_++], args_);
        continue;
      }
      RunBatch();
      if (session_.Execute(args_, replies_) == RedisSession::After::kClose) {
        return absl::OkStatus();
      }
      if (replies_.size() >= options_.reply_flush_bytes) {
        if (absl::Status s = Flush(); !s.ok()) return s;
      }
    }
    RunBatch();
    if (parser_.buffered_bytes() > options_.query_buffer_bytes_max) {
      const std::string message =
          absl::StrCat("Protocol error: the request exceeds the query buffer limit of ",
                       options_.query_buffer_bytes_max, " bytes");
      replies_.Error(absl::StrCat("ERR ", message));
      return absl::ResourceExhaustedError(message);
    }
    return std::nullopt;
  }

  // Pipelined GETs and SETs of distinct keys run at once (a fiber each), as Redis's single pass
  // over a pipeline would answer them, so their writes share a commit group instead of each
  // waiting for the previous one's; replies keep the request order. A command on a key already
  // in the batch, or any other command, first waits for the batch: per-key order and every
  // other command's order are as sent.
  static constexpr size_t kBatchMax = 64;

  static bool Overlappable(const std::vector<std::string>& args) {
    return (args.size() == 2 && absl::EqualsIgnoreCase(args[0], "get")) ||
           (args.size() >= 3 && absl::EqualsIgnoreCase(args[0], "set"));
  }

  bool BatchHasKey(absl::string_view key) const {
    for (size_t i = 0; i < batch_count_; ++i) {
      if (batch_[i][1] == key) return true;
    }
    return false;
  }

  // Executes the batched commands, appending their replies in order.
  void RunBatch() {
    if (batch_count_ == 0) return;
    std::vector<RespWriter> outs(batch_count_);
    std::vector<FiberHandle> others;
    // The fibers use this frame's batch and writers: however this frame ends (a cancellation
    // included), they are stopped first. A cancelled connection is a shutdown or crash, which
    // cancels the newer fibers before this one.
    struct StopOthers {
      std::vector<FiberHandle>& fibers;
      ~StopOthers() {
        for (FiberHandle& f : fibers) f.Cancel();
      }
    } stop{others};
    for (size_t i = 1; i < batch_count_; ++i) {
      others.push_back(rt_.Spawn("redis-pipelined", [this, &outs, i] {
        (void)session_.Execute(batch_[i], outs[i]);
      }));
    }
    (void)session_.Execute(batch_[0], outs[0]);  // GET and SET never close the connection
    for (FiberHandle& f : others) f.Join();
    for (const RespWriter& out : outs) replies_.Append(out);
    // The batch's strings stay for reuse, but not a large value's buffer (an idle connection
    // would hold it).
    for (size_t i = 0; i < batch_count_; ++i) RespParser::ReleaseLargeArgs(batch_[i]);
    batch_count_ = 0;
  }

  // Writes the replies built so far, if any.
  absl::Status Flush() {
    if (replies_.empty()) return absl::OkStatus();
    return stream_.WriteAll(replies_.Take(), rt_.Now() + options_.write_timeout);
  }

  Runtime& rt_;
  ByteStream& stream_;
  RedisSession& session_;
  const RedisServerOptions& options_;
  RespParser parser_;
  std::vector<std::string> args_;
  // Pipelined commands not yet run: the first batch_count_; the rest keep their strings for reuse.
  std::vector<std::vector<std::string>> batch_;
  size_t batch_count_ = 0;
  RespWriter replies_;
};

}  // namespace

absl::Status ServeRedisConnection(Runtime& rt, ByteStream& stream, RedisSession& session,
                                  const RedisServerOptions& options) {
  KV_ASSERT(options.read_chunk_bytes > 0);
  KV_ASSERT(options.reply_flush_bytes > 0);
  ConnectedClient counted(session.stats());
  CloseOnExit closer(stream);
  return Connection(rt, stream, session, options).Serve();
}

}  // namespace kv::api
