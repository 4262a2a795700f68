#include "core/eval/perplexity.h"

#include <utility>

#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

// Runs `body` with a part moved to `device`, then moves the part back to
// where it was, whether `body` succeeded or not. The first error wins.
template <typename GetDevice, typename Move, typename Body>
absl::Status OnDevice(GetDevice get_device, Move move, const at::Device& device, Body body) {
  const at::Device home = get_device();
  BINQ_RETURN_IF_ERROR(move(device));
  const absl::Status status = body();
  const absl::Status back = move(home);
  return status.ok() ? back : status;
}

}  // namespace

absl::StatusOr<PerplexityResult> EvaluatePerplexity(CausalLM& model, const std::vector<std::vector<int32_t>>& windows,
                                                    const PerplexityOptions& options,
                                                    const std::function<void(const PerplexityProgress&)>& progress,
                                                    const CancelToken* cancel) {
  if (windows.empty()) return absl::InvalidArgumentError("perplexity: no evaluation windows");
  const int64_t k_windows = static_cast<int64_t>(windows.size());
  const int64_t s = static_cast<int64_t>(windows[0].size());
  if (s < 2) return absl::InvalidArgumentError(absl::StrCat("perplexity: windows of ", s, " tokens (need ≥ 2)"));
  for (int64_t k = 0; k < k_windows; ++k) {
    if (static_cast<int64_t>(windows[k].size()) != s) {
      return absl::InvalidArgumentError(absl::StrCat("perplexity: window ", k, " has ", windows[k].size(),
                                                     " tokens, window 0 has ", s));
    }
  }
  c10::InferenceMode guard;
  const at::Device device = options.device;
  const at::Device store = options.hidden_on_host ? at::Device(at::kCPU) : device;

  PerplexityProgress state;
  state.passes_total = k_windows * (model.num_blocks() + 2);
  state.windows_total = k_windows;
  auto advance = [&](bool window_done) {
    ++state.passes_done;
    if (window_done) ++state.windows_done;
    if (progress) progress(state);
  };

  // [K, s] int64 on the CPU; rows are moved to the device as needed.
  BINQ_ASSIGN_OR_RETURN(const at::Tensor ids, TorchCall("perplexity: token ids", [&] {
                          at::Tensor t = at::empty({k_windows, s}, at::kLong);
                          int64_t* out = t.data_ptr<int64_t>();
                          for (const std::vector<int32_t>& w : windows) out = std::copy(w.begin(), w.end(), out);
                          return t;
                        }));

  // Stage 1: embeddings, every window (the reference's catcher on block 0).
  std::vector<at::Tensor> hidden(k_windows);
  BINQ_RETURN_IF_ERROR(OnDevice([&] { return model.embeddings_device(); },
                                [&](const at::Device& d) { return model.EmbeddingsTo(d); }, device,
                                [&]() -> absl::Status {
                                  for (int64_t k = 0; k < k_windows; ++k) {
                                    BINQ_RETURN_IF_CANCELLED(cancel, "perplexity: cancelled");
                                    BINQ_ASSIGN_OR_RETURN(at::Tensor h, model.Embed(ids.narrow(0, k, 1)));
                                    BINQ_ASSIGN_OR_RETURN(hidden[k], TorchCall("perplexity: storing hidden states",
                                                                               [&] { return h.to(store); }));
                                    advance(false);
                                  }
                                  return absl::OkStatus();
                                }));

  // Stage 2: each block on all windows, one window at a time (batch 1).
  BINQ_ASSIGN_OR_RETURN(const at::Tensor mask, model.CausalMask(s, device));
  for (int i = 0; i < model.num_blocks(); ++i) {
    BINQ_RETURN_IF_CANCELLED(cancel, "perplexity: cancelled");
    DecoderBlock& block = model.block(i);
    const absl::Status status = OnDevice(
        [&] { return block.device(); }, [&](const at::Device& d) { return block.To(d); }, device,
        [&]() -> absl::Status {
          for (int64_t k = 0; k < k_windows; ++k) {
            BINQ_RETURN_IF_CANCELLED(cancel, "perplexity: cancelled");
            BINQ_ASSIGN_OR_RETURN(at::Tensor in, TorchCall("perplexity: hidden states to the device",
                                                           [&] { return hidden[k].to(device); }));
            BINQ_ASSIGN_OR_RETURN(at::Tensor out, block.Forward(in, mask));
            in.reset();
            BINQ_ASSIGN_OR_RETURN(hidden[k], TorchCall("perplexity: storing hidden states",
                                                       [&] { return out.to(store); }));
            advance(false);
          }
          return absl::OkStatus();
        });
    BINQ_RETURN_IF_ERROR(WithContext(status, absl::StrCat("perplexity: block ", i)));
  }

  // Stage 3: head and loss per window (eval_ppl_utils.py opt_eval).
  PerplexityResult result;
  result.windows = k_windows;
  result.seqlen = s;
  result.tokens = k_windows * s;
  std::vector<at::Tensor> nlls;
  BINQ_RETURN_IF_ERROR(OnDevice(
      [&] { return model.head_device(); }, [&](const at::Device& d) { return model.HeadTo(d); }, device,
      [&]() -> absl::Status {
        for (int64_t k = 0; k < k_windows; ++k) {
          BINQ_RETURN_IF_CANCELLED(cancel, "perplexity: cancelled");
          BINQ_ASSIGN_OR_RETURN(at::Tensor in, TorchCall("perplexity: hidden states to the device",
                                                         [&] { return hidden[k].to(device); }));
          hidden[k].reset();
          BINQ_ASSIGN_OR_RETURN(const at::Tensor logits, model.Head(in));
          BINQ_RETURN_IF_ERROR(TorchCall(absl::StrCat("perplexity: loss of window ", k), [&] {
            const int64_t vocab = logits.size(-1);
            // shift_logits = lm_logits[:, :-1, :].contiguous()
            const at::Tensor shift_logits = logits.narrow(1, 0, s - 1).contiguous();
            // shift_labels = window[:, 1:]
            const at::Tensor shift_labels = ids.narrow(0, k, 1).narrow(1, 1, s - 1).to(device);
            // nn.CrossEntropyLoss() (mean) on the model-dtype logits.
            const at::Tensor loss =
                at::cross_entropy_loss(shift_logits.view({-1, vocab}), shift_labels.reshape({-1}));
            // neg_log_likelihood = loss.float() * model.seqlen
            const at::Tensor loss_f = loss.to(at::kFloat);
            nlls.push_back(loss_f * s);
            result.window_losses.push_back(loss_f.item<float>());
          }));
          advance(true);
        }
        return absl::OkStatus();
      }));

  // ppl = torch.exp(torch.stack(nlls).sum() / (nsamples * model.seqlen))
  BINQ_ASSIGN_OR_RETURN(const float ppl, TorchCall("perplexity: total", [&] {
                          return at::stack(nlls).sum().div(k_windows * s).exp().item<float>();
                        }));
  result.perplexity = ppl;
  return result;
}

}  // namespace binq::core
