#include "core/base/technique_catalog.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace binq {
namespace {

// ---- Option rows shared by several techniques -------------------------------
// Keys are the reference scripts' own flag spellings (run.py's argparse).

OptionSchema Blocksize() {
  return AtLeast(IntOption("blocksize", 128, "columns per quantization block (β)"), 1);
}

OptionSchema Percdamp() {
  return Above(DoubleOption("percdamp", 0.01, "Hessian damping: δ = percdamp · mean(diag H)"), 0);
}

// BiLLM's saliency target (ALGORITHMS.md §4.2).
OptionSchema BraqSalientMetric() {
  return EnumOption("salient_metric", {"hessian", "magnitude"}, "hessian",
                    "what the salient-column and break-point searches rank by");
}

// Columns per quantization group: -1 is the whole row (gptq's --groupsize).
OptionSchema Groupsize() {
  return Excluding(
      AtLeast(IntOption("groupsize", -1, "columns per quantization group (-1: the whole row)"), -1),
      {0});
}

// PB-LLM's rows differ only in the low-bit method. salient_metric: the paper's
// hessian by default (run.py's argparse default is magnitude); activation is
// binq's own (ALGORITHMS.md §9.2).
TechniqueEntry PbllmRow(std::string name, std::vector<std::string> aliases, const std::string& low) {
  return {std::move(name), std::move(aliases),
          "PB-LLM: most salient weights at --high_bit bits, the --low_frac rest binarized by " + low,
          true,
          {Blocksize(), Percdamp(),
           InRange(DoubleOption("low_frac", 0.9, "fraction of the weights given to the low-bit quantizer"),
                   0, 1),
           InRange(IntOption("high_bit", 8, "bits of the salient weights"), 2, 8),
           EnumOption("salient_metric", {"hessian", "magnitude", "activation"}, "hessian",
                      "what the salient weights are ranked by")}};
}

// ARB-LLM's options: BiLLM's, plus CGB (--order2_group, alias --cgb).
std::vector<OptionSchema> ArbOptions() {
  return {Blocksize(), Percdamp(), BraqSalientMetric(),
          WithAliases(BoolOption("order2_group", false,
                                 "CGB: split the salient columns into two groups by magnitude"),
                      {"cgb"})};
}

// HBLLM's options: its own salient_metric (column norm of W²/U_jj²).
std::vector<OptionSchema> HbllmOptions() {
  return {Blocksize(), Percdamp(),
          EnumOption("salient_metric", {"l2", "l1"}, "l2",
                     "norm that scores salient columns of the saliency W²/U_jj²"),
          EnumOption("group_partition", {"row", "global"}, "row",
                     "Haar-band split into two groups: per row (41 candidates) or one for the band"),
          BoolOption("share_mean", false,
                     "row partition: both groups of a non-salient band row share the row's mean")};
}

// ---- The rows: one per technique ---------------------------------------------
// {name, aliases, help, needs_calibration, options}. Kept in any order; the
// catalog is sorted by lower-case name.

std::vector<TechniqueEntry> Rows() {
  return {
      {"braq", {}, "BiLLM: residual binarization, 2 sign planes on salient columns, 1 elsewhere", true,
       {Blocksize(), Percdamp(), BraqSalientMetric()}},
      {"CRBOG", {}, "CRB base: coupled 2x2 scale solve on braq's planes, no refinement", true,
       {Blocksize(), Percdamp(), BraqSalientMetric()}},
      // corr_damp γ ∈ [0, 1): the CRB repository sweeps 0 … 0.9; γ = 1 would
      // zero the coupling c₁₂ and turn CRB into an uncoupled solve.
      {"CRB", {}, "CRB: Tikhonov/damped coupled scales, two-way sign refinement, mean correction", true,
       {Blocksize(), Percdamp(), BraqSalientMetric(),
        EnumOption("crb_variant", {"current", "paper2025"}, "current",
                   "current (the CRB repository today) or paper2025 (per-row v7 of the paper's time)"),
        AtLeast(DoubleOption("lam", 1e-5, "Tikhonov λ of the 2x2 scale solve"), 0),
        InRange(DoubleOption("corr_damp", 0.1, "correlation damping γ of the 2x2 scale solve"), 0, 1,
                /*max_open=*/true)}},
      // ARB-LLM (ALGORITHMS.md §9.3): ARB-LLM_X = arb-x --order2_group,
      // ARB-LLM_RC = arb-rc --order2_group. salient_metric defaults to the
      // paper's hessian (run_arb.py's argparse default is magnitude).
      {"arb", {}, "ARB-LLM: alternating refined mean/scale/sign binarization on BiLLM's masks", true,
       ArbOptions()},
      {"arb-x", {}, "ARB-LLM_X (with --order2_group): ARB + closed-form mean/scale under the calibration matrix S", true,
       ArbOptions()},
      {"arb-rc", {}, "ARB-LLM_RC (with --order2_group): ARB with row and column scales, no mean", true,
       ArbOptions()},
      // HBLLM (ALGORITHMS.md §9.4): group_partition has no default in the
      // reference (it asserts); binq's default is row, its README's setting.
      {"row-hbraq", {}, "HBLLM-row: Haar-domain binarization along rows, salient columns filled, salient residual", true,
       HbllmOptions()},
      {"col-hbraq", {}, "HBLLM-col: Haar-domain binarization along columns of the non-salient part, salient residual", true,
       HbllmOptions()},
      {"sign", {}, "baseline: per-row scaled sign, no Hessian", false, {}},
      {"rtn", {}, "baseline: round-to-nearest with --wbits bits per row (or per --groupsize columns)",
       false,
       {InRange(IntOption("wbits", 2, "bits per weight"), 1, 8), Groupsize(),
        BoolOption("sym", false, "symmetric quantization grid")}},
      // GPTQ (IST-DASLab/gptq; ALGORITHMS.md §9.1): the reference's opt.py flags.
      {"gptq", {}, "GPTQ: n-bit round-to-nearest, column by column, with Hessian error compensation",
       true,
       {Blocksize(), Percdamp(),
        OneOf(InRange(IntOption("wbits", 4, "bits per weight"), 2, 8), {"2", "3", "4", "8"}),
        Groupsize(), BoolOption("sym", false, "symmetric quantization grid"),
        BoolOption("act_order", false, "quantize columns in order of decreasing Hessian diagonal"),
        BoolOption("static_groups", false,
                   "group parameters from the original weights, before any compensation")}},
      // PB-LLM (hahnyuan/PB-LLM gptq_pb; §9.2): the low-bit method is the
      // technique; run.py's flags. `sign` keeps binq's own baseline's name.
      PbllmRow("pbllm-xnor", {"xnor"}, "xnor: μ + α·sign(w − μ) per row"),
      PbllmRow("pbllm-sign", {}, "sign: {0, α} per row"),
      PbllmRow("pbllm-2bit", {"2bit"}, "2-bit min-max per row"),
      PbllmRow("pbllm-4bit", {"4bit"}, "8-level min-max per row (the reference's 4bit)"),
      {kNoQuantization, {"fp16"}, "no quantization: evaluate the model as loaded", false, {}},
  };
}

std::vector<TechniqueEntry> SortedRows() {
  std::vector<TechniqueEntry> rows = Rows();
  std::sort(rows.begin(), rows.end(), [](const TechniqueEntry& a, const TechniqueEntry& b) {
    return absl::AsciiStrToLower(a.name) < absl::AsciiStrToLower(b.name);
  });
  return rows;
}

bool NameMatches(const TechniqueEntry& e, absl::string_view lower) {
  if (absl::AsciiStrToLower(e.name) == lower) return true;
  for (const std::string& a : e.aliases) {
    if (absl::AsciiStrToLower(a) == lower) return true;
  }
  return false;
}

std::string OptionKeys(const TechniqueEntry& e) {
  std::vector<std::string> keys;
  for (const OptionSchema& o : e.options) keys.push_back(o.key);
  return keys.empty() ? "none" : absl::StrJoin(keys, ", ");
}

}  // namespace

