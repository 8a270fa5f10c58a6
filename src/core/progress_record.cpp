#include "core/progress_record.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace headway {
namespace json = boost::json;

double round2(double value) {
  return std::round(value * 100.0) / 100.0;
}

double clamp_percent(double value) {
  if (!(value > 0))
    return 0;
  return round2(std::min(value, 100.0));
}

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == 0)
    value = 0;  // no "-0"
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc{} ? end : buffer);
}

void append_json_string(std::string& out, std::string_view text) {
  out += json::serialize(json::string_view(text.data(), text.size()));
}

std::string to_json(const ProgressRecord& r) {
  std::string out;
  out.reserve(400 + r.metadata_json.size() + 48 * r.stages.size());
  out += "{\"job_id\":";
  append_json_string(out, r.job_id);
  out += ",\"stage\":";
  append_json_string(out, r.stage);
  out += ",\"stage_progress\":";
  append_json_number(out, r.stage_progress);
  out += ",\"overall_progress\":";
  append_json_number(out, r.overall_progress);
  out += ",\"status\":\"";
  out += to_string(r.status);
  const auto append_optional = [&out](const char* key, const std::optional<double>& value) {
    out += key;
    if (value) {
      append_json_number(out, *value);
    } else {
      out += "null";
    }
  };
  out += '"';
  append_optional(",\"eta_seconds\":", r.eta_seconds);
  append_optional(",\"eta_low_seconds\":", r.eta_low_seconds);
  append_optional(",\"eta_high_seconds\":", r.eta_high_seconds);
  out += ",\"started_at\":";
  append_json_number(out, r.started_at);
  out += ",\"last_updated\":";
  append_json_number(out, r.last_updated);
  out += ",\"seq\":" + std::to_string(r.seq);
  out += ",\"attempt\":" + std::to_string(r.attempt);
  out += ",\"stages\":[";
  for (std::size_t i = 0; i < r.stages.size(); ++i) {
    if (i)
      out += ',';
    out += "{\"name\":";
    append_json_string(out, r.stages[i].name);
    out += ",\"start\":";
    append_json_number(out, r.stages[i].start);
    out += ",\"end\":";
    append_json_number(out, r.stages[i].end);
    out += '}';
  }
  out += "],\"metadata\":";
  out += r.metadata_json.empty() ? "{}" : r.metadata_json;
  out += '}';
  return out;
}

