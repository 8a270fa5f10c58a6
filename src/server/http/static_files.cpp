#include "server/http/static_files.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

namespace headway::server {
namespace fs = std::filesystem;
namespace {

// Hashed names: a new build writes new names, so a year is safe.
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// index.html (and unhashed files) must be revalidated, or a browser keeps
// loading an old build's asset names.
constexpr std::string_view kRevalidate = "no-cache";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Percent-decodes `path`; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size())
      return std::nullopt;
    const int high = hex_value(path[i + 1]);
    const int low = hex_value(path[i + 2]);
    if (high < 0 || low < 0)
      return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// A decoded path is acceptable when it is absolute ("/..."), has no NUL or
// backslash, and no segment is "." or ".."; only the last segment may be
// empty (a trailing slash), so "//etc/passwd" cannot become an absolute path.
bool is_plain_path(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return false;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos)
    return false;
  std::size_t begin = 1;
  for (;;) {
    const auto end = path.find('/', begin);
    const auto segment = path.substr(begin, end == std::string_view::npos ? end : end - begin);
    if (segment == "." || segment == "..")
      return false;
    if (end == std::string_view::npos)
      return true;
    if (segment.empty())
      return false;
    begin = end + 1;
  }
}

bool inside(const fs::path& root, const fs::path& file) {
  auto r = root.begin();
  auto f = file.begin();
  for (; r != root.end(); ++r, ++f) {
    if (f == file.end() || *r != *f)
      return false;
  }
  return true;
}

std::optional<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    return std::nullopt;
  return body;
}

}  // namespace

StaticFiles::StaticFiles(const fs::path& root) {
  std::error_code ec;
  if (!root.empty())
    root_ = fs::canonical(root, ec);
  if (ec)
    root_.clear();
}

std::string_view StaticFiles::content_type(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".xml", "application/xml"},
  }};
  const auto extension = file.extension().string();
  for (const auto& [ext, type] : types) {
    if (extension == ext)
      return type;
  }
  return "application/octet-stream";
}

std::optional<fs::path> StaticFiles::resolve(std::string_view relative) const {
  std::error_code ec;
  const auto file = fs::canonical(root_ / fs::path(relative), ec);
  if (ec || !inside(root_, file) || !fs::is_regular_file(file, ec))
    return std::nullopt;
  return file;
}

StaticFiles::Answer StaticFiles::read(std::string_view raw_path) const {
  Answer answer;
  auto decoded = percent_decode(raw_path);
  if (!decoded || !is_plain_path(*decoded)) {
    answer.outcome = Outcome::bad_path;
    return answer;
  }
  if (root_.empty()) {
    answer.outcome = Outcome::no_ui;
    return answer;
  }
  const std::string_view relative = std::string_view(*decoded).substr(1);
  std::optional<fs::path> file;
  if (!relative.empty() && relative.back() != '/')
    file = resolve(relative);
  if (!file) {
    // A missing hashed asset (an old build's name) gets a 404 rather than
    // index.html, which a browser would try to run as a script.
    if (relative.starts_with("assets/")) {
      answer.outcome = Outcome::missing;
      return answer;
    }
    file = resolve("index.html");  // a client-side route
    if (!file) {
      answer.outcome = Outcome::no_ui;
      return answer;
    }
  }
  auto body = read_file(*file);
  if (!body) {
    answer.outcome = Outcome::missing;
    return answer;
  }
  answer.outcome = Outcome::file;
  answer.body = std::move(*body);
  answer.content_type = content_type(*file);
  const bool hashed = file->parent_path() == root_ / "assets";
  answer.cache_control = hashed ? kImmutable : kRevalidate;
  return answer;
}

fs::path default_web_root() {
  std::error_code ec;
  fs::path local = fs::current_path(ec) / "web" / "dist";
  if (!ec && fs::is_regular_file(local / "index.html", ec))
    return local;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "headway" / "web";
    if (fs::is_regular_file(installed / "index.html", ec))
      return installed;
  }
  return {};
}

}  // namespace headway::server
