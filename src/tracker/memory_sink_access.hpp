#pragma once

#include <memory>

#include "core/record_sink.hpp"
#include "headway/memory_sink.hpp"

namespace headway::detail {

struct MemorySinkAccess {
  // The RecordSink a Tracker built on `sink` writes to; it shares the sink's
  // state, so either may outlive the other.
  static std::unique_ptr<RecordSink> record_sink(const MemorySink& sink);
};

}  // namespace headway::detail
