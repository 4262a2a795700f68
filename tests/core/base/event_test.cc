#include "core/base/event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace binq {
namespace {

TEST(EventTest, EveryTypeRoundTripsThroughJson) {
  LayerEvent layer;
  layer.block = 3;
  layer.num_blocks = 12;
  layer.name = "self_attn.q_proj";
  layer.rows = 768;
  layer.cols = 768;
  layer.relative_error = 0.125;
  SummaryEvent summary;
  summary.perplexity = {{"wikitext2", 42.5}};
  const std::vector<EventBody> bodies = {
      StageEvent{Stage::kCalibrating, "sampling"}, ProgressEvent{Stage::kLoading, "blocks", 1, 2},
      layer, BlockEvent{3, 12, 1.5, 6.0, 12.0, 1 << 20}, EvalProgressEvent{"ptb", 4, 10},
      PerplexityEvent{"ptb", 31.25, 10, 20480}, ArtifactEvent{"model", "/out/model", 123},
      WarningEvent{"retried damping"}, summary};
  for (const EventBody& body : bodies) {
    Event event{body, 1700000000.5};
    const nlohmann::json j = EventToJson(event);
    const auto back = EventFromJson(j);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(EventToJson(*back), j);
    EXPECT_EQ(back->body.index(), body.index());
  }
  const nlohmann::json j = EventToJson(Event{layer, 0});
  EXPECT_EQ(j["type"], "layer");
  EXPECT_EQ(j["name"], "self_attn.q_proj");
}

TEST(EventTest, BadJsonNamesTheProblem) {
  EXPECT_FALSE(EventFromJson(nlohmann::json{{"x", 1}}).ok());
  auto unknown = EventFromJson(nlohmann::json{{"type", "teleport"}});
  EXPECT_THAT(std::string(unknown.status().message()), ::testing::HasSubstr("teleport"));
  auto wrong = EventFromJson(nlohmann::json{{"type", "layer"}, {"rows", "many"}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EventTest, TeeDeliversToEverySinkInOrder) {
  RecordingSink a, b;
  TeeSink tee({&a, &b});
  tee.Emit(StageEvent{Stage::kLoading, "x"});
  tee.Emit(WarningEvent{"y"});
  ASSERT_EQ(a.events().size(), 2u);
  ASSERT_EQ(b.events().size(), 2u);
  EXPECT_STREQ(EventType(b.events()[1]), "warning");
  EXPECT_GT(a.events()[0].time, 1e9);  // stamped
}

}  // namespace
}  // namespace binq
