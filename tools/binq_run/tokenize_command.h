// `binq-run tokenize`: the ids of a text as the model's tokenizer gives them,
// for checking binq's tokenizer against Hugging Face's from a shell.
#ifndef BINQ_TOOLS_BINQ_RUN_TOKENIZE_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_TOKENIZE_COMMAND_H_

#include <istream>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace binq::tools {

struct TokenizeCommand {
  std::string tokenizer_dir;  // a checkpoint or tokenizer directory (core/text/tokenizer_loader.h)
  bool add_bos = false;       // prepend the tokenizer's BOS token
};

// Reads all of `in` as one text and writes its ids to `out` on one line,
// separated by spaces: Encode(text), no special tokens added, or with
// `add_bos` the BOS token first (even for a tokenizer whose HF form adds none,
// like GPT-2's). Errors: those of LoadTokenizer (NOT_FOUND naming a missing
// directory or file, ...); INVALID_ARGUMENT for input that is not UTF-8
// (naming the byte offset) or `add_bos` with a tokenizer without BOS.
[[nodiscard]] absl::Status RunTokenizeCommand(const TokenizeCommand& command, std::istream& in,
                                              std::ostream& out);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_TOKENIZE_COMMAND_H_
