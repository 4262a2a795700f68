#include "core/io/posix_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::core::testing::ReadFileBytes;
using ::binq::core::testing::WriteFileBytes;
using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

class PosixFileTest : public testing::TempDirTest {};

TEST_F(PosixFileTest, MakeDirsCreatesParents) {
  EXPECT_THAT(MakeDirs(Path("a/b/c")), IsOk());
  EXPECT_TRUE(std::filesystem::is_directory(Path("a/b/c")));
  EXPECT_THAT(MakeDirs(Path("a/b/c")), IsOk());  // already there
  EXPECT_THAT(MakeDirs(Path("a/b/c/")), IsOk());
  WriteFileBytes(Path("file"), "x");
  EXPECT_THAT(MakeDirs(Path("file/sub")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("file/sub")));
  EXPECT_THAT(MakeDirs(Path("file")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not a folder")));
}

TEST_F(PosixFileTest, RemoveTreeDoesNotFollowLinks) {
  ASSERT_THAT(MakeDirs(Path("tree/sub/deeper")), IsOk());
  ASSERT_THAT(MakeDirs(Path("outside")), IsOk());
  WriteFileBytes(Path("outside/keep"), "kept");
  WriteFileBytes(Path("tree/sub/f"), "f");
  WriteFileBytes(Path("tree/sub/deeper/g"), "g");
  std::filesystem::create_directory_symlink(Path("outside"), Path("tree/link"));
  EXPECT_THAT(RemoveTree(Path("tree")), IsOk());
  EXPECT_FALSE(std::filesystem::exists(Path("tree")));
  EXPECT_EQ(ReadFileBytes(Path("outside/keep")), "kept");
  EXPECT_THAT(RemoveTree(Path("tree")), IsOk());          // already gone
  EXPECT_THAT(RemoveTree(Path("outside/keep")), IsOk());  // a plain file
  EXPECT_FALSE(std::filesystem::exists(Path("outside/keep")));
}

TEST_F(PosixFileTest, MappedFile) {
  WriteFileBytes(Path("f"), "hello");
  auto file = MappedFile::Open(Path("f"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*file)->data()),
                        (*file)->size()),
            "hello");
  WriteFileBytes(Path("empty"), "");
  file = MappedFile::Open(Path("empty"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->size(), 0u);
  EXPECT_THAT(MappedFile::Open(Path("none")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(Path("none"))));
  EXPECT_THAT(MappedFile::Open(dir_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a regular file")));
}

TEST(ParentDirTest, Cases) {
  EXPECT_EQ(ParentDir("a/b"), "a");
  EXPECT_EQ(ParentDir("b"), ".");
  EXPECT_EQ(ParentDir("/b"), "/");
  EXPECT_EQ(ParentDir("/a/b/c"), "/a/b");
}

}  // namespace
}  // namespace binq::core
