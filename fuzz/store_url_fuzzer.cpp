// Database URLs (`--db`, DATABASE_URL) and their redaction for logs: any text
// is either a location an engine can open or an error with a reason, and the
// redacted form of a URL with a password never shows it.
#include <boost/url/parse.hpp>
#include <string>

#include "fuzz_check.hpp"
#include "store/store_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using Engine = headway::store::StoreLocation::Engine;
  const auto text = headway::fuzz::as_text(data, size);
  const auto location = headway::store::parse_store_url(text);
  if (!location) {
    FUZZ_CHECK(!location.error().message.empty());
  } else {
    FUZZ_CHECK(!location->target.empty());
    if (location->engine == Engine::postgres) {
      FUZZ_CHECK(location->target == text);
      FUZZ_CHECK(text.starts_with("postgres://") || text.starts_with("postgresql://"));
    } else {
      FUZZ_CHECK(text.ends_with(location->target));
    }
  }

  const std::string redacted = headway::store::redact_url(text);
  FUZZ_CHECK(headway::store::redact_url(redacted) == redacted);
  const auto url = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
  if (url && url->has_password() && !url->encoded_password().empty()) {
    const auto shown = boost::urls::parse_uri(redacted);
    FUZZ_CHECK(shown.has_value());
    FUZZ_CHECK(shown->encoded_password() == "***");
    // Where the authority is unambiguous, only the password changed.
    if (text.find('@') == text.rfind('@')) {
      FUZZ_CHECK(shown->encoded_user() == url->encoded_user());
      FUZZ_CHECK(shown->encoded_host_and_port() == url->encoded_host_and_port());
      FUZZ_CHECK(shown->encoded_path() == url->encoded_path());
    }
  }
  // Only credentials are ever hidden.
  if (text.find('@') == std::string_view::npos)
    FUZZ_CHECK(redacted == text);
  return 0;
}
