// Loads the tokenizer of a Hugging Face checkpoint directory the way the
// slow tokenizer of transformers (`AutoTokenizer.from_pretrained(dir,
// use_fast=False)`, GPT2Tokenizer) sets it up — the tokenizer the reference
// evaluations use (ALGORITHMS.md §8.2).
//
// Files read from `model_dir`:
//   vocab.json, merges.txt   required (byte-level BPE);
//   tokenizer_config.json    optional: special tokens, add_bos_token,
//                            added_tokens_decoder, tokenizer_class;
//   special_tokens_map.json  optional: overrides the special tokens of
//                            tokenizer_config.json;
//   added_tokens.json        optional: extra tokens {content: id};
//                            these two only when tokenizer_config.json has no
//                            added_tokens_decoder (older saves), as in
//                            transformers (4.34 and later);
//   config.json              optional: model_type.
// tokenizer.json is not read: the slow tokenizer ignores it too.
//
// Special tokens: bos/eos/unk default to "<|endoftext|>" (GPT2Tokenizer's
// defaults) unless the files name others (or null); with pad/sep/cls/mask and
// additional_special_tokens they and every added token are matched verbatim
// in the text. A special token that is neither in vocab.json nor an added
// token gets the next free id, in transformers' order (bos, eos, unk, sep,
// pad, cls, mask, additional).
//
// BOS rule (whether EncodeForModel prepends BOS): tokenizer_config.json's
// `add_bos_token` when it has one — GPT2Tokenizer's own switch, true in every
// facebook/opt-* checkpoint, absent for gpt2 (so false); without it, true
// exactly when config.json's model_type is "opt". (transformers would say
// false for an OPT directory lacking the key; OPT was trained with `</s>`
// first and a tokenizer saved by transformers 5 drops the key, so binq
// follows the model there.) The BOS token is the `bos_token` (OPT: `</s>`,
// id 2; GPT-2: `<|endoftext|>`, 50256).
//
// Not supported (UNIMPLEMENTED, naming the file and field): a tokenizer_class
// other than GPT2Tokenizer/GPT2TokenizerFast, add_eos_token or
// add_prefix_space true, added tokens with lstrip/rstrip/single_word; a
// SentencePiece tokenizer.model without vocab.json.
#ifndef BINQ_CORE_TEXT_TOKENIZER_LOADER_H_
#define BINQ_CORE_TEXT_TOKENIZER_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/text/bpe_tokenizer.h"
#include "core/text/tokenizer.h"

namespace binq::core {

// NOT_FOUND naming the path for a missing directory or vocab.json/merges.txt;
// DATA_LOSS naming the file for malformed JSON or BPE files; UNIMPLEMENTED as
// above. The result is thread-safe (BpeTokenizer).
[[nodiscard]] absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(const std::string& model_dir);

// The same behind the Tokenizer interface (later: SentencePiece for LLaMA).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& model_dir);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_TOKENIZER_LOADER_H_
