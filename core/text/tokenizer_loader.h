// Loads the tokenizer of a Hugging Face checkpoint directory the way the
// reference evaluations get it (`AutoTokenizer.from_pretrained(dir,
// use_fast=False)`, ALGORITHMS.md §8.2), choosing by the files present.
//
// Which tokenizer (ChooseTokenizer), in this order:
//  1. SentencePiece `tokenizer.model` when tokenizer_config.json's
//     tokenizer_class is a Llama or Gemma tokenizer (slow or Fast: with
//     use_fast=False transformers loads the slow one, which reads
//     tokenizer.model), or when there is no class and no other tokenizer file;
//  2. byte-level BPE `vocab.json` + `merges.txt` (GPT-2, OPT) when the class
//     is GPT2Tokenizer[Fast] or absent;
//  3. `tokenizer.json` otherwise (LLaMA-3: only this file; Qwen2/3, whose
//     slow tokenizer gives the same ids as the file).
// (LLaMA-2 folders carry tokenizer.model and tokenizer.json; the two differ
// on texts starting with a space, and the references use the slow one: 1.)
//
// Side files read (each optional): tokenizer_config.json (tokenizer_class,
// special tokens, add_bos_token, legacy, add_prefix_space,
// added_tokens_decoder), special_tokens_map.json and added_tokens.json (only
// when tokenizer_config.json has no added_tokens_decoder: saves before
// transformers 4.34, as transformers reads them), config.json (model_type).
//
// Byte-level BPE (LoadBpeTokenizer, GPT2Tokenizer): special tokens bos/eos/
// unk default to "<|endoftext|>" unless the files name others (or null);
// with pad/sep/cls/mask and additional_special_tokens they and every added
// token are matched verbatim in the text; one that is neither in vocab.json
// nor an added token gets the next free id, in transformers' order (bos,
// eos, unk, sep, pad, cls, mask, additional). BOS rule: `add_bos_token` when
// present — true in every facebook/opt-* checkpoint, absent for gpt2 (so
// false); without it, true exactly when config.json's model_type is "opt"
// (transformers would say false for an OPT directory lacking the key; OPT was
// trained with `</s>` first and a tokenizer saved by transformers 5 drops the
// key, so binq follows the model there). BOS is `bos_token`.
//
// SentencePiece (LoadSentencePieceTokenizer; sentencepiece_tokenizer.h):
// LlamaTokenizer — `legacy` (default true) picks kPlain or kLlamaNonLegacy,
// `add_prefix_space` (default true); GemmaTokenizer — kPlain. Special tokens
// default to <s> </s> <unk> (Llama) or <bos> <eos> <unk> <pad> (Gemma). BOS
// rule: `add_bos_token`, default true (both classes).
//
// tokenizer.json (LoadHfJsonTokenizer; hf_json_tokenizer.h): the file's
// added tokens, normalizer, pre-tokenizer and BPE model. BOS rule: the
// post-processor's template; for Llama/Gemma classes tokenizer_config.json's
// `add_bos_token`, when present, overrides it (as those fast tokenizers
// rebuild their template from it).
//
// Refused (UNIMPLEMENTED, naming the file and field): add_eos_token true;
// for byte-level BPE add_prefix_space true and a class other than
// GPT2Tokenizer; added tokens with lstrip/rstrip/single_word in the side
// files; SentencePiece sp_model_kwargs; tokenizer.json parts listed in
// hf_json_tokenizer.h.
#ifndef BINQ_CORE_TEXT_TOKENIZER_LOADER_H_
#define BINQ_CORE_TEXT_TOKENIZER_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/text/bpe_tokenizer.h"
#include "core/text/hf_json_tokenizer.h"
#include "core/text/sentencepiece_tokenizer.h"
#include "core/text/tokenizer.h"

namespace binq::core {

enum class TokenizerChoice {
  kSentencePiece,
  kByteLevelBpeFiles,
  kTokenizerJson,
  kNone
};

// Which tokenizer LoadTokenizer builds for `model_dir` (the order above).
TokenizerChoice ChooseTokenizer(const std::string& model_dir);
absl::string_view TokenizerChoiceName(TokenizerChoice choice);

// The tokenizer ChooseTokenizer picks. NOT_FOUND naming the directory (or a
// missing file) when there is none; DATA_LOSS naming the file for malformed
// content; UNIMPLEMENTED as above. The result is thread-safe.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
    const std::string& model_dir);

// Each kind directly (errors as above; NOT_FOUND for its missing file).
[[nodiscard]] absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(
    const std::string& model_dir);
[[nodiscard]] absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
LoadSentencePieceTokenizer(const std::string& model_dir);
[[nodiscard]] absl::StatusOr<std::unique_ptr<HfJsonTokenizer>>
LoadHfJsonTokenizer(const std::string& model_dir);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_TOKENIZER_LOADER_H_
