// Encoding speed of each tokenizer kind on one text file (the same file
// bench/tokenizer_kinds_bench.py times the `tokenizers` library on; run that
// script, which runs this program too and prints the ratios):
//   binq-bench-tokenizer-kinds --tokenizer DIR --text FILE [--json]
// Loads DIR with LoadTokenizer (or, with --json, its tokenizer.json with
// LoadHfJsonTokenizer), encodes the whole file once on a fresh tokenizer
// (cold: empty word cache) and once more (warm), and prints one line:
//   kind=<choice> bytes=<n> ids=<n> cold_s=<s> warm_s=<s>
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "core/text/json_file.h"
#include "core/text/tokenizer_loader.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"binq tokenizer speed per kind"};
  std::string dir, text_path;
  bool json = false;
  app.add_option("--tokenizer", dir, "model folder")->required();
  app.add_option("--text", text_path, "UTF-8 text file")->required();
  app.add_flag("--json", json, "use the folder's tokenizer.json");
  CLI11_PARSE(app, argc, argv);

  auto text = binq::core::ReadWholeFile(text_path);
  if (!text.ok()) {
    std::cerr << text.status() << "\n";
    return 1;
  }
  auto load = [&]() -> absl::StatusOr<std::unique_ptr<binq::core::Tokenizer>> {
    if (!json) return binq::core::LoadTokenizer(dir);
    auto t = binq::core::LoadHfJsonTokenizer(dir);
    if (!t.ok()) return t.status();
    return std::unique_ptr<binq::core::Tokenizer>(std::move(*t));
  };
  auto tokenizer = load();
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status() << "\n";
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  auto ids = (*tokenizer)->EncodeForModel(*text);
  const double cold = Seconds(start);
  if (!ids.ok()) {
    std::cerr << ids.status() << "\n";
    return 1;
  }
  start = std::chrono::steady_clock::now();
  auto again = (*tokenizer)->EncodeForModel(*text);
  const double warm = Seconds(start);
  const std::string kind = json ? "tokenizer.json"
                                : std::string(binq::core::TokenizerChoiceName(
                                      binq::core::ChooseTokenizer(dir)));
  std::cout << absl::StrFormat(
      "kind=%s bytes=%d ids=%d cold_s=%.4f warm_s=%.4f same=%d\n",
      absl::StrReplaceAll(kind, {{" ", "_"}}),
      text->size(), ids->size(), cold, warm, again.ok() && *again == *ids);
  return 0;
}
