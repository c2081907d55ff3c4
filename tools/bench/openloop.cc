// openloop: an open-loop load generator for Redis-protocol servers (kvnode's RESP API, Redis).
//
//   openloop --target 127.0.0.1:7201,127.0.0.1:7202 --rate 10000 --duration 30s --warmup 5s
//              --mix 80/15/5 --value-bytes 1024 --keys 10000 --connections 64 [--preload]
//
// Request i is due at t0 + i / rate, whatever happened to the requests before it (open loop:
// the server's speed does not slow the arrivals, as it would with wrk or redis-benchmark). A due
// request goes to an idle connection (each carries one request at a time; connection i talks to
// target i mod T) or, when every connection is busy, waits in a client-side queue.
//
// Coordinated omission: a request's latency is measured from the time it was DUE, not from when a
// connection was free to send it, so a server stall is charged to every request that arrived
// during it (as wrk2 and HdrHistogram's correction do). The uncorrected "service" latency, from
// the actual send, is printed beside it. Requests due in the warm-up are sent but not recorded.
// The queue is bounded (--queue-max); a run that overflows it reports overloaded=1 and stops
// issuing (served_rate then says how many replies per second the server managed).
//
// Output: key=value lines on stdout (one per operation kind, "all" first); --percentiles FILE
// writes the percentile spectrum (percentile, then milliseconds for all/get/set/del) for plots.
// Exit status 0, or 1 if the run overloaded, failed to connect, or saw error replies.
//
// A tool, outside the simulation: it uses real clocks, threads (preload only) and sockets.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "CLI/CLI.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

enum Kind { kGet = 0, kSet = 1, kDel = 2, kKinds = 3 };
constexpr const char* kKindNames[kKinds] = {"get", "set", "del"};

struct Options {
  std::vector<std::string> targets;
  double rate = 10000;
  double duration_s = 30;
  double warmup_s = 5;
  std::string mix = "80/15/5";  // get/set/del percent
  size_t value_bytes = 1024;
  uint64_t keys = 10000;
  int connections = 64;
  bool preload = false;
  bool preload_only = false;
  size_t queue_max = 1'000'000;
  uint64_t seed = 1;
  std::string label = "openloop";
  std::string percentiles_file;
};

std::string KeyName(uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%010llu", static_cast<unsigned long long>(index));
  return buf;
}

// Appends `words` as a RESP multibulk request.
void AppendCommand(std::string& out, std::initializer_list<std::string_view> words) {
  out += '*';
  out += std::to_string(words.size());
  out += "\r\n";
  for (std::string_view w : words) {
    out += '$';
    out += std::to_string(w.size());
    out += "\r\n";
    out.append(w.data(), w.size());
    out += "\r\n";
  }
}

// The length of the first complete RESP2 reply in `in` (not arrays: GET/SET/DEL never answer
// one), or 0 if more bytes are needed. *error is set for an error reply.
size_t ReplyLength(std::string_view in, bool* error) {
  const size_t eol = in.find("\r\n");
  if (eol == std::string_view::npos) return 0;
  *error = in[0] == '-';
  if (in[0] != '$') return eol + 2;
  const long long len = std::strtoll(std::string(in.substr(1, eol - 1)).c_str(), nullptr, 10);
  if (len < 0) return eol + 2;
  const size_t total = eol + 2 + static_cast<size_t>(len) + 2;
  return in.size() >= total ? total : 0;
}

tcp::endpoint Resolve(asio::io_context& io, const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("target needs host:port: " + host_port);
  tcp::resolver resolver(io);
  return *resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1)).begin();
}

