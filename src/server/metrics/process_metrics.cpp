#include "server/metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace headway::server {
namespace {

template <typename Builder>
auto& add(Builder builder, prometheus::Registry& registry, const char* name, const char* help) {
  return builder.Name(name).Help(help).Register(registry).Add({});
}

// The fields of /proc/self/stat after the command name, which may itself
// hold spaces and parentheses: field 3 (state) is the first element.
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos)
    return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string field; rest >> field;)
    fields.push_back(field);
  return fields;
}

// Boot time in Unix seconds (the "btime" line of /proc/stat); 0 if unknown.
double boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("btime "))
      return std::stod(line.substr(6));
  }
  return 0;
}

}  // namespace

ProcessMetrics::ProcessMetrics(prometheus::Registry& registry)
    : cpu_seconds_(&add(prometheus::BuildCounter(), registry, "process_cpu_seconds_total",
                        "Total user and system CPU time spent in seconds")),
      resident_bytes_(&add(prometheus::BuildGauge(), registry, "process_resident_memory_bytes",
                           "Resident memory size in bytes")),
      virtual_bytes_(&add(prometheus::BuildGauge(), registry, "process_virtual_memory_bytes",
                          "Virtual memory size in bytes")),
      open_fds_(&add(prometheus::BuildGauge(), registry, "process_open_fds",
                     "Number of open file descriptors")),
      max_fds_(&add(prometheus::BuildGauge(), registry, "process_max_fds",
                    "Maximum number of open file descriptors")),
      start_time_(&add(prometheus::BuildGauge(), registry, "process_start_time_seconds",
                       "Start time of the process since the Unix epoch in seconds")) {
  refresh();
}

void ProcessMetrics::refresh() {
  std::lock_guard lock(mutex_);
  // Fields are numbered as in proc(5); fields[0] is field 3.
  const auto fields = stat_fields();
  const auto field = [&fields](std::size_t number) { return std::stod(fields.at(number - 3)); };
  if (fields.size() >= 22) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double cpu = (field(14) + field(15)) / ticks;
    if (cpu > cpu_seen_) {
      cpu_seconds_->Increment(cpu - cpu_seen_);
      cpu_seen_ = cpu;
    }
    virtual_bytes_->Set(field(23));
    resident_bytes_->Set(field(24) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    if (start_time_->Value() == 0) {
      if (const double boot = boot_time(); boot > 0)
        start_time_->Set(boot + field(22) / ticks);
    }
  }
  std::error_code ec;
  double open = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++open;
  if (!ec)
    open_fds_->Set(open - 1);  // less the descriptor the listing itself opened
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    max_fds_->Set(static_cast<double>(limit.rlim_cur));
}

}  // namespace headway::server
