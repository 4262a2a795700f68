#!/usr/bin/env python3
"""binq's tokenizers against the `tokenizers` library, per tokenizer kind.

Writes a text of --mb MB (the fixtures' golden strings and the cross-check
generator's texts, shuffled, one per line; deterministic), then for each
fixture folder times binq (bench binary: LoadTokenizer, and LoadHfJsonTokenizer
on the folder's tokenizer.json) and `tokenizers` (Tokenizer.from_file(...)
.encode(text), fresh object, best of --repeat), and prints a table with the
ratio library_s / binq_s (> 1: binq is faster). Ratios, not assertions: the
machine is shared.

  bench/tokenizer_kinds_bench.py --binary build/bench/binq-bench-tokenizer-kinds [--mb 4]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "core", "text"))
from hf_crosscheck import make_text  # noqa: E402

FIXTURES = ["sentencepiece-llama", "sentencepiece-gemma", "bpe-llama3", "bpe-qwen2"]


def make_corpus(mb, seed):
    rng = random.Random(seed)
    golden = []
    for name in FIXTURES:
        with open(os.path.join(ROOT, "tests", "data", name, "golden.jsonl"), encoding="utf-8") as f:
            golden += [json.loads(line)["text"] for line in f if line.strip()]
    lines, size = [], 0
    while size < mb * 1_000_000:
        line = rng.choice(golden) if rng.random() < 0.5 else make_text(rng, assigned_only=True)
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines)


def run_binq(binary, folder, path, use_json):
    cmd = [binary, "--tokenizer", folder, "--text", path] + (["--json"] if use_json else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    fields = dict(kv.split("=", 1) for kv in out.split())
    return fields


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--mb", type=float, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from tokenizers import Tokenizer

    text = make_corpus(args.mb, args.seed)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write(text)
        path = f.name
    print(f"text: {len(text.encode('utf-8'))} bytes, {len(text)} characters")
    print("| fixture | binq tokenizer | binq cold s | binq warm s | tokenizers s | library/binq (cold) |")
    print("|---|---|---|---|---|---|")
    for name in FIXTURES:
        folder = os.path.join(ROOT, "tests", "data", name)
        best = float("inf")
        for _ in range(args.repeat):
            tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
            start = time.perf_counter()
            lib_ids = tok.encode(text).ids
            best = min(best, time.perf_counter() - start)
        runs = [("LoadTokenizer", False)] + ([("tokenizer.json", True)] if name.startswith("sentencepiece") else [])
        for label, use_json in runs:
            r = run_binq(args.binary, folder, path, use_json)
            same = ""
            if use_json or name.startswith("bpe"):
                same = " (same id count)" if int(r["ids"]) == len(lib_ids) else " (id count differs)"
            print(f"| {name} | {r['kind']}{same} | {float(r['cold_s']):.3f} | {float(r['warm_s']):.3f} | "
                  f"{best:.3f} | {best / float(r['cold_s']):.2f} |")
    os.unlink(path)


if __name__ == "__main__":
    main()
