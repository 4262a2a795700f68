#!/usr/bin/env python3
"""Writes tiny random LLaMA-style checkpoints and what transformers computes.

Used by binq's parity tests of the LLaMA-style families (llama, mistral,
qwen2, qwen3, gemma3_text; tests/core/model/llama_model_test.cc); run as
`make_llama_fixtures.py OUT_DIR`. For every case in CASES it writes
OUT_DIR/<case>/ with

  config.json, model*.safetensors  save_pretrained (safetensors; some cases
                                   sharded, some with config.json rewritten
                                   to the older rope_scaling/rope_theta form)
  io.safetensors                   ids_<j> [b, s] int64; logits_<j> of the
                                   model transformers loads back from the
                                   folder (from_pretrained, dtype="auto",
                                   attn_implementation="eager"); embed_<j>
                                   (input of layer 0), block<i>_<j> (output
                                   of layer i); lin_in.<name> for batch 0:
                                   the input each linear of layer 0 saw;
  ppl.safetensors                  windows [K, s], ppl [1] fp32 as the
                                   references' llama_eval computes it
                                   (ALGORITHMS.md §8.5).

Sizes are odd on purpose (GQA ratios 3:1 and 2:1, head_dim ≠ hidden/heads,
windows shorter than the sequence). Weights are re-drawn with scales that
give O(1) activations. Deterministic: fixed seeds, one CPU thread.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

torch.set_num_threads(1)

FAMILIES = {
    "llama": (LlamaConfig, LlamaForCausalLM),
    "mistral": (MistralConfig, MistralForCausalLM),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM),
    "qwen3": (Qwen3Config, Qwen3ForCausalLM),
    "gemma3_text": (Gemma3TextConfig, Gemma3ForCausalLM),
}

BASE = dict(vocab_size=97, hidden_size=24, intermediate_size=40, num_hidden_layers=2, num_attention_heads=3,
            num_key_value_heads=1, max_position_embeddings=48, rms_norm_eps=1e-5)

# name → (family, config overrides, dtype, extras). extras: "shard" (a
# max_shard_size), "legacy_rope" (rewrite config.json to rope_theta +
# rope_scaling {"type": …}).
CASES = {
    # GQA 3:1, default RoPE, untied.
    "llama_f32": ("llama", dict(), torch.float32, {}),
    # Biases everywhere, tied, explicit head_dim 6 (≠ 32/4), linear RoPE, GQA 2:1.
    "llama_bias_tied_f16": ("llama", dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=6,
                                          attention_bias=True, mlp_bias=True, tie_word_embeddings=True,
                                          rope_parameters=dict(rope_type="linear", factor=2.0, rope_theta=500.0)),
                            torch.float16, {}),
    # LLaMA-3.1 RoPE (original context 16 so that all three bands occur), bf16, sharded.
    "llama3_bf16_sharded": ("llama", dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=2,
                                          rope_parameters=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                               high_freq_factor=4.0,
                                                               original_max_position_embeddings=16,
                                                               rope_theta=500000.0)),
                            torch.bfloat16, {"shard": "20KB"}),
    # Dynamic NTK RoPE, written in the older config form.
    "llama_dynamic_legacy_f32": ("llama", dict(num_attention_heads=4, num_key_value_heads=4, hidden_size=32,
                                               rope_parameters=dict(rope_type="dynamic", factor=2.0,
                                                                    rope_theta=10000.0)),
                                 torch.float32, {"legacy_rope": True}),
    # Sliding window 5 < the sequence on every layer.
    "mistral_window_f32": ("mistral", dict(num_attention_heads=4, num_key_value_heads=2, hidden_size=32,
                                           sliding_window=5), torch.float32, {}),
    "mistral_nowindow_bf16": ("mistral", dict(sliding_window=None), torch.bfloat16, {}),
    # q/k/v biases; layer 1 (≥ max_window_layers) slides, tied.
    "qwen2_window_f32": ("qwen2", dict(use_sliding_window=True, sliding_window=6, max_window_layers=1,
                                       tie_word_embeddings=True, rope_parameters=dict(rope_type="default",
                                                                                      rope_theta=1000000.0)),
                         torch.float32, {}),
    "qwen2_f16": ("qwen2", dict(num_attention_heads=4, num_key_value_heads=2, hidden_size=32), torch.float16, {}),
    # Per-head q/k norms, head_dim 10 (q width 40 ≠ hidden 24), o_proj bias too.
    "qwen3_f32": ("qwen3", dict(num_attention_heads=4, num_key_value_heads=2, head_dim=10, attention_bias=True),
                  torch.float32, {}),
    "qwen3_tied_bf16": ("qwen3", dict(head_dim=8, tie_word_embeddings=True), torch.bfloat16, {"shard": "15KB"}),
    # Local/global pattern (two RoPE bases, linear scaling on the global
    # layers), query_pre_attn_scalar, window 5.
    "gemma3_bf16": ("gemma3_text", dict(num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                                        head_dim=8, sliding_window=5, query_pre_attn_scalar=6,
                                        layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                                        rope_parameters={
                                            "sliding_attention": dict(rope_type="default", rope_theta=10000.0),
                                            "full_attention": dict(rope_type="linear", factor=2.0,
                                                                   rope_theta=1000000.0)}),
                    torch.bfloat16, {}),
    # Soft-capping of the logits (attn_logit_softcapping is set too, and
    # transformers' Gemma3Attention ignores it), the older pattern field.
    "gemma3_softcap_f32": ("gemma3_text", dict(num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                               head_dim=12, sliding_window=4, sliding_window_pattern=2,
                                               attn_logit_softcapping=3.0, final_logit_softcapping=5.0),
                           torch.float32, {}),
}
PPL_CASES = ("llama_f32", "qwen2_f16", "gemma3_bf16")
LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
           "mlp.up_proj", "mlp.down_proj")


def randomize(model, seed, gemma):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:  # Gemma multiplies by (1 + w)
                v = (0.0 if gemma else 1.0) + 0.2 * torch.randn(p.shape, generator=g)
            elif name.endswith(".bias"):
                v = 0.2 * torch.randn(p.shape, generator=g)
            elif "embed" in name:
                v = (0.15 if gemma else 0.5) * torch.randn(p.shape, generator=g)
            else:  # linear weights [out, in]
                v = torch.randn(p.shape, generator=g) * (1.5 / p.shape[1] ** 0.5)
            p.copy_(v.to(p.dtype))


def to_legacy_rope(d):
    path = os.path.join(d, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    rope["type"] = rope.pop("rope_type")
    cfg["rope_scaling"] = rope
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def capture(model, ids, with_linears):
    layers = model.model.layers
    captured = {}
    hooks = [layers[0].register_forward_pre_hook(
        lambda m, args, kw: captured.__setitem__("embed", (args[0] if args else kw["hidden_states"]).clone()),
        with_kwargs=True)]
    for i, layer in enumerate(layers):
        hooks.append(layer.register_forward_hook(
            lambda m, args, out, i=i: captured.__setitem__(
                f"block{i}", (out[0] if isinstance(out, tuple) else out).clone())))
    if with_linears:
        for lname in LINEARS:
            hooks.append(layers[0].get_submodule(lname).register_forward_pre_hook(
                lambda m, args, lname=lname: captured.__setitem__(f"lin_in.{lname}", args[0].clone())))
    with torch.no_grad():
        logits = model(ids).logits
    for h in hooks:
        h.remove()
    return logits, captured


def perplexity(model, windows):
    nlls = []
    loss_fct = torch.nn.CrossEntropyLoss()
    seqlen = windows.shape[1]
    with torch.no_grad():
        for i in range(windows.shape[0]):
            w = windows[i:i + 1]
            lm_logits = model(w).logits
            shift_logits = lm_logits[:, :-1, :].contiguous()
            loss = loss_fct(shift_logits.view(-1, shift_logits.size(-1)), w[:, 1:].reshape(-1))
            nlls.append(loss.float() * seqlen)
    return torch.exp(torch.stack(nlls).sum() / (windows.shape[0] * seqlen))


def main(out_dir):
    for index, (case, (family, overrides, dtype, extras)) in enumerate(CASES.items()):
        d = os.path.join(out_dir, case)
        os.makedirs(d, exist_ok=True)
        config_cls, model_cls = FAMILIES[family]
        cfg = config_cls(**{**BASE, **overrides})
        torch.manual_seed(index)
        model = model_cls(cfg)
        randomize(model, 100 + index, family == "gemma3_text")
        model = model.to(dtype).eval()
        kwargs = {"max_shard_size": extras["shard"]} if "shard" in extras else {}
        model.save_pretrained(d, safe_serialization=True, **kwargs)
        if extras.get("legacy_rope"):
            to_legacy_rope(d)
        # The reference is what a user gets loading the folder.
        ref = model_cls.from_pretrained(d, dtype="auto", attn_implementation="eager").eval()
        assert ref.dtype == dtype and ref.config._attn_implementation == "eager"

        g = torch.Generator().manual_seed(200 + index)
        v, n = cfg.vocab_size, cfg.max_position_embeddings
        batches = [torch.randint(0, v, (2, 17), generator=g), torch.randint(0, v, (1, n), generator=g)]
        io = {}
        for j, ids in enumerate(batches):
            logits, captured = capture(ref, ids, j == 0)
            io[f"ids_{j}"] = ids.contiguous()
            io[f"logits_{j}"] = logits.contiguous()
            for key, t in captured.items():
                io[key if key.startswith("lin_in.") else f"{key}_{j}"] = t.contiguous()
        save_file(io, os.path.join(d, "io.safetensors"))
        if case in PPL_CASES:
            windows = torch.randint(0, v, (3, 32), generator=g)
            save_file({"windows": windows.contiguous(), "ppl": perplexity(ref, windows).reshape(1).contiguous()},
                      os.path.join(d, "ppl.safetensors"))
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(sorted(CASES), f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_llama_fixtures.py OUT_DIR")
    main(sys.argv[1])
