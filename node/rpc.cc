#include "node/rpc.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "node/rpc.pb.h"

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
  RpcFrame frame;
  frame.set_id(id);
  frame.set_kind(RpcFrame::REQUEST);
  frame.set_method(std::string(method));
  frame.set_body(std::move(body));
  Future<std::string> reply = pending_[id].GetFuture();
  absl::Status sent = rt_.transport().Send(to, frame.SerializeAsString());
  if (!sent.ok()) {
    pending_.erase(id);
    return sent;
  }
  struct Forget {
    absl::btree_map<uint64_t, Promise<std::string>>& pending;
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
    RpcFrame frame;
    if (!frame.ParseFromString(event->payload)) {
      ++stats_.frames_malformed;
      rt_.Log(LogLevel::kWarn, "dropping a malformed RPC frame from node %d (%d bytes)",
              event->peer, event->payload.size());
      continue;
    }
    if (frame.kind() == RpcFrame::REPLY) {
      auto it = pending_.find(frame.id());
      if (it == pending_.end() || it->second.fulfilled()) {
        ++stats_.replies_dropped;
        continue;
      }
      if (frame.status_code() == 0) {
        it->second.Set(std::move(*frame.mutable_body()));
      } else {
        it->second.Set(absl::Status(static_cast<absl::StatusCode>(frame.status_code()),
                                    frame.status_message()));
      }
      continue;
    }
    if (handlers_running_ >= options_.handlers_max) {
      ++stats_.requests_shed;
      SendReply(event->peer, frame.id(),
                absl::ResourceExhaustedError(absl::StrCat("node ", rt_.self(), " is overloaded")));
      continue;
    }
    ++handlers_running_;
    rt_.Spawn(absl::StrCat("rpc:", frame.method()),
              [this, from = event->peer, id = frame.id(), method = std::move(*frame.mutable_method()),
               body = std::move(*frame.mutable_body())]() mutable {
                struct Done {
                  size_t& running;
                  ~Done() { --running; }
                } done{handlers_running_};
                HandleRequest(from, id, std::move(method), std::move(body));
              });
  }
}

void RpcEndpoint::HandleRequest(NodeId from, uint64_t id, std::string method, std::string body) {
  auto it = handlers_.find(method);
  if (it == handlers_.end()) {
    SendReply(from, id, absl::UnimplementedError(absl::StrCat("unknown method '", method, "'")));
    return;
  }
  ++stats_.requests_handled;
  SendReply(from, id, it->second(from, body));
}

void RpcEndpoint::SendReply(NodeId to, uint64_t id, absl::StatusOr<std::string> result) {
  RpcFrame frame;
  frame.set_id(id);
  frame.set_kind(RpcFrame::REPLY);
  if (result.ok()) {
    frame.set_body(*std::move(result));
  } else {
    frame.set_status_code(static_cast<int32_t>(result.status().code()));
    frame.set_status_message(std::string(result.status().message()));
  }
  (void)rt_.transport().Send(to, frame.SerializeAsString());  // a lost reply is a caller timeout
}

}  // namespace kv::node
