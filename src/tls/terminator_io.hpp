#pragma once
/// \file
/// Descriptors of the web TLS terminator: an owning fd and the public listening socket.
/// Private to src/tls.

#include <unistd.h>

#include <string>
#include <utility>

namespace starttls_exporter::tls {

/// Owns one file descriptor; -1 is empty. Closed exactly once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/// A non-blocking listening TCP socket for "HOST:PORT" (see Terminator's constructor for the
/// forms); `port` receives the bound port. Throws std::invalid_argument for a malformed
/// address, std::runtime_error ("listen ADDRESS: reason") when it cannot listen.
UniqueFd listen_on(const std::string& address, int& port);

/// The peer's address as text: "192.0.2.7", "2001:db8::1"; IPv4-mapped IPv6 as plain IPv4.
std::string address_text(const void* sockaddr_storage_ptr);

}  // namespace starttls_exporter::tls
