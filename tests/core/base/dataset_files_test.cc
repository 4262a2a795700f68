#include "core/base/dataset_files.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq {
namespace {

namespace fs = std::filesystem;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

void Touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "text\n";
}

TEST(DatasetFilesTest, BuiltinLayout) {
  const fs::path root = testing::MakeTempDir();
  Touch(root / "wikitext-2-raw" / "wiki.train.raw");
  Touch(root / "wikitext-2-raw" / "wiki.test.raw");
  const auto files = LocateDataset("wikitext2", root.string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(fs::path(files->test), root / "wikitext-2-raw" / "wiki.test.raw");
  EXPECT_FALSE(files->custom);
}

TEST(DatasetFilesTest, MissingFileNamesThePathAndHowToGetIt) {
  const fs::path root = testing::MakeTempDir();
  EXPECT_THAT(LocateDataset("ptb", root.string()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr((root / "ptb" / "ptb.train.txt").string()),
                             HasSubstr("simple-examples"), HasSubstr("BINQ_DATA_DIR"))));
  EXPECT_THAT(LocateDataset("c4", root.string()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("c4-train.00000-of-01024.json.gz")));
}

TEST(DatasetFilesTest, CustomTextFile) {
  const fs::path root = testing::MakeTempDir();
  Touch(root / "corpus.txt");
  const auto files = LocateDataset((root / "corpus.txt").string(), "/unused");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->custom);
  EXPECT_EQ(files->train, files->test);
  EXPECT_THAT(LocateDataset((root / "nope.txt").string(), "/unused").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.txt")));
}

}  // namespace
}  // namespace binq