namespace {

std::optional<double> number_of(const json::value* v) {
  if (!v)
    return std::nullopt;
  if (v->is_double())
    return v->get_double();
  if (v->is_int64())
    return static_cast<double>(v->get_int64());
  if (v->is_uint64())
    return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

// An integer from -kMaxSeq to kMaxSeq, written as one (5) or as a double
// without a fraction (5.0); anything else is no integer a record may hold.
std::optional<std::int64_t> integer_of(const json::value* v) {
  if (!v)
    return std::nullopt;
  std::optional<std::int64_t> integer;
  if (v->is_int64()) {
    integer = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() <= static_cast<std::uint64_t>(kMaxSeq))
      integer = static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    const double d = v->get_double();
    if (std::abs(d) <= static_cast<double>(kMaxSeq) && d == std::floor(d))
      integer = static_cast<std::int64_t>(d);
  }
  if (integer && (*integer > kMaxSeq || *integer < -kMaxSeq))
    return std::nullopt;
  return integer;
}

// Boost.JSON 1.81 reads texts such as 1e400 as infinite doubles and writes
// them back as Infinity or NaN, which is not JSON. Metadata is re-serialized,
// so such numbers become null there, as append_json_number writes them.
void null_non_finite(json::value& value) {
  if (value.is_double()) {
    if (!std::isfinite(value.get_double()))
      value = nullptr;
  } else if (value.is_array()) {
    for (auto& element : value.get_array())
      null_non_finite(element);
  } else if (value.is_object()) {
    for (auto& member : value.get_object())
      null_non_finite(member.value());
  }
}

bool fail(std::string* error, std::string message) {
  if (error)
    *error = std::move(message);
  return false;
}

// The required fields; what makes a record valid.
bool read_key(const json::object& o, RecordKey& key, std::string* error) {
  const auto* id = o.if_contains("job_id");
  if (!id || !id->is_string())
    return fail(error, "job_id missing or not a string");
  const auto* status = o.if_contains("status");
  if (!status || !status->is_string())
    return fail(error, "status missing or not a string");
  auto parsed = parse_job_status(std::string_view(status->get_string()));
  if (!parsed)
    return fail(error, "unknown status '" + std::string(status->get_string()) + "'");
  key.status = *parsed;
  auto seq = integer_of(o.if_contains("seq"));
  if (!seq || *seq < 0)
    return fail(error, "seq missing or not an integer from 0 to 2^53-1");
  key.seq = *seq;
  return true;
}

bool read_record(const json::object& o, ProgressRecord& r, std::string* error) {
  RecordKey key;
  if (!read_key(o, key, error))
    return false;
  r.job_id = std::string(o.at("job_id").get_string());
  r.status = key.status;
  r.seq = key.seq;
  if (const auto* stage = o.if_contains("stage"); stage && stage->is_string()) {
    r.stage = std::string(stage->get_string());
  }
  r.stage_progress = number_of(o.if_contains("stage_progress")).value_or(0);
  r.overall_progress = number_of(o.if_contains("overall_progress")).value_or(0);
  r.eta_seconds = number_of(o.if_contains("eta_seconds"));
  r.eta_low_seconds = number_of(o.if_contains("eta_low_seconds"));
  r.eta_high_seconds = number_of(o.if_contains("eta_high_seconds"));
  if (!r.eta_low_seconds || !r.eta_high_seconds) {
    r.eta_low_seconds.reset();
    r.eta_high_seconds.reset();
  }
  r.started_at = number_of(o.if_contains("started_at")).value_or(0);
  r.last_updated = number_of(o.if_contains("last_updated")).value_or(0);
  r.attempt = integer_of(o.if_contains("attempt")).value_or(1);
  if (const auto* stages = o.if_contains("stages"); stages && stages->is_array()) {
    for (const auto& s : stages->get_array()) {
      if (!s.is_object())
        continue;
      const auto& so = s.get_object();
      const auto* name = so.if_contains("name");
      if (!name || !name->is_string())
        continue;
      r.stages.push_back({std::string(name->get_string()),
                          number_of(so.if_contains("start")).value_or(0),
                          number_of(so.if_contains("end")).value_or(0)});
    }
  }
  if (const auto* metadata = o.if_contains("metadata"); metadata && metadata->is_object()) {
    json::value finite = *metadata;
    null_non_finite(finite);
    r.metadata_json = json::serialize(finite);
  }
  return true;
}

}  // namespace

std::optional<ProgressRecord> parse_progress_record(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) {
    fail(error, "not JSON: " + ec.message());
    return std::nullopt;
  }
  if (!value.is_object()) {
    fail(error, "not a JSON object");
    return std::nullopt;
  }
  ProgressRecord record;
  if (!read_record(value.get_object(), record, error))
    return std::nullopt;
  return record;
}

namespace {

// Records are small: parsed into stack memory, with no allocation unless one
// is unusually large.
template <typename JobMatches>
RecordVerdict verdict_of(std::string_view text, RecordKey& key, JobMatches job_matches) {
  unsigned char buffer[4096];
  json::monotonic_resource memory(buffer, sizeof buffer);
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec, &memory);
  RecordKey parsed;
  if (ec || !value.is_object() || !read_key(value.get_object(), parsed, nullptr))
    return RecordVerdict::invalid;
  const json::string& id = value.get_object().at("job_id").get_string();
  if (!job_matches(std::string_view(id.data(), id.size())))
    return RecordVerdict::other_job;
  key = parsed;
  return RecordVerdict::valid;
}

}  // namespace

std::optional<RecordKey> parse_record_key(std::string_view text) {
  RecordKey key;
  if (verdict_of(text, key, [](std::string_view) { return true; }) != RecordVerdict::valid)
    return std::nullopt;
  return key;
}

RecordVerdict check_record_key(std::string_view text, std::string_view job_id, RecordKey& key) {
  return verdict_of(text, key, [job_id](std::string_view id) { return id == job_id; });
}

}  // namespace headway
