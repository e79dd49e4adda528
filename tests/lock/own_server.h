// A PostgreSQL or Redis server of one test alone, on a free port, driven by
// scripts/services.sh, so the shared test servers stay up for everyone else
// and server-wide counters see only the test's own work.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "lock_test_backends.h"

namespace datashard::lock_test {

inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

class OwnServer {
 public:
  explicit OwnServer(std::string kind, std::string redis_options = "")
      : kind_(std::move(kind)), redis_options_(std::move(redis_options)), port_(FreePort()) {
    // The directory is made by the script, so the postgres user can enter it.
    dir_ = testing::TempDir() + "datashard-lock-server-" + UniqueId();
    url_ = kind_ == "postgres"
               ? "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/datashard"
               : "redis://127.0.0.1:" + std::to_string(port_);
  }
  ~OwnServer() {
    Stop();
    Script("rm -rf '" + dir_ + "'");
  }

  bool Start() {
    return kind_ == "postgres"
               ? Services("postgres-start " + std::to_string(port_) + " '" + dir_ + "/data'")
               : Services("redis-start " + std::to_string(port_) + " '" + dir_ + "/data' " +
                          redis_options_);
  }
  /// Stops the server, dropping every client connection: PostgreSQL by a
  /// fast shutdown (an immediate one costs seconds of crash recovery and tests
  /// PostgreSQL's durability, not ours), Redis without saving.
  void Stop() {
    if (kind_ == "postgres") {
      Services("postgres-stop '" + dir_ + "/data' fast");
    } else {
      Services("redis-stop " + std::to_string(port_));
    }
  }
  const std::string& url() const { return url_; }

 private:
  static bool Script(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }
  static bool Services(const std::string& args) {
    return Script(std::string("bash '") + DATASHARD_SERVICES_SCRIPT + "' " + args + " >/dev/null");
  }

  std::string kind_;
  std::string redis_options_;
  int port_;
  std::string dir_;
  std::string url_;
};

}  // namespace datashard::lock_test
