#include "core/io/checkpoint_writer.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using Json = nlohmann::json;

constexpr char kSingleFile[] = "model.safetensors";
constexpr char kIndexFile[] = "model.safetensors.index.json";

bool MultiplyChecked(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// `dir` without trailing slashes (but "/" stays "/").
std::string TrimSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// Writes `contents` to a new file at `path` and fsyncs it.
absl::Status WriteWholeFile(const std::string& path,
                            absl::string_view contents) {
  ScopedFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus(errno, path, "cannot create");
  int err = WriteAll(fd.get(), contents.data(), contents.size());
  if (err != 0) return ErrnoStatus(err, path, "cannot write");
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, path, "cannot fsync");
  if ((err = fd.Close()) != 0) return ErrnoStatus(err, path, "cannot close");
  return absl::OkStatus();
}

// Copies the regular file `from` (following links) to `to`, fsynced.
absl::Status CopyFile(const std::string& from, const std::string& to) {
  ScopedFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return ErrnoStatus(errno, from, "cannot open");
  ScopedFd out(
      ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) return ErrnoStatus(errno, to, "cannot create");
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, from, "cannot read");
    }
    if (n == 0) break;
    const int err = WriteAll(out.get(), buffer, static_cast<size_t>(n));
    if (err != 0) return ErrnoStatus(err, to, "cannot write");
  }
  if (::fsync(out.get()) != 0) return ErrnoStatus(errno, to, "cannot fsync");
  if (const int err = out.Close(); err != 0) {
    return ErrnoStatus(err, to, "cannot close");
  }
  return absl::OkStatus();
}

// Best effort: used where there is no caller left to tell (a destructor, or
// after the new model is already in place).
void RemoveTreeQuietly(const std::string& path) { (void)RemoveTree(path); }

}  // namespace

absl::StatusOr<std::unique_ptr<CheckpointWriter>> CheckpointWriter::Create(
    const std::string& dir, std::vector<CheckpointTensorSpec> tensors,
    CheckpointWriterOptions options) {
  if (options.max_shard_bytes == 0) {
    return absl::InvalidArgumentError("max_shard_bytes must be positive");
  }
  if (dir.empty()) {
    return absl::InvalidArgumentError("empty checkpoint folder path");
  }
  std::unique_ptr<CheckpointWriter> writer(
      new CheckpointWriter(TrimSlashes(dir), std::move(options)));
  BINQ_RETURN_IF_ERROR(writer->Plan(std::move(tensors)));
  BINQ_RETURN_IF_ERROR(writer->MakeTempDir());
  BINQ_RETURN_IF_ERROR(writer->CopySideFiles());
  return writer;
}

CheckpointWriter::~CheckpointWriter() {
  if (!committed_ && !temp_dir_.empty()) {
    for (Shard& shard : shards_) shard.fd.Close();
    RemoveTreeQuietly(temp_dir_);
  }
}

