// The Hugging Face checkpoint folder layout, in one table: which files hold
// the weights, which make up a tokenizer, and which side files a written
// checkpoint copies. Used by the checkpoint reader (core/io), binqd's
// pre-flight (CheckModelFiles in model_locator.h), the checkpoint writer's
// copy list and the tokenizer loader's documentation (core/text).
#ifndef BINQ_CORE_BASE_HF_FOLDER_LAYOUT_H_
#define BINQ_CORE_BASE_HF_FOLDER_LAYOUT_H_

#include <string>
#include <vector>

namespace binq {

// Weight files, in the reader's order of preference.
inline constexpr char kHfSafetensorsIndex[] = "model.safetensors.index.json";
inline constexpr char kHfSafetensorsSingle[] = "model.safetensors";
inline constexpr char kHfTorchIndex[] = "pytorch_model.bin.index.json";
inline constexpr char kHfTorchSingle[] = "pytorch_model.bin";
inline constexpr const char* kHfWeightFiles[] = {
    kHfSafetensorsIndex, kHfSafetensorsSingle, kHfTorchIndex, kHfTorchSingle};

// The three ways a folder carries its tokenizer; a folder needs one
// complete set (core/text/tokenizer_loader.h says which one it reads when
// there are several).
struct HfTokenizerFileSet {
  const char* name;      // for messages
  const char* files[2];  // the files of the set; files[1] may be nullptr
};
inline constexpr HfTokenizerFileSet kHfTokenizerFileSets[] = {
    {"SentencePiece", {"tokenizer.model", nullptr}},
    {"tokenizer.json", {"tokenizer.json", nullptr}},
    {"byte-level BPE", {"vocab.json", "merges.txt"}},
};

// Files copied from the source folder into a written checkpoint when present
// (config, generation config, every tokenizer file and the tokenizer side
// files), in copy order.
inline constexpr const char* kHfSideFiles[] = {"config.json",
                                               "generation_config.json",
                                               "vocab.json",
                                               "merges.txt",
                                               "tokenizer.json",
                                               "tokenizer_config.json",
                                               "special_tokens_map.json",
                                               "added_tokens.json",
                                               "tokenizer.model"};

// The names of the complete tokenizer sets in `dir` (in table order).
std::vector<std::string> PresentTokenizerFileSets(const std::string& dir);

}  // namespace binq

#endif  // BINQ_CORE_BASE_HF_FOLDER_LAYOUT_H_
