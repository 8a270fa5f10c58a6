#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/system/error_code.hpp>
#include <string>

#include "redis/redis_url.hpp"

// TLS to Redis (rediss://) on Asio and OpenSSL. Debian's hiredis (0.14) has no
// TLS, so hiredis only formats commands and reads replies; the bytes travel
// on an asio::ssl::stream, both in the blocking redis::Connection and in the
// server's RespSocket, set up alike by these two functions.
namespace headway::redis {

// Loads the CA (else the system's trusted roots) and the client certificate
// into a client context that verifies its peer. False (with `error` naming
// the file) when a file cannot be used.
inline bool configure_tls_context(boost::asio::ssl::context& context, const TlsOptions& options,
                                  std::string& error) {
  namespace ssl = boost::asio::ssl;
  boost::system::error_code ec;
  context.set_verify_mode(ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else if (context.load_verify_file(options.ca_file, ec); ec) {
    error = "cannot load the CA certificate " + options.ca_file + ": " + ec.message();
    return false;
  }
  if (!options.cert_file.empty()) {
    if (context.use_certificate_chain_file(options.cert_file, ec); ec) {
      error = "cannot load the client certificate " + options.cert_file + ": " + ec.message();
      return false;
    }
    if (context.use_private_key_file(options.key_file, ssl::context::pem, ec); ec) {
      error = "cannot load the client key " + options.key_file + ": " + ec.message();
      return false;
    }
  }
  return true;
}

// Sends SNI (for a name, not an IP address) and checks the certificate
// against `sni=` or else the host connected to.
template <typename Stream>
void prepare_tls_stream(Stream& stream, const std::string& host, const TlsOptions& options) {
  const std::string& name = options.server_name.empty() ? host : options.server_name;
  boost::system::error_code not_an_address;
  boost::asio::ip::make_address(name, not_an_address);
  if (not_an_address)
    SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  stream.set_verify_callback(boost::asio::ssl::host_name_verification(name));
}

// A handshake failure in words: OpenSSL's reason, and the verification
// result when the certificate was refused.
template <typename Stream>
std::string tls_failure(Stream& stream, const boost::system::error_code& ec) {
  std::string text = ec.message();
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK)
    text +=
        std::string(" (certificate verification: ") + X509_verify_cert_error_string(verify) + ")";
  return text;
}

}  // namespace headway::redis
