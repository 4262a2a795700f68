#include "tools/binq_run/make_tiny_command.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/path_util.h"
#include "core/base/status_macros.h"
#include "core/io/posix_file.h"
#include "core/model_config/model_families.h"
#include "core/pipeline/output_dir.h"
#include "core/torch/checkpoint_torch.h"
#include "nlohmann/json.hpp"
#include "tools/binq_run/tiny_models.h"

#ifndef BINQ_ASSETS_DIR
#define BINQ_ASSETS_DIR "assets"
#endif

namespace binq::tools {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read (set BINQ_ASSETS_DIR to binq's assets/)"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first `max_bytes` of `text`, cut after a whole line.
std::string Head(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const size_t end = text.rfind('\n', max_bytes);
  return text.substr(0, end == std::string::npos ? max_bytes : end + 1);
}

// OPT's layout of a GPT-2 vocabulary: the four fairseq tokens first, GPT-2's
// tokens after them.
absl::StatusOr<std::string> OptVocab(const std::string& gpt2_vocab_json) {
  Json gpt2;
  try {  // nlohmann reports malformed input only by throwing
    gpt2 = Json::parse(gpt2_vocab_json);
  } catch (const Json::exception& e) {
    return absl::DataLossError(absl::StrCat("gpt2-bpe/vocab.json: ", e.what()));
  }
  Json vocab = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
  for (const auto& [token, id] : gpt2.items()) {
    if (!vocab.contains(token)) vocab[token] = id.get<int64_t>() + 4;
  }
  return vocab.dump();
}

absl::Status WriteGzip(const std::string& path, const std::string& contents) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat(path, ": cannot create"));
  const int written = gzwrite(f, contents.data(), static_cast<unsigned>(contents.size()));
  const int closed = gzclose(f);
  if (written != static_cast<int>(contents.size()) || closed != Z_OK) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot write"));
  }
  return absl::OkStatus();
}

// C4-style JSON lines: one document per paragraph group of the text.
std::string C4Lines(const std::string& text, size_t max_docs) {
  std::string out;
  std::string doc;
  size_t docs = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '=') continue;
    absl::StrAppend(&doc, doc.empty() ? "" : " ", line);
    if (doc.size() > 1500) {
      absl::StrAppend(&out, Json{{"text", doc}, {"timestamp", "2019-04-25T12:00:00Z"},
                                 {"url", absl::StrCat("https://example.org/doc", docs)}}.dump(), "\n");
      doc.clear();
      if (++docs == max_docs) break;
    }
  }
  return out;
}

absl::Status CheckSizes(const MakeTinyCommand& c) {
  bool known = false;
  for (const std::string& f : core::ModelFamilyTypes()) known |= f == c.family;
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat("make-tiny: --family '", c.family, "' is not one of ",
                                                   absl::StrJoin(core::ModelFamilyTypes(), ", ")));
  }
  if (c.blocks < 1 || c.hidden < 8 || c.heads < 1 || c.hidden % c.heads != 0 || c.ffn < 1 || c.positions < 8 ||
      (c.family != "opt" && (c.hidden / c.heads) % 2 != 0)) {
    return absl::InvalidArgumentError(absl::StrCat("make-tiny: bad sizes (blocks ", c.blocks, ", hidden ", c.hidden,
                                                   ", heads ", c.heads, ", ffn ", c.ffn, ", positions ",
                                                   c.positions, "); hidden must divide by heads (into an even "
                                                   "head size for the rotary families)"));
  }
  return absl::OkStatus();
}

