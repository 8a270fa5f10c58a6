#include "store/store_url.hpp"

namespace headway::store {

Result<StoreLocation> parse_store_url(std::string_view url) {
  using Engine = StoreLocation::Engine;
  if (url.empty()) {
    return Error{ErrorCode::invalid_argument, "empty database URL"};
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return StoreLocation{Engine::postgres, std::string(url)};
  }
  if (url.starts_with("sqlite://")) {
    // sqlite:///abs/path keeps its leading slash; sqlite://rel/path is relative.
    std::string_view path = url.substr(std::string_view("sqlite://").size());
    if (path.empty()) {
      return Error{ErrorCode::invalid_argument, "sqlite:// URL without a path"};
    }
    return StoreLocation{Engine::sqlite, std::string(path)};
  }
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    return Error{ErrorCode::invalid_argument,
                 "unsupported database URL scheme '" + std::string(url.substr(0, scheme_end)) +
                     "' (expected sqlite://, postgres:// or postgresql://)"};
  }
  // A plain path, or ":memory:".
  return StoreLocation{Engine::sqlite, std::string(url)};
}

std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string(url);
  }
  const auto authority_begin = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_begin);
  const auto at =
      url.rfind('@', authority_end == std::string_view::npos ? url.size() - 1 : authority_end);
  if (at == std::string_view::npos || at < authority_begin) {
    return std::string(url);
  }
  const auto colon = url.find(':', authority_begin);
  if (colon == std::string_view::npos || colon > at) {
    return std::string(url);
  }
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace headway::store