absl::Status CheckpointWriter::Plan(std::vector<CheckpointTensorSpec> tensors) {
  // Validate, and fill shards greedily in declaration order.
  std::vector<std::vector<SafetensorsHeaderEntry>> layouts;
  uint64_t shard_bytes = 0;
  for (CheckpointTensorSpec& spec : tensors) {
    const std::string& name = spec.name;
    if (name.empty() || name == "__metadata__") {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor name '", name, "' is empty or reserved"));
    }
    if (tensors_.count(name) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' declared twice"));
    }
    uint64_t numel = 1;
    for (const int64_t d : spec.shape) {
      if (d < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor '", name, "': shape ", ShapeString(spec.shape),
                         " has a negative dimension"));
      }
      if (!MultiplyChecked(numel, static_cast<uint64_t>(d), &numel)) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor '", name, "': shape ", ShapeString(spec.shape),
                         " is too large"));
      }
    }
    uint64_t nbytes;
    if (!MultiplyChecked(numel, DTypeSize(spec.dtype), &nbytes) ||
        nbytes > std::numeric_limits<uint64_t>::max() - total_bytes_) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': shape ", ShapeString(spec.shape),
                       " is too large"));
    }
    if (layouts.empty() ||
        (!layouts.back().empty() &&
         nbytes > options_.max_shard_bytes -
                      std::min(shard_bytes, options_.max_shard_bytes))) {
      layouts.emplace_back();
      shard_bytes = 0;
    }
    shard_bytes += nbytes;
    total_bytes_ += nbytes;
    Planned& p = tensors_[name];
    p.shard = layouts.size() - 1;
    p.dtype = spec.dtype;
    p.shape = spec.shape;
    p.nbytes = nbytes;
    declared_order_.push_back(name);
    layouts.back().push_back({name, spec.dtype, std::move(spec.shape), nbytes});
  }
  if (layouts.empty()) layouts.emplace_back();  // no tensors: one empty file
  if (layouts.size() > 99999) {
    return absl::InvalidArgumentError(
        absl::StrCat(layouts.size(), " shards: raise max_shard_bytes"));
  }

  std::map<std::string, std::string> metadata = options_.metadata;
  metadata["format"] = "pt";
  const size_t n = layouts.size();
  for (size_t s = 0; s < n; ++s) {
    std::vector<SafetensorsHeaderEntry>& layout = layouts[s];
    // Largest elements first keeps every offset a multiple of its element
    // size (the header is padded to 8), as the safetensors library does.
    std::sort(
        layout.begin(), layout.end(),
        [](const SafetensorsHeaderEntry& a, const SafetensorsHeaderEntry& b) {
          const size_t sa = DTypeSize(a.dtype), sb = DTypeSize(b.dtype);
          return sa != sb ? sa > sb : a.name < b.name;
        });
    Shard shard;
    shard.file =
        n == 1 ? kSingleFile
               : absl::StrFormat("model-%05d-of-%05d.safetensors", s + 1, n);
    BINQ_ASSIGN_OR_RETURN(
        shard.header,
        EncodeSafetensorsHeader(layout, metadata,
                                absl::StrCat(dir_, "/", shard.file)));
    uint64_t offset = shard.header.size();
    for (const SafetensorsHeaderEntry& e : layout) {
      Planned& p = tensors_.find(e.name)->second;
      p.offset = offset;
      offset += e.nbytes;
    }
    shard.pending = layout.size();
    shards_.push_back(std::move(shard));
  }
  return absl::OkStatus();
}

absl::Status CheckpointWriter::MakeTempDir() {
  struct stat st;
  if (::stat(dir_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir_, ": exists and is not a folder"));
  }
  BINQ_RETURN_IF_ERROR(MakeDirs(ParentDir(dir_)));
  std::string templ = absl::StrCat(dir_, ".tmp-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return ErrnoStatus(errno, templ, "cannot create temp folder");
  }
  temp_dir_ = templ;
  // mkdtemp makes it private (0700); a model folder is usually shared.
  if (::chmod(temp_dir_.c_str(), 0755) != 0) {
    return ErrnoStatus(errno, temp_dir_, "cannot chmod");
  }
  return absl::OkStatus();
}

