#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

// Short names used throughout the server.
namespace headway::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;

template <typename T = void>
using awaitable = asio::awaitable<T>;

// Expected failures (EOF, cancellation, a closed peer) come back as values,
// not exceptions: `auto [ec, n] = co_await op(..., use_tuple);`.
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace headway::server