// Writes every key once, closed loop, with `threads` blocking connections pipelining batches.
void Preload(const Options& o) {
  const int threads = std::max(1, std::min(o.connections, 8));
  const std::string value(o.value_bytes, 'v');
  std::vector<std::thread> workers;
  std::atomic<bool> failed{false};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      asio::io_context io;
      tcp::socket socket(io);
      socket.connect(Resolve(io, o.targets[t % o.targets.size()]));
      socket.set_option(tcp::no_delay(true));
      constexpr uint64_t kBatch = 64;
      std::string out, in;
      char buf[65536];
      for (uint64_t first = t * kBatch; first < o.keys; first += threads * kBatch) {
        const uint64_t end = std::min(o.keys, first + kBatch);
        out.clear();
        for (uint64_t k = first; k < end; ++k) AppendCommand(out, {"SET", KeyName(k), value});
        asio::write(socket, asio::buffer(out));
        for (uint64_t replies = 0; replies < end - first;) {
          bool error = false;
          const size_t n = ReplyLength(in, &error);
          if (n == 0) {
            in.append(buf, socket.read_some(asio::buffer(buf)));
            continue;
          }
          if (error) failed = true;
          in.erase(0, n);
          ++replies;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  if (failed) throw std::runtime_error("preload: the server answered an error");
}

struct Request {
  Kind kind = kGet;
  uint64_t key = 0;
  Clock::time_point due;
};

// Latency samples (nanoseconds) of the recorded phase.
struct Samples {
  std::vector<int64_t> corrected[kKinds];  // from the due time
  std::vector<int64_t> service[kKinds];    // from the send
  uint64_t errors = 0;
};

class Driver {
 public:
  explicit Driver(const Options& o) : o_(o), rng_(o.seed), value_(o.value_bytes, 'v') {
    if (std::sscanf(o.mix.c_str(), "%d/%d/%d", &mix_[0], &mix_[1], &mix_[2]) != 3 ||
        mix_[0] + mix_[1] + mix_[2] != 100) {
      throw std::runtime_error("--mix must be GET/SET/DEL percentages adding up to 100");
    }
    for (int i = 0; i < o.connections; ++i) {
      auto c = std::make_unique<Conn>(io_);
      c->socket.connect(Resolve(io_, o.targets[i % o.targets.size()]));
      c->socket.set_option(tcp::no_delay(true));
      idle_.push_back(c.get());
      conns_.push_back(std::move(c));
    }
    total_ = static_cast<uint64_t>(o.rate * (o.warmup_s + o.duration_s));
  }

  // Runs the schedule to its end and waits for every reply.
  void Run() {
    start_ = Clock::now() + std::chrono::milliseconds(10);
    record_from_ = start_ + ToDuration(o_.warmup_s);
    timer_.expires_at(start_);
    timer_.async_wait([this](const boost::system::error_code&) { Tick(); });
    io_.run();
    finished_ = Clock::now();
  }

  bool overloaded() const { return overloaded_; }
  const Samples& samples() const { return samples_; }
  double recorded_seconds() const {
    return std::chrono::duration<double>(finished_ - record_from_).count();
  }
  size_t queue_peak() const { return queue_peak_; }
  // Replies per second over the whole run, warm-up included (what an overloaded server served).
  double served_rate() const {
    return static_cast<double>(completed_) / std::chrono::duration<double>(finished_ - start_).count();
  }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    Request request;
    Clock::time_point sent;
    std::string out;
    std::string in;
    char buf[16384];
  };

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }
  Clock::time_point Due(uint64_t i) const { return start_ + ToDuration(i / o_.rate); }

  // Issues every request due by now, then sleeps until the next one is due.
  void Tick() {
    const Clock::time_point now = Clock::now();
    while (next_ < total_ && Due(next_) <= now && !overloaded_) {
      Request r;
      const int pick = static_cast<int>(rng_() % 100);
      r.kind = pick < mix_[0] ? kGet : pick < mix_[0] + mix_[1] ? kSet : kDel;
      r.key = rng_() % o_.keys;
      r.due = Due(next_++);
      if (!idle_.empty()) {
        Conn* c = idle_.back();
        idle_.pop_back();
        Send(c, r);
      } else if (queue_.size() < o_.queue_max) {
        queue_.push_back(r);
        queue_peak_ = std::max(queue_peak_, queue_.size());
      } else {
        overloaded_ = true;
      }
    }
    if (next_ < total_ && !overloaded_) {
      timer_.expires_at(Due(next_));
      timer_.async_wait([this](const boost::system::error_code&) { Tick(); });
    }
  }

  void Send(Conn* c, const Request& r) {
    c->request = r;
    c->out.clear();
    const std::string key = KeyName(r.key);
    switch (r.kind) {
      case kGet: AppendCommand(c->out, {"GET", key}); break;
      case kSet: AppendCommand(c->out, {"SET", key, value_}); break;
      default: AppendCommand(c->out, {"DEL", key}); break;
    }
    c->sent = Clock::now();
    asio::async_write(c->socket, asio::buffer(c->out),
                      [this, c](const boost::system::error_code& ec, size_t) {
                        if (ec) throw std::runtime_error("write: " + ec.message());
                        Read(c);
                      });
  }

  void Read(Conn* c) {
    bool error = false;
    const size_t n = c->in.empty() ? 0 : ReplyLength(c->in, &error);
    if (n == 0) {
      c->socket.async_read_some(asio::buffer(c->buf),
                                [this, c](const boost::system::error_code& ec, size_t got) {
                                  if (ec) throw std::runtime_error("read: " + ec.message());
                                  c->in.append(c->buf, got);
                                  Read(c);
                                });
      return;
    }
    c->in.erase(0, n);
    Complete(c, error);
  }

  void Complete(Conn* c, bool error) {
    const Clock::time_point now = Clock::now();
    const Request& r = c->request;
    ++completed_;
    if (r.due >= record_from_) {
      samples_.corrected[r.kind].push_back((now - r.due).count());
      samples_.service[r.kind].push_back((now - c->sent).count());
      if (error) ++samples_.errors;
    }
    if (!queue_.empty()) {
      const Request next = queue_.front();
      queue_.pop_front();
      Send(c, next);
    } else {
      idle_.push_back(c);
    }
  }

  const Options& o_;
  asio::io_context io_;
  asio::steady_timer timer_{io_};
  std::mt19937_64 rng_;
  std::string value_;
  int mix_[3] = {0, 0, 0};
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<Request> queue_;
  size_t queue_peak_ = 0;
  uint64_t total_ = 0;
  uint64_t next_ = 0;
  uint64_t completed_ = 0;
  bool overloaded_ = false;
  Clock::time_point start_, record_from_, finished_;
  Samples samples_;
};