absl::Status WriteModel(const MakeTinyCommand& c, const std::string& assets, const std::string& dir) {
  BINQ_RETURN_IF_ERROR(CheckSizes(c));
  const int64_t vocab = 50272;  // OPT's padded vocabulary size
  BINQ_ASSIGN_OR_RETURN(const std::string gpt2_vocab, ReadFile(JoinPath(assets, "gpt2-bpe/vocab.json")));
  BINQ_ASSIGN_OR_RETURN(const std::string merges, ReadFile(JoinPath(assets, "gpt2-bpe/merges.txt")));
  BINQ_ASSIGN_OR_RETURN(const std::string opt_vocab, OptVocab(gpt2_vocab));
  BINQ_ASSIGN_OR_RETURN(const TinyModel model,
                        c.family == "opt" ? TinyOptModel(c, vocab) : TinyLlamaStyleModel(c, vocab));
  const auto& tensors = model.tensors;
  const Json& config = model.config;

  // The side files first, in a scratch folder the writer copies them from.
  const std::string side = dir + ".side";
  BINQ_RETURN_IF_ERROR(core::RemoveTree(side));
  BINQ_RETURN_IF_ERROR(core::MakeDirs(side));
  const Json added = {{"content", "</s>"}, {"lstrip", false}, {"normalized", true},
                      {"rstrip", false},   {"single_word", false}};
  const Json tokenizer_config = {{"tokenizer_class", "GPT2Tokenizer"}, {"add_bos_token", true},
                                 {"add_prefix_space", false}, {"errors", "replace"},
                                 {"bos_token", added}, {"eos_token", added}, {"unk_token", added},
                                 {"pad_token", {{"content", "<pad>"}, {"lstrip", false}, {"normalized", true},
                                                {"rstrip", false}, {"single_word", false}}},
                                 {"model_max_length", 1000000000000000019884624838656.0}};
  const Json special = {{"bos_token", "</s>"}, {"eos_token", "</s>"}, {"unk_token", "</s>"}, {"pad_token", "<pad>"}};
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(JoinPath(side, "config.json"), config.dump(2) + "\n"));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(JoinPath(side, "vocab.json"), opt_vocab));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(JoinPath(side, "merges.txt"), merges));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(JoinPath(side, "tokenizer_config.json"), tokenizer_config.dump(2)));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(JoinPath(side, "special_tokens_map.json"), special.dump(2)));
  core::CheckpointWriterOptions options;
  options.side_files_from = side;
  const absl::Status written = core::WriteTorchCheckpoint(dir, tensors, options);
  (void)core::RemoveTree(side);
  return written;
}

absl::Status WriteData(const std::string& assets, const std::string& dir) {
  const std::string from = JoinPath(assets, "tiny-opt/data");
  BINQ_ASSIGN_OR_RETURN(const std::string wiki_train, ReadFile(JoinPath(from, "wikitext-2-raw/wiki.train.raw")));
  BINQ_ASSIGN_OR_RETURN(const std::string wiki_test, ReadFile(JoinPath(from, "wikitext-2-raw/wiki.test.raw")));
  BINQ_ASSIGN_OR_RETURN(const std::string ptb_train, ReadFile(JoinPath(from, "ptb/ptb.train.txt")));
  BINQ_ASSIGN_OR_RETURN(const std::string ptb_test, ReadFile(JoinPath(from, "ptb/ptb.test.txt")));
  BINQ_ASSIGN_OR_RETURN(auto out, core::OutputDir::Create(dir));
  for (const char* sub : {"wikitext-2-raw", "ptb", "c4"}) BINQ_RETURN_IF_ERROR(core::MakeDirs(out->Staged(sub)));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(out->Staged("wikitext-2-raw/wiki.train.raw"), Head(wiki_train, 200000)));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(out->Staged("wikitext-2-raw/wiki.test.raw"), Head(wiki_test, 40000)));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(out->Staged("ptb/ptb.train.txt"), Head(ptb_train, 150000)));
  BINQ_RETURN_IF_ERROR(core::WriteTextFile(out->Staged("ptb/ptb.test.txt"), Head(ptb_test, 30000)));
  BINQ_RETURN_IF_ERROR(WriteGzip(out->Staged("c4/c4-train.00000-of-01024.json.gz"), C4Lines(wiki_train, 200)));
  BINQ_RETURN_IF_ERROR(WriteGzip(out->Staged("c4/c4-validation.00000-of-00008.json.gz"), C4Lines(wiki_test, 60)));
  return out->Commit();
}

}  // namespace

std::string AssetsDir(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  if (const char* v = std::getenv("BINQ_ASSETS_DIR"); v != nullptr && *v != '\0') return v;
  return BINQ_ASSETS_DIR;
}

absl::Status RunMakeTinyCommand(const MakeTinyCommand& command) {
  if (command.dir.empty()) return absl::InvalidArgumentError("make-tiny: DIR must be given");
  const std::string assets = AssetsDir(command.assets_dir);
  BINQ_RETURN_IF_ERROR(core::MakeDirs(command.dir));
  BINQ_RETURN_IF_ERROR(WriteModel(command, assets, JoinPath(command.dir, "model")));
  return WriteData(assets, JoinPath(command.dir, "data"));
}

}  // namespace binq::tools
