#include "server/http/router.hpp"

#include <algorithm>
#include <utility>

namespace headway::server {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const auto end = path.find('/', begin);
    const auto stop = end == std::string_view::npos ? path.size() : end;
    segments.push_back(path.substr(begin, stop - begin));
    if (end == std::string_view::npos)
      break;
    begin = end + 1;
  }
  return segments;
}

}  // namespace

void Router::add(Route route) {
  Compiled compiled;
  for (auto segment : split(route.pattern)) {
    if (segment.size() > 3 && segment.starts_with("{*") && segment.back() == '}') {
      compiled.catch_all = true;
      break;
    }
    const bool parameter = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    compiled.segments.emplace_back(parameter ? "{}" : segment);
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
}

void Router::add(http::verb method, std::string pattern, RouteKind kind, Handler handler) {
  std::string name = pattern;
  add(Route{method, std::move(pattern), std::move(name), kind, std::move(handler)});
}

bool Router::match_segments(const Compiled& compiled, std::string_view path,
                            std::vector<std::string_view>& params) {
  const auto segments = split(path);
  if (compiled.catch_all ? segments.size() < compiled.segments.size()
                         : segments.size() != compiled.segments.size())
    return false;
  params.clear();
  for (std::size_t i = 0; i < compiled.segments.size(); ++i) {
    if (compiled.segments[i] == "{}") {
      if (segments[i].empty())
        return false;
      params.push_back(segments[i]);
    } else if (compiled.segments[i] != segments[i]) {
      return false;
    }
  }
  if (compiled.catch_all) {
    // The rest of the path after the matched prefix, as one parameter.
    std::size_t consumed = 0;
    for (std::size_t i = 0; i < compiled.segments.size(); ++i)
      consumed += segments[i].size() + 1;
    params.push_back(path.substr(std::min(consumed, path.size())));
  }
  return true;
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  Match result;
  Match fallback;  // a catch-all row: used only when no other row knows the path
  std::vector<std::string_view> params;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!match_segments(compiled_[i], path, params))
      continue;
    if (compiled_[i].catch_all) {
      if (!fallback.route && routes_[i].method == method) {
        fallback.route = &routes_[i];
        fallback.params = params;
      }
      continue;
    }
    if (routes_[i].method == method) {
      result.route = &routes_[i];
      result.params = params;
      return result;
    }
    result.path_known = true;
    if (!result.allow.empty())
      result.allow += ", ";
    const auto name = http::to_string(routes_[i].method);
    result.allow.append(name.data(), name.size());
  }
  return result.path_known || !fallback.route ? result : fallback;
}

}  // namespace headway::server
