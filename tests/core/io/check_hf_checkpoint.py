#!/usr/bin/env python3
"""Checks a checkpoint folder written by binq's CheckpointWriter with the
real Hugging Face libraries:

    check_hf_checkpoint.py EXPECTED.safetensors DIR [DIR ...]

* every weight file opens with `safetensors` and has __metadata__
  {"format": "pt"}; with an index, its weight_map covers exactly the tensors
  in the files and total_size is their byte count;
* transformers.AutoModelForCausalLM.from_pretrained(DIR) loads it, and every
  tensor of EXPECTED equals (torch.equal: same dtype, shape and bits) the
  loaded model's tensor of that name.

Prints "DIR: OK <n> tensors" per folder and exits 0, or raises (non-zero
exit) at the first difference.
"""
import json
import os
import sys

import safetensors
import safetensors.torch
import torch
import transformers


def check(folder, expected):
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
        files = sorted(set(index["weight_map"].values()))
    else:
        index = None
        files = ["model.safetensors"]

    in_files = {}
    total = 0
    for name in files:
        with safetensors.safe_open(os.path.join(folder, name), "pt") as f:
            assert f.metadata().get("format") == "pt", (name, f.metadata())
            for key in f.keys():
                t = f.get_tensor(key)
                assert key not in in_files, key
                in_files[key] = name
                total += t.numel() * t.element_size()
                assert torch.equal(t, expected[key]), key
    if index is not None:
        assert index["weight_map"] == in_files, "weight_map != file contents"
        assert index["metadata"]["total_size"] == total, (
            index["metadata"], total)
    assert set(in_files) <= set(expected), set(in_files) - set(expected)

    model = transformers.AutoModelForCausalLM.from_pretrained(
        folder, dtype=torch.float16)
    state = model.state_dict()
    for key, want in expected.items():
        assert key in state, key
        assert torch.equal(state[key], want), key
    print(f"{folder}: OK {len(expected)} tensors")


def main():
    expected = safetensors.torch.load_file(sys.argv[1])
    for folder in sys.argv[2:]:
        check(folder, expected)


if __name__ == "__main__":
    main()
