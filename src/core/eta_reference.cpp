#include "eta_reference.hpp"

#include <algorithm>

namespace headway::eta {

void ReferenceWindowEstimator::observe(double elapsed, double overall_percent, std::string_view) {
  ring_[next_] = {elapsed, overall_percent};
  next_ = (next_ + 1) % kWindow;
  count_ = std::min(count_ + 1, kWindow);
}

std::optional<double> ReferenceWindowEstimator::estimate(double) const {
  if (count_ == 0)
    return std::nullopt;
  const Point& last = ring_[(next_ + kWindow - 1) % kWindow];
  if (count_ >= 2) {
    const Point& first = ring_[count_ < kWindow ? 0 : next_];
    if (last.t > first.t && last.p > first.p) {
      const double rate = (last.p - first.p) / (last.t - first.t);
      return std::max(0.0, (100.0 - last.p) / rate);
    }
  }
  if (last.p > 0 && last.t > 0)
    return std::max(0.0, last.t * (100.0 - last.p) / last.p);
  return std::nullopt;
}

}  // namespace headway::eta
