#include "core/base/model_locator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/hf_folder_layout.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq {
namespace {

namespace fs = std::filesystem;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Touch(const fs::path& p, const std::string& text = "{}") {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(ModelLocatorTest, LocalDirectoryWithConfig) {
  const fs::path dir = testing::MakeTempDir();
  Touch(dir / "m" / "config.json");
  const auto loc = LocateModel((dir / "m").string(), "/nonexistent");
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->source, "local");
  Touch(dir / "empty" / "weights.bin");
  EXPECT_THAT(LocateModel((dir / "empty").string(), "/nonexistent").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("has no config.json")));
}

TEST(ModelLocatorTest, CheckModelFilesNamesWhatIsMissing) {
  const fs::path dir = testing::MakeTempDir();
  const ModelLocation loc{dir.string(), "local", ""};
  Touch(dir / "config.json");
  EXPECT_THAT(CheckModelFiles(loc), StatusIs(absl::StatusCode::kNotFound,
                                             AllOf(HasSubstr(dir.string()), HasSubstr("has no weights"))));
  for (const char* weights : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                              "pytorch_model.bin.index.json"}) {
    const fs::path other = dir / weights;  // each of the four is enough
    Touch(other);
    EXPECT_THAT(CheckModelFiles(loc), StatusIs(absl::StatusCode::kNotFound,
                                               HasSubstr("has no tokenizer files (tokenizer.model, "
                                                         "tokenizer.json, or vocab.json + merges.txt")))
        << weights;
    fs::remove(other);
  }
  Touch(dir / "pytorch_model.bin");
  Touch(dir / "vocab.json");
  EXPECT_THAT(CheckModelFiles(loc),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("has no merges.txt beside its vocab.json")));
  fs::remove(dir / "vocab.json");
  Touch(dir / "merges.txt");
  EXPECT_THAT(CheckModelFiles(loc),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("has no vocab.json beside its merges.txt")));
  Touch(dir / "vocab.json");
  EXPECT_TRUE(CheckModelFiles(loc).ok());
}

// Each complete tokenizer set of the folder-layout table passes on its own:
// a LLaMA-2 folder (tokenizer.model, no vocab.json), LLaMA-3 (tokenizer.json
// only), GPT-2/OPT (vocab.json + merges.txt).
TEST(ModelLocatorTest, AnyTokenizerSetOfTheLayoutTablePasses) {
  for (const HfTokenizerFileSet& set : kHfTokenizerFileSets) {
    const fs::path dir = testing::MakeTempDir();
    const ModelLocation loc{dir.string(), "local", ""};
    Touch(dir / "config.json");
    Touch(dir / "model.safetensors");
    for (const char* file : set.files) {
      if (file != nullptr) Touch(dir / file);
    }
    EXPECT_TRUE(CheckModelFiles(loc).ok()) << set.name << ": " << CheckModelFiles(loc);
    EXPECT_THAT(PresentTokenizerFileSets(dir.string()), ElementsAre(std::string(set.name)));
  }
}

TEST(HfFolderLayoutTest, WriterCopiesEveryTokenizerFile) {
  for (const HfTokenizerFileSet& set : kHfTokenizerFileSets) {
    for (const char* file : set.files) {
      if (file == nullptr) continue;
      EXPECT_NE(std::find_if(std::begin(kHfSideFiles), std::end(kHfSideFiles),
                             [&](const char* side) { return std::string(side) == file; }),
                std::end(kHfSideFiles))
          << file;
    }
  }
}

TEST(ModelLocatorTest, HubIdResolvesThroughRefsMain) {
  const fs::path cache = testing::MakeTempDir();
  const fs::path repo = cache / "models--facebook--opt-125m";
  Touch(repo / "refs" / "main", "abc123\n");
  Touch(repo / "snapshots" / "abc123" / "config.json");
  Touch(repo / "snapshots" / "old999" / "config.json");
  const auto loc = LocateModel("facebook/opt-125m", cache.string());
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->source, "hub-cache");
  EXPECT_EQ(loc->revision, "abc123");
  EXPECT_EQ(fs::path(loc->dir), repo / "snapshots" / "abc123");
  const auto pinned = LocateModel("facebook/opt-125m@old999", cache.string());
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->revision, "old999");
}

TEST(ModelLocatorTest, LoneSnapshotWithoutRefs) {
  const fs::path cache = testing::MakeTempDir();
  Touch(cache / "models--org--tiny" / "snapshots" / "r1" / "config.json");
  const auto loc = LocateModel("org/tiny", cache.string());
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->revision, "r1");
}

TEST(ModelLocatorTest, MissingModelSaysWhereItLooked) {
  const fs::path cache = testing::MakeTempDir();
  EXPECT_THAT(LocateModel("facebook/opt-13b", cache.string()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("facebook/opt-13b"),
                             HasSubstr((cache / "models--facebook--opt-13b").string()),
                             HasSubstr("HF_HUB_CACHE"))));
  EXPECT_THAT(LocateModel("./no/such/dir", cache.string()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no directory")));
  EXPECT_THAT(LocateModel("", cache.string()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(ModelLocatorTest, HubCacheDirFollowsTheEnvironment) {
  setenv("HF_HUB_CACHE", "/x/hub", 1);
  EXPECT_EQ(DefaultHubCacheDir(), "/x/hub");
  unsetenv("HF_HUB_CACHE");
  setenv("HF_HOME", "/y", 1);
  EXPECT_EQ(DefaultHubCacheDir(), "/y/hub");
  unsetenv("HF_HOME");
  setenv("HOME", "/users/u", 1);
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HUGGINGFACE_HUB_CACHE");
  EXPECT_EQ(DefaultHubCacheDir(), "/users/u/.cache/huggingface/hub");
}

}  // namespace
}  // namespace binq
