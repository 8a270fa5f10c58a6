#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job_status.hpp"
#include "headway/stage_plan.hpp"

namespace headway {

// The largest seq a record may carry: 2^53 - 1, the largest integer every
// JSON reader can hold exactly (JavaScript, and Redis's Lua, count in doubles).
inline constexpr std::int64_t kMaxSeq = (std::int64_t{1} << 53) - 1;

// The progress record of docs/protocol.md section 1, as written to Redis and sent to clients.
struct ProgressRecord {
  std::string job_id;
  std::string stage;
  double stage_progress = 0;
  double overall_progress = 0;
  JobStatus status = JobStatus::initializing;
  std::optional<double> eta_seconds;
  // An 80 % interval for the seconds remaining (docs/eta.md); both set or
  // both unset.
  std::optional<double> eta_low_seconds;
  std::optional<double> eta_high_seconds;
  double started_at = 0;
  double last_updated = 0;
  std::int64_t seq = 0;
  std::int64_t attempt = 1;
  std::vector<Stage> stages;
  // A JSON object, kept as text so it reaches clients exactly as written.
  std::string metadata_json = "{}";
};

// Clamps to [0,100] (NaN becomes 0) and rounds to two decimals.
double clamp_percent(double value);
double round2(double value);

// Serializes the record as one JSON object with the fields in schema order.
std::string to_json(const ProgressRecord& record);

// Parses a record; on failure returns nullopt and, if `error` is set, why.
// Unknown fields are ignored; missing optional fields take their defaults;
// job_id, status and seq are required, seq an integer from 0 to kMaxSeq
// (5 and 5.0 alike). An attempt that is no integer in that range counts as
// missing (1).
std::optional<ProgressRecord> parse_progress_record(std::string_view json,
                                                    std::string* error = nullptr);

// What identifies a record's place in its job's history.
struct RecordKey {
  std::int64_t seq = 0;
  JobStatus status = JobStatus::initializing;
};
// Whether `json` is a valid record (the same test as parse_progress_record)
// and its seq and status, without building the record: for relays that pass
// the text on unchanged.
std::optional<RecordKey> parse_record_key(std::string_view json);

// What a relay makes of a record that arrived for one job (under its key or on
// its channel).
enum class RecordVerdict {
  valid,      // a record of that job
  invalid,    // not a record (parse_record_key refuses it)
  other_job,  // a valid record whose job_id names another job
};
// Checks `json` as a record of `job_id`; sets `key` only when it is valid.
RecordVerdict check_record_key(std::string_view json, std::string_view job_id, RecordKey& key);

// Appends `value` as a JSON number: the shortest text that reads back exactly.
// (Boost.JSON 1.81 prints doubles in exponent form, e.g. 5E1, which is valid
// but unfriendly to people reading records in redis-cli.)
void append_json_number(std::string& out, double value);
// Appends `text` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace headway
