// Plain-text table of per-technique layer figures (binq-run compare).
#ifndef BINQ_TOOLS_BINQ_RUN_REPORT_TABLE_H_
#define BINQ_TOOLS_BINQ_RUN_REPORT_TABLE_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace binq::tools {

std::string FormatComparisonTable(const std::vector<nlohmann::json>& rows);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_REPORT_TABLE_H_
