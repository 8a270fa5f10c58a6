#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/progress_record.hpp"
#include "core/uuid.hpp"

namespace headway {
namespace {

TEST(ProgressRecordTest, SerializesEveryFieldOfTheSchema) {
  ProgressRecord record;
  record.job_id = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
  record.stage = "cpsat_solving";
  record.stage_progress = 34.26;
  record.overall_progress = 35.56;
  record.status = JobStatus::running;
  record.eta_seconds = 42.5;
  record.started_at = 1764355325.25;
  record.last_updated = 1764355330.5;
  record.seq = 7;
  record.attempt = 2;
  record.stages = StagePlan::reference().stages();
  record.metadata_json = R"({"completed_items":74,"total_items":216})";

  const auto value = boost::json::parse(to_json(record)).as_object();
  EXPECT_EQ(value.at("job_id").as_string(), record.job_id);
  EXPECT_EQ(value.at("stage").as_string(), "cpsat_solving");
  EXPECT_DOUBLE_EQ(value.at("stage_progress").to_number<double>(), 34.26);
  EXPECT_DOUBLE_EQ(value.at("overall_progress").to_number<double>(), 35.56);
  EXPECT_EQ(value.at("status").as_string(), "running");
  EXPECT_DOUBLE_EQ(value.at("eta_seconds").to_number<double>(), 42.5);
  EXPECT_DOUBLE_EQ(value.at("started_at").to_number<double>(), 1764355325.25);
  EXPECT_DOUBLE_EQ(value.at("last_updated").to_number<double>(), 1764355330.5);
  EXPECT_EQ(value.at("seq").as_int64(), 7);
  EXPECT_EQ(value.at("attempt").as_int64(), 2);
  EXPECT_EQ(value.at("stages").as_array().size(), 5u);
  EXPECT_EQ(value.at("metadata").at("total_items").as_int64(), 216);
}

TEST(ProgressRecordTest, WritesNumbersPlainlyAndUnknownEtaAsNull) {
  ProgressRecord record;
  record.job_id = "x";
  record.overall_progress = 100;
  record.stage_progress = 0.1;
  const std::string json = to_json(record);
  EXPECT_NE(json.find("\"overall_progress\":100,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"stage_progress\":0.1,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"eta_seconds\":null"), std::string::npos) << json;
}

TEST(ProgressRecordTest, CarriesTheEtaRangeAndNullWhenUnknown) {
  ProgressRecord record;
  record.job_id = "x";
  record.eta_seconds = 120;
  EXPECT_NE(
      to_json(record).find(R"("eta_seconds":120,"eta_low_seconds":null,"eta_high_seconds":null,)"),
      std::string::npos)
      << to_json(record);
  record.eta_low_seconds = 90;
  record.eta_high_seconds = 300.5;
  const auto value = boost::json::parse(to_json(record)).as_object();
  EXPECT_DOUBLE_EQ(value.at("eta_low_seconds").to_number<double>(), 90);
  EXPECT_DOUBLE_EQ(value.at("eta_high_seconds").to_number<double>(), 300.5);
  record.seq = 1;
  auto parsed = parse_progress_record(to_json(record));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->eta_low_seconds, 90);
  EXPECT_EQ(parsed->eta_high_seconds, 300.5);
  // Half a range is no range.
  auto half = parse_progress_record(
      R"({"job_id":"x","status":"running","seq":1,"eta_low_seconds":5,"eta_high_seconds":null})");
  ASSERT_TRUE(half);
  EXPECT_FALSE(half->eta_low_seconds.has_value());
  EXPECT_FALSE(half->eta_high_seconds.has_value());
}

TEST(ProgressRecordTest, RoundTripsThroughTheParser) {
  ProgressRecord record;
  record.job_id = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
  record.stage = "loading \"quoted\"";
  record.status = JobStatus::failed;
  record.seq = 3;
  record.metadata_json = R"({"error":"disk full"})";
  std::string error;
  auto parsed = parse_progress_record(to_json(record), &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->stage, record.stage);
  EXPECT_EQ(parsed->status, JobStatus::failed);
  EXPECT_EQ(parsed->seq, 3);
  EXPECT_FALSE(parsed->eta_seconds.has_value());
  EXPECT_EQ(parsed->metadata_json, record.metadata_json);
}

TEST(ProgressRecordTest, ParserRejectsMalformedRecordsWithAReason) {
  std::string error;
  EXPECT_FALSE(parse_progress_record("{not json", &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos);
  EXPECT_FALSE(parse_progress_record("[1,2]", &error));
  EXPECT_FALSE(parse_progress_record(R"({"job_id":"a","status":"running"})", &error));
  EXPECT_NE(error.find("seq"), std::string::npos);
  EXPECT_FALSE(parse_progress_record(R"({"job_id":"a","status":"exploded","seq":1})", &error));
  EXPECT_NE(error.find("exploded"), std::string::npos);
  EXPECT_FALSE(parse_progress_record(R"({"job_id":1,"status":"running","seq":1})", &error));
}

TEST(ProgressRecordTest, KeyParserAcceptsExactlyWhatTheFullParserAccepts) {
  ProgressRecord record;
  record.job_id = "6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77";
  record.status = JobStatus::completed;
  record.seq = 41;
  record.stages = {{"a", 0, 50}, {"b", 50, 100}};
  auto key = parse_record_key(to_json(record));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->seq, 41);
  EXPECT_EQ(key->status, JobStatus::completed);

  // Larger than the parser's stack memory: still parsed.
  record.metadata_json = "{\"log\":\"" + std::string(20000, 'x') + "\"}";
  EXPECT_TRUE(parse_record_key(to_json(record)));

  for (const char* text : {"{not json", "[1,2]", R"({"job_id":"a","status":"running"})",
                           R"({"job_id":"a","status":"exploded","seq":1})",
                           R"({"job_id":1,"status":"running","seq":1})",
                           R"({"job_id":"a","status":"running","seq":-1})",
                           R"({"job_id":"a","status":"running","seq":1})"}) {
    EXPECT_EQ(parse_record_key(text).has_value(), parse_progress_record(text).has_value()) << text;
  }
}

// Found by progress_record_fuzzer: a stored record whose metadata held 1e400
// was written back with "Infinity", which is not JSON, so no reader could
// parse the job's record any more.
TEST(ProgressRecordTest, NonFiniteMetadataNumbersBecomeNull) {
  const auto record = parse_progress_record(
      R"({"job_id":"x","status":"running","seq":1,"metadata":{"a":1e400,"b":[-1e400,2.5]}})");
  ASSERT_TRUE(record);
  const std::string json = to_json(*record);
  boost::system::error_code ec;
  const auto value = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  EXPECT_EQ(boost::json::serialize(value.at("metadata")), R"({"a":null,"b":[null,2.5E0]})");
  EXPECT_TRUE(parse_progress_record(json)) << json;
}

std::string record_with_seq(const std::string& seq) {
  return R"({"job_id":"a","status":"running","seq":)" + seq + "}";
}

// A seq outside 0..2^53-1 once froze a job: writers in languages whose
// numbers are doubles (the Lua write script among them) cannot count past it.
TEST(ProgressRecordTest, SeqMustBeAnIntegerFromZeroToTwoToThe53MinusOne) {
  for (const char* accepted : {"0", "1", "9007199254740991", "5.0", "9007199254740991.0"}) {
    auto record = parse_progress_record(record_with_seq(accepted));
    EXPECT_TRUE(record) << accepted;
    EXPECT_TRUE(parse_record_key(record_with_seq(accepted))) << accepted;
  }
  EXPECT_EQ(parse_progress_record(record_with_seq("9007199254740991"))->seq, 9007199254740991);
  for (const char* refused :
       {"9007199254740992", "9223372036854775807", "18446744073709551615", "1e300", "1e16", "-1",
        "-9007199254740991", "1.5", "\"abc\"", "\"7\"", "null", "true", "[]", "{}"}) {
    std::string error;
    EXPECT_FALSE(parse_progress_record(record_with_seq(refused), &error)) << refused;
    EXPECT_NE(error.find("seq"), std::string::npos) << refused << ": " << error;
    EXPECT_FALSE(parse_record_key(record_with_seq(refused))) << refused;
  }
}

TEST(ProgressRecordTest, AnAttemptOutsideTheSafeIntegerRangeTakesItsDefault) {
  auto record = parse_progress_record(
      R"({"job_id":"a","status":"running","seq":1,"attempt":9223372036854775807})");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->attempt, 1);
}

