// The progress record JSON (docs/protocol.md section 1), as the server and the
// Tracker read it from Redis: whatever a writer stored, parsing never fails
// loudly, the quick key check agrees with the full parse, and a parsed record
// survives serialize -> parse unchanged.
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/progress_record.hpp"
#include "fuzz_check.hpp"

namespace {

using headway::ProgressRecord;

// Equal as they travel: NaN and infinities are written as null, which reads
// back as "missing" (0, or no ETA). The shortest text that reads back exactly
// is written, but Boost.JSON 1.81 does not always round its reading to the
// nearest double (1.7646009007199255e25 comes back one unit off), so the
// last bits may differ.
bool same_number(double written, double read) {
  if (!std::isfinite(written))
    return read == 0;
  return written == read || std::abs(written - read) <= 4e-16 * std::abs(written);
}

// Equal JSON, numbers as same_number compares them.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number())
    return same_number(a.to_number<double>(), b.to_number<double>());
  if (a.kind() != b.kind())
    return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size())
      return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i]))
        return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size())
      return false;
    for (const auto& member : x) {
      const auto* other = y.if_contains(member.key());
      if (!other || !same_json(member.value(), *other))
        return false;
    }
    return true;
  }
  return a == b;
}

void check_same(const ProgressRecord& a, const ProgressRecord& b) {
  FUZZ_CHECK(a.job_id == b.job_id);
  FUZZ_CHECK(a.stage == b.stage);
  FUZZ_CHECK(same_number(a.stage_progress, b.stage_progress));
  FUZZ_CHECK(same_number(a.overall_progress, b.overall_progress));
  FUZZ_CHECK(a.status == b.status);
  FUZZ_CHECK(a.eta_seconds.has_value() == b.eta_seconds.has_value() ||
             (a.eta_seconds && !std::isfinite(*a.eta_seconds)));
  if (a.eta_seconds && b.eta_seconds)
    FUZZ_CHECK(same_number(*a.eta_seconds, *b.eta_seconds));
  FUZZ_CHECK(same_number(a.started_at, b.started_at));
  FUZZ_CHECK(same_number(a.last_updated, b.last_updated));
  FUZZ_CHECK(a.seq == b.seq);
  FUZZ_CHECK(a.attempt == b.attempt);
  FUZZ_CHECK(a.stages.size() == b.stages.size());
  for (std::size_t i = 0; i < a.stages.size(); ++i) {
    FUZZ_CHECK(a.stages[i].name == b.stages[i].name);
    FUZZ_CHECK(same_number(a.stages[i].start, b.stages[i].start));
    FUZZ_CHECK(same_number(a.stages[i].end, b.stages[i].end));
  }
  const auto metadata_a = boost::json::parse(a.metadata_json);
  const auto metadata_b = boost::json::parse(b.metadata_json);
  FUZZ_CHECK(same_json(metadata_a, metadata_b));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const auto text = headway::fuzz::as_text(data, size);
  std::string error;
  const auto record = headway::parse_progress_record(text, &error);
  const auto key = headway::parse_record_key(text);

  // The relay's quick check accepts exactly what the full parse accepts.
  FUZZ_CHECK(record.has_value() == key.has_value());
  if (!record) {
    headway::RecordKey ignored;
    FUZZ_CHECK(headway::check_record_key(text, "", ignored) == headway::RecordVerdict::invalid);
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(key->seq == record->seq);
  FUZZ_CHECK(key->status == record->status);
  FUZZ_CHECK(record->seq >= 0 && record->seq <= headway::kMaxSeq);
  // The relay's channel check: the record's own job, and no other.
  headway::RecordKey channel_key;
  FUZZ_CHECK(headway::check_record_key(text, record->job_id, channel_key) ==
             headway::RecordVerdict::valid);
  FUZZ_CHECK(channel_key.seq == record->seq);
  FUZZ_CHECK(headway::check_record_key(text, record->job_id + "-other", channel_key) ==
             headway::RecordVerdict::other_job);

  // What the server relays or rewrites reads back as the same record.
  const std::string json = headway::to_json(*record);
  const auto again = headway::parse_progress_record(json, &error);
  if (!again)
    std::fprintf(stderr, "%s\ndoes not parse: %s\n", json.c_str(), error.c_str());
  FUZZ_CHECK(again.has_value());
  check_same(*record, *again);
  // ... and so does the record read back (the first round may have turned a
  // non-finite number into null, which reads back as 0).
  const auto third = headway::parse_progress_record(headway::to_json(*again), &error);
  FUZZ_CHECK(third.has_value());
  check_same(*again, *third);
  return 0;
}
