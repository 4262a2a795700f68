#!/usr/bin/env python3
"""Reference encodings for HfJsonCrossCheck* (tokenizer.json tokenizers).

Generates texts with hf_crosscheck.py's generator (mixed scripts, digits,
contractions, whitespace runs, emoji, combining marks, controls,
special-token strings) and writes one JSON object per line:

  set     "hf": only code points assigned in Python's Unicode database (the
          `tokenizers` library's Oniguruma may know an older Unicode than
          Python's `regex`); "full": any code point.
  text    the text
  ids     (set "hf") tokenizers.Tokenizer.from_file(DIR/tokenizer.json)
          .encode(text, add_special_tokens=True).ids
  llama3  regex.findall(LLaMA-3's split pattern, text) with Python's `regex`
  qwen2   the same with Qwen2's pattern

Usage: hf_json_crosscheck.py --tokenizer DIR --out FILE [--count N] [--full N] [--seed S]
"""
import argparse
import json
import os
import random
import sys

import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_crosscheck import make_text  # noqa: E402  (same generator as the GPT-2 cross-check)

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--full", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()

    from tokenizers import Tokenizer  # late: --help works without it
    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    llama3, qwen2 = regex.compile(LLAMA3), regex.compile(QWEN2)
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        for index in range(args.count + args.full):
            full = index >= args.count
            text = make_text(rng, assigned_only=not full)
            row = {"set": "full" if full else "hf", "text": text, "llama3": llama3.findall(text),
                   "qwen2": qwen2.findall(text)}
            if not full:
                row["ids"] = tok.encode(text, add_special_tokens=True).ids
            out.write(json.dumps(row, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
