// The progress record JSON (DESIGN.md section 1), as the server and the
// Tracker read it from Redis: whatever a writer stored, parsing never fails
// loudly, the quick key check agrees with the full parse, and a parsed record
// survives serialize -> parse unchanged.
#include <cmath>
#include <cstdio>
#include <string>

#include "core/progress_record.hpp"
#include "fuzz_check.hpp"

namespace {

using headway::ProgressRecord;

// Equal as they travel: NaN and infinities are written as null, which reads
// back as "missing" (0, or no ETA).
bool same_number(double written, double read) {
  return std::isfinite(written) ? written == read : read == 0;
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
    FUZZ_CHECK(*a.eta_seconds == *b.eta_seconds);
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
  FUZZ_CHECK(a.metadata_json == b.metadata_json);
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
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(key->seq == record->seq);
  FUZZ_CHECK(key->status == record->status);
  FUZZ_CHECK(record->seq >= 0);

  // What the server relays or rewrites reads back as the same record.
  const std::string json = headway::to_json(*record);
  const auto again = headway::parse_progress_record(json, &error);
  if (!again)
    std::fprintf(stderr, "%s\ndoes not parse: %s\n", json.c_str(), error.c_str());
  FUZZ_CHECK(again.has_value());
  check_same(*record, *again);
  // ... and from then on serializing is stable byte for byte (the first
  // round may turn a non-finite number into null, which reads back as 0).
  const std::string second = headway::to_json(*again);
  const auto third = headway::parse_progress_record(second, &error);
  FUZZ_CHECK(third.has_value());
  FUZZ_CHECK(headway::to_json(*third) == second);
  return 0;
}
