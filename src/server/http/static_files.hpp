#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace headway::server {

// The built web UI (web/dist) under one root directory: files by path, and
// index.html for client-side routes. Paths are percent-decoded and rejected
// when they could leave the root (`..`, `.`, empty segments, backslashes,
// NUL), and a resolved file must still lie inside the root after symlinks.
// Never lists a directory.
//
// Immutable after construction; read() may run on any thread (it blocks on
// the file system, so the server calls it on its thread pool).
class StaticFiles {
 public:
  // An empty root serves nothing (every answer is `no_ui`).
  explicit StaticFiles(const std::filesystem::path& root);

  enum class Outcome {
    file,      // `body` holds the file
    bad_path,  // a path that tries to leave the root or is not a plain path
    missing,   // no such file where a file was asked for (a hashed asset)
    no_ui,     // no web root configured or found
  };
  struct Answer {
    Outcome outcome = Outcome::missing;
    std::string content_type;
    std::string cache_control;
    std::string body;
  };

  // The answer for a request path (without the query string, not decoded).
  Answer read(std::string_view raw_path) const;
  const std::filesystem::path& root() const { return root_; }

  // The content type for a file name, by extension.
  static std::string_view content_type(const std::filesystem::path& file);

 private:
  std::optional<std::filesystem::path> resolve(std::string_view relative) const;
  std::filesystem::path root_;
};

// Where the UI is when --web-root is not given: ./web/dist when it holds an
// index.html, else ../share/headway/web next to the running binary (an
// installed copy); empty when neither exists.
std::filesystem::path default_web_root();

}  // namespace headway::server