TEST(ProgressRecordTest, AKeyCheckTellsAnotherJobsRecordFromAnInvalidOne) {
  RecordKey key;
  EXPECT_EQ(check_record_key(R"({"job_id":"a","status":"running","seq":4})", "a", key),
            RecordVerdict::valid);
  EXPECT_EQ(key.seq, 4);
  EXPECT_EQ(key.status, JobStatus::running);
  EXPECT_EQ(check_record_key(R"({"job_id":"b","status":"running","seq":5})", "a", key),
            RecordVerdict::other_job);
  EXPECT_EQ(key.seq, 4) << "the key is left alone unless the record is valid";
  EXPECT_EQ(check_record_key(R"({"job_id":"a","status":"done","seq":1})", "a", key),
            RecordVerdict::invalid);
  EXPECT_EQ(check_record_key("{garbage", "a", key), RecordVerdict::invalid);
  EXPECT_EQ(check_record_key(record_with_seq("1e300"), "a", key), RecordVerdict::invalid);
}

TEST(ProgressRecordTest, ClampsAndRoundsPercentages) {
  EXPECT_DOUBLE_EQ(clamp_percent(-3), 0);
  EXPECT_DOUBLE_EQ(clamp_percent(101), 100);
  EXPECT_DOUBLE_EQ(clamp_percent(std::nan("")), 0);
  EXPECT_DOUBLE_EQ(clamp_percent(35.555555), 35.56);
  EXPECT_DOUBLE_EQ(clamp_percent(12.344), 12.34);
}

TEST(UuidTest, RecognisesTheCanonicalFormOnly) {
  EXPECT_TRUE(is_uuid("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77"));
  EXPECT_TRUE(is_uuid("6F1C1C0E-8D1F-4C43-9F0A-3B8E2F1D9A77"));
  EXPECT_FALSE(is_uuid("6f1c1c0e8d1f4c439f0a3b8e2f1d9a77"));
  EXPECT_FALSE(is_uuid("6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a7g"));
  EXPECT_FALSE(is_uuid("../../etc/passwd"));
  EXPECT_FALSE(is_uuid(""));
}

TEST(UuidTest, MakesDistinctVersion4Uuids) {
  const auto a = make_uuid();
  const auto b = make_uuid();
  EXPECT_TRUE(is_uuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
}

}  // namespace
}  // namespace headway
