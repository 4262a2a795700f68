#include "server/scheduler/slots.h"

#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace binq::server {

std::string Slot::Name() const {
  return absl::StrCat(kind == SlotKind::kGpu ? "gpu:" : "cpu:", index);
}

std::string Slot::CudaVisibleDevices() const {
  return kind == SlotKind::kGpu ? absl::StrCat(index) : "";
}

int CountNvidiaGpus() {
  std::error_code ec;
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
    if (entry.is_directory(ec)) ++n;
  }
  return n;
}

absl::StatusOr<std::vector<Slot>> MakeSlots(absl::string_view gpus, int cpu_slots) {
  if (cpu_slots < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--cpu-slots: must be ≥ 0, got ", cpu_slots));
  }
  std::vector<Slot> slots;
  const std::string spec(absl::StripAsciiWhitespace(gpus));
  if (spec == "auto") {
    for (int i = 0, n = CountNvidiaGpus(); i < n; ++i) slots.push_back({SlotKind::kGpu, i});
  } else if (spec != "none" && !spec.empty()) {
    std::set<int> seen;
    for (absl::string_view part : absl::StrSplit(spec, ',')) {
      int index = -1;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &index) || index < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--gpus: expected CUDA indices like 0,1 or 'none' or 'auto', got '", gpus, "'"));
      }
      if (!seen.insert(index).second) {
        return absl::InvalidArgumentError(absl::StrCat("--gpus: GPU ", index, " listed twice"));
      }
      slots.push_back({SlotKind::kGpu, index});
    }
  }
  for (int i = 0; i < cpu_slots; ++i) slots.push_back({SlotKind::kCpu, i});
  if (slots.empty()) {
    return absl::InvalidArgumentError(
        "--gpus/--cpu-slots: no slot to run jobs on (no GPU and --cpu-slots 0)");
  }
  return slots;
}

SlotKind SlotKindFor(const JobSpec& spec, bool have_gpus) {
  if (spec.device == "cuda") return SlotKind::kGpu;
  if (spec.device == "cpu") return SlotKind::kCpu;
  return have_gpus ? SlotKind::kGpu : SlotKind::kCpu;
}

}  // namespace binq::server
