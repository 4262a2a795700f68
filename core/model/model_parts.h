// What every family implementation shares: moving a part's weights between
// devices, the checks of hidden states, masks and token ids, the model dtype
// choice, finfo(dtype).min. Used by the family files only.
#ifndef BINQ_CORE_MODEL_MODEL_PARTS_H_
#define BINQ_CORE_MODEL_MODEL_PARTS_H_

#include <cstdint>
#include <string>
#include <utility>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/base/status_macros.h"
#include "core/model/causal_lm.h"
#include "core/model/weight_loader.h"
#include "core/torch/torch_call.h"

namespace binq::core {

// Moves every defined tensor of `fields` (member pointers into W) to `device`
// in a copy of `w`; `w` is replaced only when all moves succeed, so a failed
// move (out of memory) leaves the part where it was.
template <typename W, size_t N>
absl::Status MoveAll(W& w, at::Tensor W::*const (&fields)[N], const at::Device& device, absl::string_view what) {
  c10::InferenceMode guard;
  W moved = w;
  BINQ_RETURN_IF_ERROR(TorchCall(absl::StrCat("moving ", what, " to ", device.str()), [&] {
    for (at::Tensor W::*f : fields) {
      if ((moved.*f).defined()) moved.*f = (moved.*f).to(device);
    }
  }));
  w = std::move(moved);
  return absl::OkStatus();
}

// INVALID_ARGUMENT unless `hidden` is [batch, seq, width] of `dtype` on `device`.
absl::Status CheckHidden(const at::Tensor& hidden, int64_t width, at::ScalarType dtype, const at::Device& device,
                         absl::string_view what);

// INVALID_ARGUMENT unless `mask` is [1 or b, 1, s, s] of `dtype` on `device`.
absl::Status CheckMask(const at::Tensor& mask, int64_t b, int64_t s, at::ScalarType dtype,
                       const at::Device& device, absl::string_view what);

// Token ids [b, s] (int32/int64, any device, s ≤ max_positions) → int64 on
// `device`, every id checked to lie in [0, vocab_size) (on CUDA an
// out-of-range index is a device-side assert that poisons the context, not
// an exception). INVALID_ARGUMENT otherwise.
absl::StatusOr<at::Tensor> CheckedTokenIds(const at::Tensor& ids, int64_t vocab_size, int64_t max_positions,
                                           const at::Device& device);

// finfo(dtype).min as a double.
double MinOf(at::ScalarType dtype);

// `b` may lack an index ("cuda" = the current device): then the type decides.
bool SameDevice(const at::Device& a, const at::Device& b);

// Moves the embeddings or the head, whose CPU copy `home` stays loaded (they
// are never modified): to the CPU, `current` becomes `home` again (dropping
// the device copy); elsewhere `home` is copied to `device`, and the tied
// weight `tied_field` reuses `tied_peer` when that already lives there, so a
// tied lm_head shares embed_tokens' memory. `tied_peer` is null when untied.
template <typename W, size_t N>
absl::Status MovePartFromHome(const W& home, W& current, at::Tensor W::*tied_field,
                              const at::Tensor* tied_peer, at::Tensor W::*const (&fields)[N],
                              const at::Device& device, absl::string_view what) {
  if (device.is_cpu()) {
    current = home;
    return absl::OkStatus();
  }
  W moved = home;
  if (tied_peer != nullptr && SameDevice(tied_peer->device(), device)) moved.*tied_field = *tied_peer;
  BINQ_RETURN_IF_ERROR(MoveAll(moved, fields, device, what));
  current = std::move(moved);
  return absl::OkStatus();
}

// The model dtype: the requested one, else the config's, else the dtype of
// `probe_name` in the checkpoint (transformers' dtype="auto").
absl::StatusOr<at::ScalarType> ChooseDType(const ModelConfig& config, const ModelLoadOptions& options,
                                           const WeightLoader& loader, const std::string& probe_name);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_MODEL_PARTS_H_
