#!/usr/bin/env python3
"""Writes tiny random OPT checkpoints and what transformers computes on them.

Used by binq's model and perplexity parity tests (tests/core/model,
tests/core/eval); run as `make_opt_fixtures.py OUT_DIR`. For every case in
CASES it writes OUT_DIR/<case>/ with

  config.json, model.safetensors   OPTForCausalLM.save_pretrained (safetensors)
  io.safetensors                   ids_<j> [b, s] int64 and the logits of
                                   transformers (attn_implementation="eager")
                                   logits_<j> [b, s, vocab] in the model dtype;
                                   embed_<j> (input of layer 0) and block<i>_<j>
                                   (output of layer i) for every layer;
                                   lin_in.<name> for batch 0: the input each
                                   linear of layer 0 saw (as HF passes it);
  ppl.safetensors                  windows [K, s] int64, window_losses [K] fp32
                                   and ppl [1] fp32, computed as BiLLM's
                                   eval_ppl_utils.opt_eval does (ALGORITHMS.md
                                   §8.5): per window fp16 logits, last position
                                   dropped, CrossEntropyLoss (mean) on them,
                                   loss.float() * seqlen, exp(sum / (K*seqlen)).

OUT_DIR/structures.json maps each config of tests/data/opt-configs to the
tensor names and shapes of the OPTForCausalLM transformers builds for it.

Weights are re-drawn with scales that give O(1) activations (the HF init,
std 0.02, would make every logit ~0 and the comparison meaningless).
Deterministic: fixed seeds, one CPU thread.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import OPTConfig, OPTForCausalLM

torch.set_num_threads(1)

BASE = dict(vocab_size=97, hidden_size=24, num_hidden_layers=2, ffn_dim=40, num_attention_heads=3,
            max_position_embeddings=40, word_embed_proj_dim=24)

# name → (config overrides, dtype)
CASES = {
    # pre-LN like opt-125m … 66b; 3 heads of 8.
    "pre_f32": (dict(), torch.float32),
    "pre_f16": (dict(), torch.float16),
    # post-LN with project_in/project_out like opt-350m; 5 heads of 4.
    "post_proj_f32": (dict(hidden_size=20, word_embed_proj_dim=12, num_attention_heads=5, ffn_dim=36,
                           do_layer_norm_before=False, num_hidden_layers=3), torch.float32),
    "post_proj_f16": (dict(hidden_size=20, word_embed_proj_dim=12, num_attention_heads=5, ffn_dim=36,
                           do_layer_norm_before=False, num_hidden_layers=3), torch.float16),
    # No biases, LayerNorms without affine parameters, no final LayerNorm,
    # an untied lm_head, and one head.
    "bare_f32": (dict(enable_bias=False, layer_norm_elementwise_affine=False, _remove_final_layer_norm=True,
                      tie_word_embeddings=False, num_attention_heads=1), torch.float32),
    # bfloat16 with a GELU MLP and 7 heads of 4 (softmax upcast for bf16).
    "gelu_bf16": (dict(hidden_size=28, word_embed_proj_dim=28, num_attention_heads=7,
                       activation_function="gelu"), torch.bfloat16),
}
PPL_CASES = ("pre_f32", "pre_f16", "post_proj_f16")


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name and name.endswith(".weight"):
                v = 1.0 + 0.2 * torch.randn(p.shape, generator=g)
            elif name.endswith(".bias"):
                v = 0.2 * torch.randn(p.shape, generator=g)
            elif "embed" in name:
                v = 0.5 * torch.randn(p.shape, generator=g)
            else:  # linear weights [out, in]
                v = torch.randn(p.shape, generator=g) * (1.5 / p.shape[1] ** 0.5)
            p.copy_(v.to(p.dtype))


def main(out_dir):
    for index, (case, (overrides, dtype)) in enumerate(CASES.items()):
        d = os.path.join(out_dir, case)
        os.makedirs(d, exist_ok=True)
        cfg = OPTConfig(**{**BASE, **overrides}, attn_implementation="eager")
        torch.manual_seed(index)
        model = OPTForCausalLM(cfg)
        randomize(model, 100 + index)
        model = model.to(dtype).eval()
        model.config._attn_implementation = "eager"
        assert model.config._attn_implementation == "eager", model.config._attn_implementation
        model.save_pretrained(d, safe_serialization=True)

        g = torch.Generator().manual_seed(200 + index)
        v, n = cfg.vocab_size, cfg.max_position_embeddings
        batches = [torch.randint(0, v, (2, 17), generator=g), torch.randint(0, v, (1, n), generator=g)]
        io = {}
        layers = model.model.decoder.layers
        for j, ids in enumerate(batches):
            captured = {}
            hooks = [layers[0].register_forward_pre_hook(
                lambda m, args, kw=None: captured.__setitem__("embed", args[0].clone()))]
            for i, layer in enumerate(layers):
                hooks.append(layer.register_forward_hook(
                    lambda m, args, out, i=i: captured.__setitem__(
                        f"block{i}", (out[0] if isinstance(out, tuple) else out).clone())))
            if j == 0:
                for lname in ("self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj",
                              "fc1", "fc2"):
                    hooks.append(layers[0].get_submodule(lname).register_forward_pre_hook(
                        lambda m, args, lname=lname: captured.__setitem__(f"lin_in.{lname}", args[0].clone())))
            with torch.no_grad():
                logits = model(ids).logits
            for h in hooks:
                h.remove()
            io[f"ids_{j}"] = ids.contiguous()
            io[f"logits_{j}"] = logits.contiguous()
            for key, t in captured.items():
                io[key if key.startswith("lin_in.") else f"{key}_{j}"] = t.contiguous()
        save_file(io, os.path.join(d, "io.safetensors"))

        if case in PPL_CASES:
            seqlen, k = 32, 3
            windows = torch.randint(0, v, (k, seqlen), generator=g)
            nlls, losses = [], []
            loss_fct = torch.nn.CrossEntropyLoss()
            with torch.no_grad():
                for i in range(k):
                    w = windows[i:i + 1]
                    lm_logits = model(w).logits
                    shift_logits = lm_logits[:, :-1, :].contiguous()
                    shift_labels = w[:, 1:]
                    loss = loss_fct(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.reshape(-1))
                    losses.append(loss.float())
                    nlls.append(loss.float() * seqlen)
                ppl = torch.exp(torch.stack(nlls).sum() / (k * seqlen))
            save_file({"windows": windows.contiguous(), "window_losses": torch.stack(losses).contiguous(),
                       "ppl": ppl.reshape(1).contiguous()}, os.path.join(d, "ppl.safetensors"))
    # The real configs of tests/data/opt-configs: the tensors transformers'
    # OPTForCausalLM has for them (names and shapes, built on the meta device).
    config_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "opt-configs")
    structures = {}
    for name in ("opt-125m", "opt-350m", "opt-66b"):
        with open(os.path.join(config_dir, name + ".json")) as f:
            cfg = OPTConfig.from_dict(json.load(f))
        with torch.device("meta"):
            model = OPTForCausalLM(cfg)
        structures[name] = {k: list(v.shape) for k, v in model.state_dict().items()}
    with open(os.path.join(out_dir, "structures.json"), "w") as f:
        json.dump(structures, f)
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(sorted(CASES), f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_opt_fixtures.py OUT_DIR")
    main(sys.argv[1])
