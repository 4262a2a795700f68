#!/usr/bin/env python3
"""Regenerates the checkpoint fixtures in this folder with real torch,
transformers and huggingface_hub (the .venv of the repository):

    .venv/bin/python tests/data/checkpoints/make_fixtures.py

Every file here except this script and README-like notes is written by it.
The outputs depend only on the fixed seeds below (and on the library
versions, printed into versions.txt), so rerunning it gives the same values.

Layout (see tests/data/SOURCES.md):
  torch_dtypes/pytorch_model.bin     torch.save of a dict covering every dtype,
                                     views (transposed, strided, offset,
                                     expanded), tied names, a scalar, an empty
                                     tensor; pickle protocol 2 (the default)
  torch_protocol4/pytorch_model.bin  the same dict with pickle_protocol=4
  torch_params/pytorch_model.bin     nn.Parameter values (_rebuild_parameter)
  torch_legacy/pytorch_model.bin     the pre-1.6 format (not a zip)
  torch_evil/pytorch_model.bin       a pickle that would call os.system
  opt_bin_single/                    torch.save(model.state_dict()) of a tiny
                                     OPT (fp16, lm_head tied to the embedding)
  opt_bin_sharded/                   huggingface_hub.save_torch_state_dict(
                                     safe_serialization=False): sharded .bin
                                     with pytorch_model.bin.index.json
  opt_safetensors_single/            transformers save_pretrained
  opt_safetensors_sharded/           save_pretrained(max_shard_size=...)
  expected/*.safetensors             the expected values, contiguous, written
                                     by the `safetensors` library
"""
import collections
import json
import os
import shutil
import sys

import huggingface_hub
import safetensors
import safetensors.torch
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def dtypes_state_dict():
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(6, 4, generator=g)
    tied = torch.randn(3, 2, generator=g).half()
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(3, 5, generator=g)
    sd["f16"] = torch.randn(4, 6, generator=g).half()
    sd["bf16"] = torch.randn(2, 3, 4, generator=g).bfloat16()
    sd["f64"] = torch.randn(3, generator=g).double()
    sd["i64"] = torch.arange(-3, 5, dtype=torch.int64)
    sd["i32"] = torch.tensor([-(2**31), 0, 2**31 - 1], dtype=torch.int32)
    sd["i16"] = torch.tensor([-300, 7], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    # Views: non-contiguous ones must be materialized by the reader.
    sd["transposed"] = torch.randn(5, 7, generator=g).t()
    sd["base"] = base
    sd["row_of_base"] = base[3]           # shares base's storage, offset 12
    sd["strided"] = base[1:, 1::2]        # offset 5, strides (4, 2)
    sd["expanded"] = torch.randn(3, 1, generator=g).expand(3, 4)  # stride 0
    sd["tied_a"] = tied
    sd["tied_b"] = tied                   # same tensor under two names
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 4)
    return sd


def save_expected(sd, name):
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    safetensors.torch.save_file(
        {k: v.detach().contiguous().clone() for k, v in sd.items()},
        os.path.join(HERE, "expected", name))


def tiny_opt():
    torch.manual_seed(4321)
    config = transformers.OPTConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=2, ffn_dim=32,
        num_attention_heads=2, max_position_embeddings=32,
        word_embed_proj_dim=16, pad_token_id=1, bos_token_id=2,
        eos_token_id=2)
    model = transformers.OPTForCausalLM(config).half().eval()
    # Random LayerNorm parameters too, so no tensor is all ones or zeros.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name or name.endswith("bias"):
                p.copy_(torch.randn_like(p.float()).half())
    return model


def main():
    sd = dtypes_state_dict()
    torch.save(sd, os.path.join(fresh("torch_dtypes"), "pytorch_model.bin"))
    torch.save(sd, os.path.join(fresh("torch_protocol4"), "pytorch_model.bin"),
               pickle_protocol=4)
    save_expected(sd, "torch_dtypes.safetensors")

    lin = torch.nn.Linear(3, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        lin.bias.copy_(torch.tensor([-1.0, 0.5]))
    params = collections.OrderedDict(lin.named_parameters())
    torch.save(params, os.path.join(fresh("torch_params"), "pytorch_model.bin"))
    save_expected(params, "torch_params.safetensors")

    torch.save({"w": torch.ones(2)},
               os.path.join(fresh("torch_legacy"), "pytorch_model.bin"),
               _use_new_zipfile_serialization=False)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo unpickled > /dev/null",))

    torch.save({"w": torch.ones(2), "x": Evil()},
               os.path.join(fresh("torch_evil"), "pytorch_model.bin"))

    model = tiny_opt()
    state = model.state_dict()  # lm_head.weight shares the embedding
    save_expected(state, "opt.safetensors")

    d = fresh("opt_bin_single")
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    model.config.save_pretrained(d)

    d = fresh("opt_bin_sharded")
    untied = {k: v for k, v in state.items() if k != "lm_head.weight"}
    huggingface_hub.save_torch_state_dict(
        untied, d, safe_serialization=False, max_shard_size=4000)
    model.config.save_pretrained(d)

    d = fresh("opt_safetensors_single")
    model.save_pretrained(d)

    d = fresh("opt_safetensors_sharded")
    model.save_pretrained(d, max_shard_size=4000)

    # Each checkpoint must load in transformers with the exact values.
    for name in ("opt_bin_single", "opt_bin_sharded", "opt_safetensors_single",
                 "opt_safetensors_sharded"):
        loaded = transformers.AutoModelForCausalLM.from_pretrained(
            os.path.join(HERE, name), dtype=torch.float16)
        for k, v in state.items():
            got = loaded.state_dict()[k]
            assert torch.equal(got, v), (name, k)

    with open(os.path.join(HERE, "versions.txt"), "w") as f:
        f.write(f"python {sys.version.split()[0]}\ntorch {torch.__version__}\n"
                f"transformers {transformers.__version__}\n"
                f"huggingface_hub {huggingface_hub.__version__}\n"
                f"safetensors {safetensors.__version__}\n")
    print("fixtures written to", HERE)


if __name__ == "__main__":
    main()
