#include "server/streams/rendered_update.hpp"

#include "core/progress_record.hpp"
#include "store/record_update.hpp"

namespace headway::server {

namespace {

// SSE data lines cannot hold a line break; a record written with line breaks
// by some outside writer goes out as one data line per line.
void append_sse_data(std::string& out, std::string_view json) {
  for (;;) {
    const auto end = json.find('\n');
    out += "data: ";
    out += json.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos)
      break;
    json.remove_prefix(end + 1);
  }
  out += '\n';
}

}  // namespace

Update make_update(std::int64_t seq, JobStatus status, std::string json) {
  auto rendered = std::make_shared<RenderedUpdate>();
  const std::string id = std::to_string(seq);
  rendered->sse.reserve(json.size() + id.size() + 32);
  rendered->sse += "id: ";
  rendered->sse += id;
  rendered->sse += "\nevent: progress\n";
  append_sse_data(rendered->sse, json);
  rendered->ws.reserve(json.size() + id.size() + 32);
  rendered->ws += "{\"event\":\"progress\",\"id\":";
  rendered->ws += id;
  rendered->ws += ",\"data\":";
  rendered->ws += json;
  rendered->ws += '}';
  rendered->json = std::move(json);
  return Update{seq, status, std::move(rendered)};
}

std::optional<Update> parse_update(std::string_view json, std::string_view job_id,
                                   RecordVerdict& verdict) {
  RecordKey key;
  verdict = check_record_key(json, job_id, key);
  if (verdict != RecordVerdict::valid)
    return std::nullopt;
  return make_update(key.seq, key.status, std::string(json));
}

Update synthesize_update(const store::Job& job) {
  const ProgressRecord record = store::to_progress_record(job);
  return make_update(record.seq, record.status, to_json(record));
}

}  // namespace headway::server