absl::Status CheckpointWriter::CopySideFiles() {
  const std::string& from = options_.side_files_from;
  if (from.empty()) return absl::OkStatus();
  struct stat st;
  if (::stat(from.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat(from,
                     ": no such folder to copy config and tokenizer "
                     "files from"));
  }
  for (const char* file : kCheckpointSideFiles) {
    const std::string source = absl::StrCat(from, "/", file);
    if (::stat(source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    BINQ_RETURN_IF_ERROR(
        Fail(CopyFile(source, absl::StrCat(temp_dir_, "/", file))));
    copied_.push_back(file);
  }
  return absl::OkStatus();
}

std::vector<std::string> CheckpointWriter::shard_files() const {
  std::vector<std::string> out;
  for (const Shard& s : shards_) out.push_back(s.file);
  return out;
}

absl::Status CheckpointWriter::Fail(absl::Status status) {
  if (!status.ok() && error_.ok()) error_ = status;
  return status;
}

absl::Status CheckpointWriter::OpenShard(Shard& shard) {
  if (shard.fd.valid()) return absl::OkStatus();
  const std::string path = absl::StrCat(temp_dir_, "/", shard.file);
  shard.fd = ScopedFd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!shard.fd.valid()) {
    return Fail(ErrnoStatus(errno, path, "cannot create"));
  }
  if (const int err =
          WriteAll(shard.fd.get(), shard.header.data(), shard.header.size());
      err != 0) {
    return Fail(ErrnoStatus(err, path, "cannot write"));
  }
  return absl::OkStatus();
}

absl::Status CheckpointWriter::FinishShard(Shard& shard) {
  BINQ_RETURN_IF_ERROR(OpenShard(shard));  // a shard of only empty tensors
  const std::string path = absl::StrCat(temp_dir_, "/", shard.file);
  if (::fsync(shard.fd.get()) != 0) {
    return Fail(ErrnoStatus(errno, path, "cannot fsync"));
  }
  if (const int err = shard.fd.Close(); err != 0) {
    return Fail(ErrnoStatus(err, path, "cannot close"));
  }
  shard.done = true;
  return absl::OkStatus();
}

absl::Status CheckpointWriter::Write(absl::string_view name, const void* data,
                                     size_t nbytes) {
  if (!error_.ok()) return error_;
  if (committed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir_, ": already committed"));
  }
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "' was not declared for ", dir_));
  }
  Planned& p = it->second;
  if (p.written) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "' written twice"));
  }
  if (nbytes != p.nbytes || (data == nullptr && nbytes > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': ", nbytes, " bytes do not hold ",
                     DTypeName(p.dtype), " ", ShapeString(p.shape)));
  }
  Shard& shard = shards_[p.shard];
  BINQ_RETURN_IF_ERROR(OpenShard(shard));
  if (const int err =
          PWriteAll(shard.fd.get(), data, nbytes, static_cast<off_t>(p.offset));
      err != 0) {
    return Fail(ErrnoStatus(err, absl::StrCat(temp_dir_, "/", shard.file),
                            absl::StrCat("cannot write '", name, "'")));
  }
  p.written = true;
  if (--shard.pending == 0) BINQ_RETURN_IF_ERROR(FinishShard(shard));
  return absl::OkStatus();
}

absl::Status CheckpointWriter::Write(absl::string_view name,
                                     const TensorView& view) {
  const auto it = tensors_.find(name);
  if (it != tensors_.end() &&
      (view.dtype != it->second.dtype || view.shape != it->second.shape)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", name, "' is ", DTypeName(view.dtype), " ",
        ShapeString(view.shape), " but was declared ",
        DTypeName(it->second.dtype), " ", ShapeString(it->second.shape)));
  }
  return Write(name, view.data, view.nbytes);
}

absl::Status CheckpointWriter::WriteSideFile(const std::string& file_name,
                                             absl::string_view contents) {
  if (!error_.ok()) return error_;
  if (committed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir_, ": already committed"));
  }
  if (!IsPlainFileName(file_name) || file_name == kIndexFile ||
      std::any_of(shards_.begin(), shards_.end(),
                  [&](const Shard& s) { return s.file == file_name; })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "side file '", file_name,
        "' is not a plain file name, or is one of the weight files"));
  }
  BINQ_RETURN_IF_ERROR(
      Fail(WriteWholeFile(absl::StrCat(temp_dir_, "/", file_name), contents)));
  if (std::find(copied_.begin(), copied_.end(), file_name) == copied_.end()) {
    copied_.push_back(file_name);
  }
  return absl::OkStatus();
}

absl::Status CheckpointWriter::WriteIndex() {
  Json weight_map = Json::object();
  for (const auto& [name, p] : tensors_)
    weight_map[name] = shards_[p.shard].file;
  Json index = {{"metadata", {{"total_size", total_bytes_}}},
                {"weight_map", std::move(weight_map)}};
  // Names were checked to be valid UTF-8 when the headers were encoded.
  return Fail(WriteWholeFile(absl::StrCat(temp_dir_, "/", kIndexFile),
                             index.dump(2) + "\n"));
}