const OptionSchema* TechniqueEntry::FindOption(absl::string_view key) const {
  const std::string k = NormalizeOptionKey(key);
  for (const OptionSchema& o : options) {
    if (o.key == k) return &o;
    for (const std::string& a : o.aliases) {
      if (a == k) return &o;
    }
  }
  return nullptr;
}

const std::vector<TechniqueEntry>& TechniqueCatalog() {
  static const auto* const kCatalog = new std::vector<TechniqueEntry>(SortedRows());
  return *kCatalog;
}

absl::StatusOr<const TechniqueEntry*> FindTechniqueEntry(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    if (NameMatches(e, lower)) return &e;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("technique: unknown '", name, "' (known: ", TechniqueNamesForHelp(), ")"));
}

std::string TechniqueNamesForHelp() {
  std::vector<std::string> names;
  for (const TechniqueEntry& e : TechniqueCatalog()) names.push_back(e.name);
  return absl::StrJoin(names, ", ");
}

const std::vector<std::pair<std::string, CatalogOption>>& AllCatalogOptions() {
  static const auto* const kOptions = [] {
    std::map<std::string, CatalogOption> by_key;
    for (const TechniqueEntry& e : TechniqueCatalog()) {
      for (const OptionSchema& o : e.options) {
        auto [it, inserted] = by_key.emplace(o.key, CatalogOption{&o, {}});
        it->second.techniques.push_back(e.name);
      }
    }
    return new std::vector<std::pair<std::string, CatalogOption>>(by_key.begin(), by_key.end());
  }();
  return *kOptions;
}

