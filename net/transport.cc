#include "net/transport.h"

namespace kv {

const char* TransportEventKindName(TransportEvent::Kind kind) {
  switch (kind) {
    case TransportEvent::Kind::kMessage:
      return "message";
    case TransportEvent::Kind::kConnected:
      return "connected";
    case TransportEvent::Kind::kDisconnected:
      return "disconnected";
  }
  return "?";
}

}  // namespace kv
