#pragma once

#include <array>
#include <cstddef>

#include "headway/eta.hpp"

namespace headway::eta {

// The reference design's estimator: the rate over a window of the last 10
// (time, progress) reports; when the window shows no progress, the elapsed
// time scaled by the remaining fraction (t * (100 - p) / p).
class ReferenceWindowEstimator final : public EtaEstimator {
 public:
  static constexpr std::size_t kWindow = 10;

  void observe(double elapsed, double overall_percent, std::string_view stage) override;
  std::optional<double> estimate(double now_elapsed) const override;
  std::string_view name() const override { return "reference"; }

 private:
  struct Point {
    double t;
    double p;
  };
  std::array<Point, kWindow> ring_{};
  std::size_t count_ = 0;  // reports observed, saturating at kWindow for the ring
  std::size_t next_ = 0;   // ring slot the next report goes to
};

}  // namespace headway::eta
