#include "tools/kvctl/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kv::kvctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::string HttpReply::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

std::string EncodePathSegment(absl::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

absl::StatusOr<HttpReply> Request(const HttpTarget& target, absl::string_view method,
                                  absl::string_view path_and_query,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  absl::string_view body) {
  const size_t colon = target.host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad node address '", target.host_port, "': expected host:port"));
  }
  const std::string host = target.host_port.substr(0, colon);
  const std::string port = target.host_port.substr(colon + 1);
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(target.timeout)));
    asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req;
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(path_and_query.data(), path_and_query.size()));
    req.version(11);
    req.set(http::field::host, target.host_port);
    req.set(http::field::user_agent, "kvctl");
    if (!target.token.empty()) req.set(http::field::authorization, "Bearer " + target.token);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::string(body);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{1} << 30);
    http::read(stream, buffer, parser);
    const http::response<http::string_body>& res = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    reply.body = res.body();
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return reply;
  } catch (const beast::system_error& e) {
    if (e.code() == beast::error::timeout) {
      return absl::DeadlineExceededError(
          absl::StrCat("node ", target.host_port, " did not answer within ",
                       absl::FormatDuration(target.timeout)));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot reach node ", target.host_port, ": ", e.code().message()));
  }
}

}  // namespace kv::kvctl
