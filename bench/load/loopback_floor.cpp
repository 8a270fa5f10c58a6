// headway_loopback_floor: what one fan-out costs the kernel alone on this
// machine, with no server in the way. It opens N loopback TCP connections,
// writes one frame-sized message to each (one send() per connection, as the
// server does), and reports the wall time of a round from one thread and from
// two threads writing disjoint halves; then how much two spinning threads gain
// over one. No thread waits on the receiving sockets, so no wake-ups are paid.
// See docs/benchmarks.md.
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Connections {
  std::vector<int> sending;
  std::vector<int> receiving;

  explicit Connections(std::size_t count) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener, 4096) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    for (std::size_t i = 0; i < count; ++i) {
      const int client = ::socket(AF_INET, SOCK_STREAM, 0);
      if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0)
        throw std::runtime_error("connect failed (open-file limit?)");
      const int server = ::accept(listener, nullptr, nullptr);
      if (server < 0)
        throw std::runtime_error("accept failed");
      receiving.push_back(client);
      sending.push_back(server);
    }
    ::close(listener);
  }
  ~Connections() {
    for (const int fd : sending)
      ::close(fd);
    for (const int fd : receiving)
      ::close(fd);
  }

  void send_range(const std::string& frame, std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end; ++i)
      ::send(sending[i], frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  void drain() const {
    std::vector<char> sink(1 << 16);
    for (const int fd : receiving) {
      while (::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT) > 0) {
      }
    }
  }
};

void spin(long iterations) {
  volatile double x = 1;
  for (long i = 0; i < iterations; ++i)
    x = x * 1.0000001;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Kernel cost of one loopback fan-out on this machine, without a server");
  std::size_t connections = 1000;
  std::size_t frame_bytes = 700;
  int rounds = 50;
  app.add_option("--connections", connections, "receiving connections (watchers)");
  app.add_option("--frame-bytes", frame_bytes, "bytes per message (an SSE progress frame)");
  app.add_option("--rounds", rounds, "rounds per measurement; the median is reported");
  CLI11_PARSE(app, argc, argv);
  if (connections < 2 || rounds < 1) {
    std::fprintf(stderr, "headway_loopback_floor: need 2+ connections and 1+ rounds\n");
    return 2;
  }

  const Connections pairs(connections);
  const std::string frame(frame_bytes, 'x');
  std::vector<double> one_thread;
  std::vector<double> two_threads;
  for (int round = 0; round < rounds; ++round) {
    auto start = Clock::now();
    pairs.send_range(frame, 0, connections);
    one_thread.push_back(ms_since(start));
    pairs.drain();

    start = Clock::now();
    std::thread other([&] { pairs.send_range(frame, connections / 2, connections); });
    pairs.send_range(frame, 0, connections / 2);
    other.join();
    two_threads.push_back(ms_since(start));
    pairs.drain();
  }

  constexpr long kSpin = 100'000'000;
  auto start = Clock::now();
  spin(kSpin);
  const double spin_one = ms_since(start);
  start = Clock::now();
  std::thread other([] { spin(kSpin); });
  spin(kSpin);
  other.join();
  const double spin_two = ms_since(start);

  const double one = median(one_thread);
  const double two = median(two_threads);
  std::printf("loopback fan-out of %zu frames of %zu bytes, median of %d rounds:\n", connections,
              frame_bytes, rounds);
  std::printf("  one thread   %.2f ms (%.2f us per send)\n", one,
              one * 1000 / static_cast<double>(connections));
  std::printf("  two threads  %.2f ms (%.2fx faster)\n", two, one / two);
  std::printf("cpu: two spinning threads get %.2fx the work of one done (2.00: two full cores)\n",
              2 * spin_one / spin_two);
  return 0;
}
