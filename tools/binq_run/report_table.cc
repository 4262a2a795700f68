#include "tools/binq_run/report_table.h"

#include "absl/strings/str_format.h"

namespace binq::tools {

std::string FormatComparisonTable(const std::vector<nlohmann::json>& rows) {
  std::string out = absl::StrFormat("%-8s %12s %12s %9s %9s %10s %9s\n", "technique", "rel.err",
                                    "gptq loss", "salient", "W-bits", "stor.bits", "seconds");
  for (const auto& r : rows) {
    out += absl::StrFormat("%-8s %12.6f %12.4g %9d %9.4f %10.4f %9.3f\n",
                           r["technique"].get<std::string>(), r["relative_output_error"].get<double>(),
                           r["loss"].get<double>(), r["salient_columns"].get<int64_t>(),
                           r["wbits_paper"].get<double>(), r["storage_bits"].get<double>(),
                           r["seconds"]["quantize"].get<double>());
  }
  out += "rel.err = ||W X^T - Wq X^T||^2 / ||W X^T||^2 over the calibration inputs; "
         "W-bits = BiLLM's 1 + salient fraction; stor.bits = binq's packed layout.\n";
  return out;
}

}  // namespace binq::tools
