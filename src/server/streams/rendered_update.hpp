#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/job_status.hpp"
#include "core/progress_record.hpp"
#include "store/job_store.hpp"

namespace headway::server {

// A record's `progress` event as each transport frames it. Every stream of a
// job sends the same bytes, so they are rendered once per record rather than
// once per stream.
struct RenderedUpdate {
  std::string json;  // the record exactly as sent to clients
  std::string sse;   // "id: <seq>\nevent: progress\ndata: <json>\n\n"
  std::string ws;    // {"event":"progress","id":<seq>,"data":<json>}
};

// One progress record on its way to streams: parsed once, shared (immutable)
// by every stream that sends it.
struct Update {
  std::int64_t seq = 0;
  JobStatus status = JobStatus::running;
  std::shared_ptr<const RenderedUpdate> rendered;

  const std::string& json() const { return rendered->json; }
  bool terminal() const { return is_terminal(status); }
};

// An update for a record already known to be valid.
Update make_update(std::int64_t seq, JobStatus status, std::string json);

// Parses a record that Redis holds for `job_id` (under its key or on its
// channel); nullopt when it is no valid record of that job, with `verdict`
// saying why (so the caller can count it).
std::optional<Update> parse_update(std::string_view json, std::string_view job_id,
                                   RecordVerdict& verdict);

// A record synthesized from a job-table row (docs/server.md, "Inside": the
// fallback while Redis is down or the key is missing): status, stage and progress from
// the row, seq = the row's last_seq, an empty stage plan.
Update synthesize_update(const store::Job& job);

}  // namespace headway::server
