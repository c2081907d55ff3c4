#include "node/api/redis_server.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"

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
        replies_.Error(absl::StrCat("ERR ", parser_.error()));
        return absl::InvalidArgumentError(parser_.error());
      }
      if (result == RespParser::Result::kNeedMore) break;
      KV_ASSERT(!args_.empty());
      if (LooksLikeHttp(args_[0])) {
        return absl::PermissionDeniedError(
            "an HTTP request on the Redis port (cross-protocol scripting?): connection closed");
      }
      if (session_.Execute(args_, replies_) == RedisSession::After::kClose) {
        return absl::OkStatus();
      }
      if (replies_.size() >= options_.reply_flush_bytes) {
        if (absl::Status s = Flush(); !s.ok()) return s;
      }
    }
    if (parser_.buffered_bytes() > options_.query_buffer_bytes_max) {
      const std::string message =
          absl::StrCat("Protocol error: the request exceeds the query buffer limit of ",
                       options_.query_buffer_bytes_max, " bytes");
      replies_.Error(absl::StrCat("ERR ", message));
      return absl::ResourceExhaustedError(message);
    }
    return std::nullopt;
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
