#pragma once

#include <sys/types.h>

#include <optional>

// Readings of another process from /proc, for the server's cost figures.
namespace headway::load {

// utime + stime of `pid` in seconds; nullopt when the process is gone.
std::optional<double> cpu_seconds(pid_t pid);
// VmRSS of `pid` in KiB; nullopt when the process is gone.
std::optional<long> rss_kib(pid_t pid);
// CPU seconds this process has used (user + system), for the tool's own cost.
double own_cpu_seconds();

// Raises this process's open-file limit to its hard limit, so one tool can
// hold 10,000+ sockets. Returns the soft limit now in force.
long raise_nofile_limit();

}  // namespace headway::load
