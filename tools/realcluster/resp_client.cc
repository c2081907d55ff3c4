#include "tools/realcluster/resp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kv::realcluster {

namespace asio = boost::asio;

std::string RespReply::ToString() const {
  switch (type) {
    case Type::kSimple: return text;
    case Type::kError: return absl::StrCat("(error) ", text);
    case Type::kInteger: return absl::StrCat("(integer) ", integer);
    case Type::kBulk: return absl::StrCat("\"", text, "\"");
    case Type::kNull: return "(nil)";
    case Type::kArray: {
      std::vector<std::string> parts;
      for (const RespReply& e : elements) parts.push_back(e.ToString());
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
  }
  return "?";
}

struct RespClient::Impl {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  asio::streambuf in;

  std::string Line() {
    asio::read_until(socket, in, "\r\n");
    std::istream is(&in);
    std::string line;
    std::getline(is, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  std::string Exactly(size_t n) {
    if (in.size() < n + 2) asio::read(socket, in, asio::transfer_exactly(n + 2 - in.size()));
    std::string data(n + 2, '\0');
    std::istream is(&in);
    is.read(data.data(), static_cast<std::streamsize>(n + 2));
    data.resize(n);
    return data;
  }

  RespReply Read() {
    const std::string line = Line();
    if (line.empty()) throw std::runtime_error("empty reply line");
    RespReply r;
    const std::string rest = line.substr(1);
    int64_t n = 0;
    switch (line[0]) {
      case '+': r.type = RespReply::Type::kSimple; r.text = rest; break;
      case '-': r.type = RespReply::Type::kError; r.text = rest; break;
      case ':':
        r.type = RespReply::Type::kInteger;
        if (!absl::SimpleAtoi(rest, &r.integer)) throw std::runtime_error("bad integer");
        break;
      case '$':
        if (!absl::SimpleAtoi(rest, &n)) throw std::runtime_error("bad bulk length");
        if (n < 0) break;
        r.type = RespReply::Type::kBulk;
        r.text = Exactly(static_cast<size_t>(n));
        break;
      case '*':
        if (!absl::SimpleAtoi(rest, &n)) throw std::runtime_error("bad array length");
        if (n < 0) break;
        r.type = RespReply::Type::kArray;
        for (int64_t i = 0; i < n; ++i) r.elements.push_back(Read());
        break;
      default: throw std::runtime_error("unknown reply type '" + line.substr(0, 1) + "'");
    }
    return r;
  }
};

RespClient::RespClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RespClient::~RespClient() = default;

absl::StatusOr<std::unique_ptr<RespClient>> RespClient::Connect(const std::string& address,
                                                                absl::Duration timeout) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("expected host:port");
  auto impl = std::make_unique<Impl>();
  boost::system::error_code error;
  asio::ip::tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1), error);
  if (!error) asio::connect(impl->socket, endpoints, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", address, ": ", error.message()));
  }
  // Bounded waits: a hung node fails the call instead of the test hanging.
  const int64_t ms = absl::ToInt64Milliseconds(timeout);
  timeval tv{.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return std::unique_ptr<RespClient>(new RespClient(std::move(impl)));
}

namespace {
std::string Encode(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}
}  // namespace

absl::StatusOr<RespReply> RespClient::CallRaw(const std::string& bytes) {
  try {
    asio::write(impl_->socket, asio::buffer(bytes));
    return impl_->Read();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("redis connection: ", e.what()));
  }
}

absl::StatusOr<RespReply> RespClient::Call(const std::vector<std::string>& args) {
  return CallRaw(Encode(args));
}

absl::StatusOr<std::vector<RespReply>> RespClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::string bytes;
  for (const auto& c : commands) bytes += Encode(c);
  try {
    asio::write(impl_->socket, asio::buffer(bytes));
    std::vector<RespReply> replies;
    for (size_t i = 0; i < commands.size(); ++i) replies.push_back(impl_->Read());
    return replies;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("redis connection: ", e.what()));
  }
}

}  // namespace kv::realcluster
