// Tokenizer throughput on a generated WikiText-like text (default 11 MB, the
// size of WikiText-2's train split, which the calibration loader tokenizes as
// one string), against the pre-tokenization pass alone as the in-process
// baseline:
//   pretokenize  the pattern scan only (no BPE, no ids)
//   cold         Encode with an empty piece cache (what one WikiText call costs)
//   warm         the same text again (cache filled)
//   unique       a text whose words are all different (every piece misses the
//                cache: BPE-bound)
//   binq-bench-tokenizer [--tokenizer DIR] [--mb 11] [--seed 1]
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/text/bpe_tokenizer.h"
#include "core/text/gpt2_pretokenizer.h"
#include "core/text/tokenizer_loader.h"
#include "core/text/utf8.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Text shaped like wiki.train.raw: " = Heading = \n" lines, sentences of
// Zipf-distributed words with " @-@ " / " @,@ " joins, numbers, quotes, a
// little non-ASCII, and " \n " line ends.
std::string WikiLikeText(size_t bytes, uint32_t seed) {
  static const char* kWords[] = {"the",          "of",         "and",          "in",
                                 "to",           "a",          "was",          "The",
                                 "is",           "for",        "on",           "as",
                                 "with",         "by",         "he",           "that",
                                 "at",           "from",       "his",          "it",
                                 "an",           "were",       "which",        "are",
                                 "also",         "had",        "first",        "be",
                                 "this",         "its",        "season",       "game",
                                 "after",        "their",      "one",          "film",
                                 "new",          "two",        "album",        "war",
                                 "team",         "song",       "ship",         "during",
                                 "time",         "would",      "been",         "played",
                                 "released",     "Valkyria",   "Chronicles",   "storm",
                                 "tropical",     "hurricane",  "episode",      "character",
                                 "government",   "American",   "British",      "between",
                                 "Kingdom",      "television", "commissioned", "approximately",
                                 "subsequently", "naval",      "infantry",     "café",
                                 "Zürich",       "São",        "Paulo",        "Ōsaka",
                                 "Москва",       "北京",       "don't",        "it's",
                                 "they've",      "we'll"};
  const int n = sizeof(kWords) / sizeof(kWords[0]);
  std::mt19937 rng(seed);
  std::vector<double> weights(n);
  for (int i = 0; i < n; ++i) weights[i] = 1.0 / (i + 1);
  std::discrete_distribution<int> word(weights.begin(), weights.end());
  std::uniform_int_distribution<int> percent(0, 99), number(0, 99999), length(5, 30);
  std::string text;
  text.reserve(bytes + 256);
  while (text.size() < bytes) {
    if (percent(rng) < 5) {
      text += " = " + std::string(kWords[word(rng)]) + " " + kWords[word(rng)] + " = \n";
      continue;
    }
    const int words = length(rng) * 3;
    for (int i = 0; i < words; ++i) {
      const int r = percent(rng);
      text += ' ';
      if (r < 3) {
        text += std::to_string(number(rng)) + " @,@ " + std::to_string(number(rng) % 1000);
      } else if (r < 5) {
        text += std::string(kWords[word(rng)]) + " @-@ " + kWords[word(rng)];
      } else if (r < 7) {
        text += "\"" + std::string(kWords[word(rng)]) + "\"";
      } else {
        text += kWords[word(rng)];
      }
      if (r >= 90) text += r < 95 ? " ," : " .";
    }
    text += " \n";
  }
  return text;
}

// Words of random letters: nearly every piece is new to the cache.
std::string UniqueWordsText(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> letter('a', 'z'), length(3, 12);
  std::string text;
  text.reserve(bytes + 16);
  while (text.size() < bytes) {
    text += ' ';
    for (int i = length(rng); i > 0; --i) text += static_cast<char>(letter(rng));
  }
  return text;
}

int Main(int argc, char** argv) {
  CLI::App app{"binq tokenizer benchmark"};
  std::string dir = std::string(BINQ_SOURCE_DIR) + "/tests/data/gpt2-bpe";
  double mb = 11.0;
  uint32_t seed = 1;
  app.add_option("--tokenizer", dir, "directory with vocab.json and merges.txt")->capture_default_str();
  app.add_option("--mb", mb, "text size in MB (10^6 bytes)")->capture_default_str();
  app.add_option("--seed", seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto start = std::chrono::steady_clock::now();
  auto tokenizer = binq::core::LoadBpeTokenizer(dir);
  if (!tokenizer.ok()) {
    std::cerr << "binq-bench-tokenizer: " << tokenizer.status().message() << "\n";
    return 1;
  }
  const double load_s = Seconds(start);
  const auto bytes = static_cast<size_t>(mb * 1e6);
  const std::string text = WikiLikeText(bytes, seed);
  const std::string unique = UniqueWordsText(bytes / 4, seed);
  auto chars = [](const std::string& s) {  // code points
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  const double text_chars = static_cast<double>(chars(text));

  start = std::chrono::steady_clock::now();
  size_t pieces = 0;
  if (!binq::core::ValidateUtf8(text).ok()) return 1;
  binq::core::Gpt2PretokenIterator it(text);
  absl::string_view piece;
  while (it.Next(&piece)) ++pieces;
  const double pretokenize_s = Seconds(start);

  (*tokenizer)->ClearCache();
  start = std::chrono::steady_clock::now();
  auto cold = (*tokenizer)->Encode(text);
  const double cold_s = Seconds(start);
  const size_t cached = (*tokenizer)->cache_size();
  start = std::chrono::steady_clock::now();
  auto warm = (*tokenizer)->Encode(text);
  const double warm_s = Seconds(start);
  (*tokenizer)->ClearCache();
  start = std::chrono::steady_clock::now();
  auto fresh = (*tokenizer)->Encode(unique);
  const double unique_s = Seconds(start);
  if (!cold.ok() || !warm.ok() || !fresh.ok() || *cold != *warm) {
    std::cerr << "binq-bench-tokenizer: encoding failed or differs between runs\n";
    return 1;
  }

  absl::PrintF("tokenizer %s (loaded in %.3f s)\n", dir, load_s);
  absl::PrintF("text: %.1f MB, %.0f characters, %zu pieces, %zu ids, %zu distinct pieces cached\n",
               text.size() / 1e6, text_chars, pieces, cold->size(), cached);
  absl::PrintF("%-12s %10s %14s %10s\n", "pass", "seconds", "chars/s", "vs pretok");
  auto row = [&](const char* name, double s, double n) {
    absl::PrintF("%-12s %10.3f %14.3e %9.2fx\n", name, s, n / s, s / pretokenize_s * (text_chars / n));
  };
  row("pretokenize", pretokenize_s, text_chars);
  row("cold", cold_s, text_chars);
  row("warm", warm_s, text_chars);
  row("unique", unique_s, static_cast<double>(chars(unique)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
