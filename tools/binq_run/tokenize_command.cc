#include "tools/binq_run/tokenize_command.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/text/tokenizer_loader.h"

namespace binq::tools {

absl::Status RunTokenizeCommand(const TokenizeCommand& command, std::istream& in, std::ostream& out) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<core::Tokenizer> tokenizer,
                        core::LoadTokenizer(command.tokenizer_dir));
  if (command.add_bos && tokenizer->bos_id() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--add-bos: the tokenizer in ", command.tokenizer_dir, " has no BOS token"));
  }
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) text.append(buffer, in.gcount());
  if (in.bad()) return absl::DataLossError("reading stdin failed");

  auto ids = tokenizer->Encode(text);
  if (!ids.ok()) return WithContext(ids.status(), "stdin");
  std::string line;
  line.reserve(ids->size() * 6 + 8);
  if (command.add_bos) absl::StrAppend(&line, tokenizer->bos_id());
  for (const int32_t id : *ids) {
    if (!line.empty()) line.push_back(' ');
    absl::StrAppend(&line, id);
  }
  line.push_back('\n');
  out << line;
  out.flush();
  if (!out) return absl::DataLossError("writing the ids to stdout failed");
  return absl::OkStatus();
}

}  // namespace binq::tools