absl::Status CheckpointWriter::MoveIntoPlace() {
  struct stat st;
  if (::stat(dir_.c_str(), &st) != 0) {
    if (::rename(temp_dir_.c_str(), dir_.c_str()) != 0) {
      return Fail(ErrnoStatus(errno, temp_dir_,
                              absl::StrCat("cannot rename to ", dir_)));
    }
    return Fail(SyncDir(ParentDir(dir_)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(dir_, ": exists and is not a folder")));
  }
  // Swap the two folders in one step, so `dir` is always a whole model; the
  // temp name then holds the old one, which is removed.
  if (::renameat2(AT_FDCWD, temp_dir_.c_str(), AT_FDCWD, dir_.c_str(),
                  RENAME_EXCHANGE) == 0) {
    BINQ_RETURN_IF_ERROR(Fail(SyncDir(ParentDir(dir_))));
    RemoveTreeQuietly(temp_dir_);
    return absl::OkStatus();
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
    return Fail(ErrnoStatus(errno, temp_dir_,
                            absl::StrCat("cannot exchange with ", dir_)));
  }
  // File systems without RENAME_EXCHANGE: move the old folder aside first
  // (for a moment `dir` does not exist, but is never half written).
  std::string aside = absl::StrCat(dir_, ".old-XXXXXX");
  if (::mkdtemp(aside.data()) == nullptr) {
    return Fail(ErrnoStatus(errno, aside, "cannot create"));
  }
  if (::rename(dir_.c_str(), aside.c_str()) != 0) {
    const int err = errno;
    RemoveTreeQuietly(aside);
    return Fail(ErrnoStatus(err, dir_, absl::StrCat("cannot move to ", aside)));
  }
  if (::rename(temp_dir_.c_str(), dir_.c_str()) != 0) {
    const int err = errno;
    ::rename(aside.c_str(), dir_.c_str());  // put the old model back
    return Fail(
        ErrnoStatus(err, temp_dir_, absl::StrCat("cannot rename to ", dir_)));
  }
  BINQ_RETURN_IF_ERROR(Fail(SyncDir(ParentDir(dir_))));
  RemoveTreeQuietly(aside);
  return absl::OkStatus();
}

absl::Status CheckpointWriter::Commit() {
  if (!error_.ok()) return error_;
  if (committed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir_, ": already committed"));
  }
  std::vector<std::string> missing;
  for (const std::string& name : declared_order_) {
    if (!tensors_.find(name)->second.written) missing.push_back(name);
  }
  if (!missing.empty()) {
    const size_t shown = std::min<size_t>(missing.size(), 5);
    return absl::FailedPreconditionError(absl::StrCat(
        dir_, ": ", missing.size(), " tensors never written: ",
        absl::StrJoin(missing.begin(), missing.begin() + shown, ", "),
        missing.size() > shown ? ", ..." : ""));
  }
  for (Shard& shard : shards_) {
    if (!shard.done) BINQ_RETURN_IF_ERROR(FinishShard(shard));
  }
  if (shards_.size() > 1) BINQ_RETURN_IF_ERROR(WriteIndex());
  BINQ_RETURN_IF_ERROR(Fail(SyncDir(temp_dir_)));
  BINQ_RETURN_IF_ERROR(MoveIntoPlace());
  committed_ = true;
  return absl::OkStatus();
}

absl::Status WriteCheckpoint(const std::string& dir,
                             const std::vector<CheckpointTensorSpec>& tensors,
                             const std::function<absl::StatusOr<TensorView>(
                                 const CheckpointTensorSpec&)>& fetch,
                             const CheckpointWriterOptions& options) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointWriter> writer,
                        CheckpointWriter::Create(dir, tensors, options));
  for (const CheckpointTensorSpec& spec : tensors) {
    absl::StatusOr<TensorView> view = fetch(spec);
    if (!view.ok()) {
      return WithContext(view.status(),
                         absl::StrCat("fetching tensor '", spec.name, "'"));
    }
    BINQ_RETURN_IF_ERROR(writer->Write(spec.name, *view));
  }
  return writer->Commit();
}

}  // namespace binq::core
