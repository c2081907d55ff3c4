#include "node/rpc.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "node/rpc_frame.h"

namespace kv::node {

RpcEndpoint::RpcEndpoint(Runtime& rt, RpcOptions options)
    : rt_(rt), options_(options), next_id_(rt.random().Next64() >> 1) {
  KV_ASSERT(options_.handlers_max > 0);
  KV_ASSERT(options_.calls_max > 0);
}

void RpcEndpoint::Register(std::string method, Handler handler) {
  KV_ASSERT_MSG(!started_, "Register after Start");
  KV_ASSERT_MSG(!handlers_.contains(method), absl::StrCat("method registered twice: ", method));
  handlers_[std::move(method)] = std::move(handler);
}

void RpcEndpoint::Start() {
  KV_ASSERT_MSG(!started_, "RpcEndpoint started twice");
  started_ = true;
  rt_.Spawn("rpc-receive", [this] { ReceiveLoop(); });
}

absl::StatusOr<std::string> RpcEndpoint::Call(NodeId to, absl::string_view method,
                                              std::string body, Duration timeout) {
  KV_ASSERT(to != rt_.self());
  if (pending_.size() >= options_.calls_max) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many calls in flight (", options_.calls_max, ")"));
  }
  ++stats_.calls;
  const uint64_t id = next_id_++;
  Future<std::string> reply = pending_[id].GetFuture();
  absl::Status sent = rt_.transport().Send(to, EncodeRpcRequest(id, method, body));
  if (!sent.ok()) {
    pending_.erase(id);
    return sent;
  }
  struct Forget {
    PendingCalls& pending;
    uint64_t id;
    ~Forget() { pending.erase(id); }
  } forget{pending_, id};
  absl::StatusOr<std::string> result = reply.GetFor(timeout);
  if (!pending_.at(id).fulfilled()) {
    ++stats_.calls_timed_out;
    return absl::DeadlineExceededError(absl::StrCat("no reply from node ", to, " to ", method,
                                                    " within ", absl::FormatDuration(timeout)));
  }
  return result;
}

void RpcEndpoint::ReceiveLoop() {
  while (true) {
    absl::StatusOr<TransportEvent> event = rt_.transport().ReceiveUntil(MonoTime::Max());
    if (!event.ok()) continue;  // only a deadline; there is none
    if (event->kind != TransportEvent::Kind::kMessage) {
      ++stats_.connection_events;
      if (observer_) observer_(*event);
      continue;
    }
    RpcFrameView frame;
    if (!ParseRpcFrame(event->payload, &frame)) {
      ++stats_.frames_malformed;
      rt_.Log(LogLevel::kWarn, "dropping a malformed RPC frame from node %d (%d bytes)",
              event->peer, event->payload.size());
      continue;
    }
    if (frame.kind == kRpcReply) {
      auto it = pending_.find(frame.id);
      if (it == pending_.end() || it->second.fulfilled()) {
        ++stats_.replies_dropped;
        continue;
      }
      if (frame.status_code == 0) {
        // The body, cut out of the frame in place (no allocation).
        std::string& bytes = event->payload;
        const size_t size = frame.body.size();
        const size_t start = size == 0 ? 0 : static_cast<size_t>(frame.body.data() - bytes.data());
        bytes.resize(start + size);
        bytes.erase(0, start);
        it->second.Set(std::move(bytes));
      } else {
        it->second.Set(absl::Status(static_cast<absl::StatusCode>(frame.status_code),
                                    frame.status_message));
      }
      continue;
    }
    if (handlers_running_ >= options_.handlers_max) {
      ++stats_.requests_shed;
      SendReply(event->peer, frame.id,
                absl::ResourceExhaustedError(absl::StrCat("node ", rt_.self(), " is overloaded")));
      continue;
    }
    ++handlers_running_;
    // The handler fiber owns the frame's bytes; the method and body are found in them again by
    // offset (a short payload's characters move with the string).
    const char* base = event->payload.data();
    auto offset = [base](absl::string_view field) {  // an absent field views nothing
      return field.empty() ? 0 : static_cast<size_t>(field.data() - base);
    };
    const size_t method_at = offset(frame.method);
    const size_t body_at = offset(frame.body);
    // Handlers never change after Start: the fiber may keep a pointer to its own.
    auto it = handlers_.find(frame.method);
    const Handler* handler = it == handlers_.end() ? nullptr : &it->second;
    FiberName name = handler != nullptr ? FiberName("rpc:", it->first)
                                        : FiberName(absl::StrCat("rpc:", frame.method));
    rt_.Spawn(std::move(name),
              [this, from = event->peer, id = frame.id, handler,
               payload = std::move(event->payload), method_at,
               method_size = frame.method.size(), body_at, body_size = frame.body.size()]() {
                struct Done {
                  size_t& running;
                  ~Done() { --running; }
                } done{handlers_running_};
                const absl::string_view bytes = payload;
                HandleRequest(from, id, handler, bytes.substr(method_at, method_size),
                              bytes.substr(body_at, body_size));
              });
  }
}

void RpcEndpoint::HandleRequest(NodeId from, uint64_t id, const Handler* handler,
                                absl::string_view method, absl::string_view body) {
  if (handler == nullptr) {
    SendReply(from, id, absl::UnimplementedError(absl::StrCat("unknown method '", method, "'")));
    return;
  }
  ++stats_.requests_handled;
  SendReply(from, id, (*handler)(from, body));
}

void RpcEndpoint::SendReply(NodeId to, uint64_t id, const absl::StatusOr<std::string>& result) {
  (void)rt_.transport().Send(to, EncodeRpcReply(id, result));  // a lost reply is a caller timeout
}

}  // namespace kv::node
