// Tokenizer directories for tests, built from the GPT-2 files in
// tests/data/gpt2-bpe (OPT's own files cannot be downloaded here).
#ifndef BINQ_TESTS_TESTING_TOKENIZER_DIRS_H_
#define BINQ_TESTS_TESTING_TOKENIZER_DIRS_H_

#include <string>

namespace binq::testing {

// tests/data/gpt2-bpe.
std::string Gpt2BpeDataDir();

// `dir` (created if missing) as a gpt2 checkpoint's tokenizer files:
// vocab.json, merges.txt and config.json {"model_type": "gpt2"}; no
// tokenizer_config.json, like openai-community/gpt2's slow files.
void MakeGpt2TokenizerDir(const std::string& dir);

// `dir` laid out like a facebook/opt-* checkpoint: GPT-2's merges; a
// vocab.json with OPT's four fairseq tokens first (<s> 0, <pad> 1, </s> 2,
// <unk> 3) and GPT-2's 50,257 tokens after them in a shuffled order (id
// 4 + (7919 · gpt2_id mod 50257)), so nothing can rely on GPT-2's ids; and
// tokenizer_config.json / special_tokens_map.json as OPT ships them
// (bos/eos/unk "</s>", pad "<pad>", add_bos_token true) plus config.json
// {"model_type": "opt"}.
void MakeOptStyleTokenizerDir(const std::string& dir);

// The id the OPT-style vocabulary gives GPT-2's token `gpt2_id`.
int OptStyleId(int gpt2_id);

// Writes `contents` to `path` (binary).
void WriteTextFile(const std::string& path, const std::string& contents);
std::string ReadTextFile(const std::string& path);

}  // namespace binq::testing

#endif  // BINQ_TESTS_TESTING_TOKENIZER_DIRS_H_
