// Execution slots: one job per GPU ("gpu:0", "gpu:1", …) and a number of CPU
// slots ("cpu:0", …) for jobs that need no GPU. Pure values; thread-safe.
#ifndef BINQ_SERVER_SCHEDULER_SLOTS_H_
#define BINQ_SERVER_SCHEDULER_SLOTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/job_spec.h"

namespace binq::server {

enum class SlotKind { kGpu, kCpu };

struct Slot {
  SlotKind kind = SlotKind::kCpu;
  int index = 0;  // the GPU's CUDA index, or the CPU slot's number

  std::string Name() const;  // "gpu:0", "cpu:1"
  // The worker's CUDA_VISIBLE_DEVICES: the GPU index, "" for a CPU slot
  // (which hides every GPU from the worker).
  std::string CudaVisibleDevices() const;
  bool operator==(const Slot& o) const { return kind == o.kind && index == o.index; }
};

// The slots for --gpus and --cpu-slots. `gpus` is a comma-separated list of
// CUDA indices ("0,1"), "none", or "auto" (the GPUs the NVIDIA driver lists
// under /proc/driver/nvidia/gpus). INVALID_ARGUMENT naming --gpus or
// --cpu-slots for a bad value, a duplicate index, or no slot at all.
[[nodiscard]] absl::StatusOr<std::vector<Slot>> MakeSlots(absl::string_view gpus, int cpu_slots);

// The number of GPUs the NVIDIA driver exposes (0 without a driver).
int CountNvidiaGpus();

// The kind of slot a job needs: device "cuda" a GPU, "cpu" a CPU slot,
// "auto" a GPU when the daemon has any, else a CPU slot.
SlotKind SlotKindFor(const JobSpec& spec, bool have_gpus);

}  // namespace binq::server

#endif  // BINQ_SERVER_SCHEDULER_SLOTS_H_