// The p-th percentile (0..100) of sorted nanoseconds, in milliseconds.
double PercentileMs(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1e6;
}

void PrintLine(const Options& o, const std::string& kind, std::vector<int64_t> corrected,
               std::vector<int64_t> service) {
  std::sort(corrected.begin(), corrected.end());
  std::sort(service.begin(), service.end());
  std::printf(
      "label=%s kind=%s ops=%zu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f "
      "service_p50_ms=%.3f service_p99_ms=%.3f service_p999_ms=%.3f\n",
      o.label.c_str(), kind.c_str(), corrected.size(), PercentileMs(corrected, 50),
      PercentileMs(corrected, 90), PercentileMs(corrected, 99), PercentileMs(corrected, 99.9),
      PercentileMs(corrected, 100), PercentileMs(service, 50), PercentileMs(service, 99),
      PercentileMs(service, 99.9));
}

void WritePercentiles(const std::string& path, const Samples& s) {
  std::vector<int64_t> sorted[kKinds + 1];
  for (int k = 0; k < kKinds; ++k) {
    sorted[k + 1] = s.corrected[k];
    sorted[0].insert(sorted[0].end(), s.corrected[k].begin(), s.corrected[k].end());
  }
  for (auto& v : sorted) std::sort(v.begin(), v.end());
  std::ofstream out(path);
  out << "# percentile all_ms get_ms set_ms del_ms (latency from the due time)\n";
  for (double p : {50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99}) {
    out << p;
    for (const auto& v : sorted) out << ' ' << PercentileMs(v, p);
    out << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string targets;
  CLI::App app{"openloop: open-loop GET/SET/DEL load on Redis-protocol servers"};
  app.add_option("--target", targets, "comma-separated host:port of the servers")->required();
  app.add_option("--rate", o.rate, "requests per second, all connections together");
  app.add_option("--duration", o.duration_s, "seconds recorded (after the warm-up)");
  app.add_option("--warmup", o.warmup_s, "seconds sent first and not recorded");
  app.add_option("--mix", o.mix, "GET/SET/DEL percentages, e.g. 80/15/5");
  app.add_option("--value-bytes", o.value_bytes, "bytes per SET value");
  app.add_option("--keys", o.keys, "keys key:0000000000 .. chosen uniformly");
  app.add_option("--connections", o.connections, "connections (one request in flight each)");
  app.add_flag("--preload", o.preload, "SET every key once before the run (closed loop)");
  app.add_flag("--preload-only", o.preload_only, "SET every key once and exit");
  app.add_option("--queue-max", o.queue_max, "requests that may wait for a connection");
  app.add_option("--seed", o.seed, "seed of the key and operation draws");
  app.add_option("--label", o.label, "name printed on every output line");
  app.add_option("--percentiles", o.percentiles_file, "write the percentile spectrum here");
  CLI11_PARSE(app, argc, argv);
  for (size_t at = 0; at <= targets.size();) {
    const size_t comma = std::min(targets.find(',', at), targets.size());
    if (comma > at) o.targets.push_back(targets.substr(at, comma - at));
    at = comma + 1;
  }
  if (o.targets.empty() || o.rate <= 0 || o.connections < 1 || o.keys < 1) {
    std::fprintf(stderr, "openloop: need targets, rate > 0, connections >= 1, keys >= 1\n");
    return 2;
  }
  try {
    if (o.preload || o.preload_only) {
      const auto start = Clock::now();
      Preload(o);
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("label=%s preload_keys=%llu preload_seconds=%.2f preload_ops_per_second=%.0f\n",
                  o.label.c_str(), static_cast<unsigned long long>(o.keys), s,
                  static_cast<double>(o.keys) / s);
      if (o.preload_only) return 0;
    }
    Driver driver(o);
    driver.Run();
    const Samples& s = driver.samples();
    std::vector<int64_t> all, all_service;
    size_t ops = 0;
    for (int k = 0; k < kKinds; ++k) {
      all.insert(all.end(), s.corrected[k].begin(), s.corrected[k].end());
      all_service.insert(all_service.end(), s.service[k].begin(), s.service[k].end());
      ops += s.corrected[k].size();
    }
    std::printf("label=%s target_rate=%.0f achieved_rate=%.1f served_rate=%.1f errors=%llu "
                "overloaded=%d queue_peak=%zu connections=%d\n",
                o.label.c_str(), o.rate,
                ops > 0 ? static_cast<double>(ops) / driver.recorded_seconds() : 0.0,
                driver.served_rate(),
                static_cast<unsigned long long>(s.errors), driver.overloaded() ? 1 : 0,
                driver.queue_peak(), o.connections);
    PrintLine(o, "all", all, all_service);
    for (int k = 0; k < kKinds; ++k) PrintLine(o, kKindNames[k], s.corrected[k], s.service[k]);
    if (!o.percentiles_file.empty()) WritePercentiles(o.percentiles_file, s);
    return driver.overloaded() || s.errors > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "openloop: %s\n", e.what());
    return 1;
  }
}