const std::vector<std::string>& LegacyOptionKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      "blocksize", "salient_metric", "percdamp", "crb_variant", "lam", "corr_damp", "wbits"};
  return *kKeys;
}

void MergeLegacyOptions(absl::string_view technique, const OptionValues& legacy, OptionValues& options) {
  const auto entry = FindTechniqueEntry(technique);
  for (const auto& [key, value] : legacy) {
    if (entry.ok() && (*entry)->FindOption(key) == nullptr) continue;
    options.emplace(key, value);  // an explicit technique_options entry wins
  }
}

absl::StatusOr<TechniqueOptions> TechniqueOptions::Resolve(absl::string_view technique,
                                                           const OptionValues& given) {
  auto entry = FindTechniqueEntry(technique);
  if (!entry.ok()) return entry.status();
  const TechniqueEntry& e = **entry;
  TechniqueOptions resolved;
  resolved.technique_ = e.name;
  for (const auto& [key, value] : given) {
    const OptionSchema* schema = e.FindOption(key);
    if (schema == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": not an option of ", e.name, " (its options: ",
                                                     OptionKeys(e), ")"));
    }
    if (resolved.values_.count(schema->key) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": given twice (as ", schema->key, " and an alias)"));
    }
    auto checked = CheckValue(*schema, value);
    if (!checked.ok()) return checked.status();
    resolved.values_.emplace(schema->key, *std::move(checked));
  }
  for (const OptionSchema& o : e.options) resolved.values_.emplace(o.key, o.default_value);
  return resolved;
}

bool TechniqueOptions::Has(absl::string_view key) const {
  return values_.count(NormalizeOptionKey(key)) != 0;
}

template <typename T>
absl::StatusOr<T> TechniqueOptions::Get(absl::string_view key, const char* type) const {
  const auto it = values_.find(NormalizeOptionKey(key));
  if (it == values_.end()) {
    return absl::InternalError(absl::StrCat(key, ": not an option of '", technique_,
                                            "' (add it to the technique's catalog row)"));
  }
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return absl::InternalError(absl::StrCat(key, ": ", technique_, "'s catalog row does not make it ", type));
}

absl::StatusOr<int64_t> TechniqueOptions::Int(absl::string_view key) const { return Get<int64_t>(key, "an int"); }
absl::StatusOr<double> TechniqueOptions::Double(absl::string_view key) const { return Get<double>(key, "a double"); }
absl::StatusOr<bool> TechniqueOptions::Bool(absl::string_view key) const { return Get<bool>(key, "a bool"); }
absl::StatusOr<std::string> TechniqueOptions::Enum(absl::string_view key) const {
  return Get<std::string>(key, "an enum");
}

}  // namespace binq
