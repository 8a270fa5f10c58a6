#pragma once

#include <type_traits>
#include <utility>

#include "server/asio_types.hpp"

namespace headway::server {

// Runs `f` (a blocking call such as a JobStore query) on `pool` and resumes the
// calling coroutine on its own executor with the result, so I/O threads never
// block on the database. `f` must not throw (the store returns errors as values).
//
// Not itself a coroutine: it returns the operation's awaitable directly (GCC 12
// destroys the result twice in `co_return co_await` of a non-trivial type).
template <typename F>
awaitable<std::invoke_result_t<F>> run_blocking(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [&pool](auto handler, F f) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(pool, [handler = std::move(handler), f = std::move(f),
                          work = std::move(work)]() mutable {
          R result = f();
          auto executor = work.get_executor();
          asio::post(executor,
                     [handler = std::move(handler), result = std::move(result)]() mutable {
                       std::move(handler)(std::move(result));
                     });
        });
      },
      asio::use_awaitable, std::move(f));
}

}  // namespace headway::server
