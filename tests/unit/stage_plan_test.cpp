#include <gtest/gtest.h>

#include "headway/stage_plan.hpp"

namespace headway {
namespace {

TEST(StagePlanTest, ReferencePlanHasTheFiveDesignStages) {
  const auto plan = StagePlan::reference();
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0].name, "loading");
  EXPECT_DOUBLE_EQ(plan[0].end, 5);
  EXPECT_EQ(plan[2].name, "cpsat_solving");
  EXPECT_DOUBLE_EQ(plan[2].start, 15);
  EXPECT_DOUBLE_EQ(plan[2].end, 75);
  EXPECT_DOUBLE_EQ(plan[4].end, 100);
}

TEST(StagePlanTest, MapsAFractionIntoTheStageRange) {
  const auto plan = StagePlan::reference();
  EXPECT_NEAR(plan.overall_percent(2, 74.0 / 216.0), 15 + 60 * 74.0 / 216.0, 1e-9);
  EXPECT_DOUBLE_EQ(plan.overall_percent(0, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(plan.overall_percent(4, 2.0), 100);  // clamped
  EXPECT_DOUBLE_EQ(plan.overall_percent(1, -1.0), 5);
}

TEST(StagePlanTest, RejectsDuplicateNamesWithAClearMessage) {
  try {
    StagePlan::from_weights({{"a", 50}, {"a", 50}});
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'a' appears twice"), std::string::npos);
  }
}

TEST(StagePlanTest, RejectsWeightsThatDoNotSumTo100) {
  EXPECT_THROW(StagePlan::from_weights({{"a", 50}, {"b", 40}}), std::invalid_argument);
}

TEST(StagePlanTest, RejectsNonPositiveWeightsAndEmptyNames) {
  EXPECT_THROW(StagePlan::from_weights({{"a", 0}, {"b", 100}}), std::invalid_argument);
  EXPECT_THROW(StagePlan::from_weights({{"a", -10}, {"b", 110}}), std::invalid_argument);
  EXPECT_THROW(StagePlan::from_weights({{"", 100}}), std::invalid_argument);
  EXPECT_THROW(StagePlan::from_weights({}), std::invalid_argument);
}

TEST(StagePlanTest, FindsStagesByName) {
  const auto plan = StagePlan::from_weights({{"fetch", 30}, {"build", 70}});
  EXPECT_EQ(plan.index_of("build"), 1u);
  EXPECT_FALSE(plan.index_of("deploy").has_value());
}

}  // namespace
}  // namespace headway
