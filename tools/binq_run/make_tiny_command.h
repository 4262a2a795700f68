// `binq-run make-tiny DIR [--family F]`: a deterministic tiny random
// checkpoint of family F (opt, llama, mistral, qwen2, qwen3, gemma3_text;
// tiny_models.h) and a small corpus, so the whole pipeline runs in seconds
// on a CPU:
//
//   DIR/model/  config.json, model.safetensors (fp16; bf16 for gemma3_text),
//               and an OPT-style tokenizer built from GPT-2's BPE files
//               (assets/gpt2-bpe) for every family
//   DIR/data/   wikitext-2-raw/wiki.{train,test}.raw, ptb/ptb.{train,test}.txt,
//               c4/c4-train.00000-of-01024.json.gz, c4-validation.00000-of-00008.json.gz
//               cut from the public-domain text of assets/tiny-opt/data
//
//   BINQ_DATA_DIR=DIR/data binq-run DIR/model wikitext2 CRB --seqlen 64 --nsamples 8
//
// Random weights make every perplexity about the vocabulary size; use the
// trained assets/tiny-opt/model to see quantization cost perplexity.
#ifndef BINQ_TOOLS_BINQ_RUN_MAKE_TINY_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_MAKE_TINY_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace binq::tools {

struct MakeTinyCommand {
  std::string dir;
  std::string family = "opt";  // a model_type of core::ModelFamilyTypes()
  int64_t blocks = 2;
  int64_t hidden = 64;
  int64_t heads = 4;
  int64_t ffn = 256;
  int64_t positions = 128;  // max_position_embeddings: seqlen ≤ this
  uint64_t seed = 0;
  std::string assets_dir;   // empty: $BINQ_ASSETS_DIR, else the source tree's assets/
};

// The folder holding gpt2-bpe/ and tiny-opt/.
std::string AssetsDir(const std::string& override_dir);

// Writes DIR/model and DIR/data (each replaced atomically). Errors name the
// file: NOT_FOUND for missing assets, INVALID_ARGUMENT for an unknown
// family or bad sizes.
[[nodiscard]] absl::Status RunMakeTinyCommand(const MakeTinyCommand& command);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_MAKE_TINY_COMMAND_H_
