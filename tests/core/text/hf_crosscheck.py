#!/usr/bin/env python3
"""Reference encodings for the C++ tokenizer tests (HfCrossCheck*).

Generates texts from a fixed seed — mixed scripts, digits, contractions,
whitespace runs (CR/LF, NBSP, U+2028, ...), emoji, combining marks, NUL and
other controls, special-token strings — and writes one JSON object per line:

  set      "hf": code points assigned in Python's Unicode database, so
           transformers' tokenizer (its regex engine may know an older Unicode)
           and Python's `regex` agree; "full": any code point.
  text     the text
  pieces   regex.findall(GPT-2 pattern, text) with Python's `regex`
  ref      ids from a plain byte-level BPE on those pieces (the slow
           GPT2Tokenizer's algorithm, written out here; no added tokens)
  hf       (set "hf") AutoTokenizer.from_pretrained(dir, use_fast=False)
           (text, add_special_tokens=False).input_ids
  hf_model (set "hf") the same with the default add_special_tokens=True

Usage: hf_crosscheck.py --tokenizer DIR --out FILE [--count N] [--full N] [--seed S]
Exit status 0 also checks that "hf" and "ref" agree wherever the text holds
no added token (both are references; a disagreement is reported, not hidden).
"""
import argparse
import json
import os
import random
import sys
import unicodedata

import regex

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

WORDS = ["the", "The", "quick", "brown", "fox", "don't", "I'm", "we'll", "they've", "you're", "He'd",
         "it's", "IT'S", "O'Neil", "rock'n'roll", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S",
         "''s", "naïve", "café", "Zürich", "straße", "ΑΘΗΝΑ", "αβγ", "Москва", "привет", "日本語",
         "中文字符", "한국어", "ไทย", "हिन्दी", "العربية", "עברית", "ፊደል", "Ελληνικά", "ǅemal",
         "ﬁne", "Valkyria", "Chronicles", "unk", "@-@", "@,@", "@.@"]
NUMBERS = ["0", "7", "42", "1234567", "3.14", "1,000", "-5", "1e9", "٣٤٥", "४२", "Ⅻ", "½", "²",
           "①", "𝟙𝟚", "2026-11-22", "000"]
PUNCT = [".", ",", "!?", "...", "—", "–", "“", "”", "‘", "’", "'", "\"", "(", ")", "[", "]", "{",
         "}", "<", ">", "/", "\\", "#", "$", "%", "&", "*", "+", "=", "~", "^", "_", "|", "`", ";",
         ":", "§", "©", "®", "™", "€", "£", "¥", "'''", "--", "!!!"]
SPACES = [" ", "  ", "   ", "    ", "\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r", " \n ", "\t \t",
          "\u00a0", "\u3000", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c", "\x1f",
          "\u200b", "\u2009", "\u202f", "\u205f", "\u1680", "\ufeff", " \u00a0 "]
EMOJI = ["🙂", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇩🇪", "❤️", "🤷‍♀️", "😀😃", "🏳️‍🌈", "⌚", "🧑🏿‍💻"]
COMBINING = ["e\u0301", "a\u0308\u0304", "n\u0303", "\u0301", "Z\u0351\u0352\u0353", "\u093f",
             "ก\u0e35", "\u20dd", "x\u0327\u0327"]
CONTROLS = ["\x00", "\x01", "\x7f", "\x00\x00", "\u200d", "\u200e", "\ufffd", "\U000e0041"]
SPECIALS = ["<|endoftext|>", "</s>", "<pad>", "<s>", "<unk>", "</s></s>", "<|endoftext|><|endoftext|>",
            "</", "<pad", "s>"]


def random_code_point(rng, assigned_only):
    while True:
        cp = rng.choice([rng.randrange(0x80, 0x800), rng.randrange(0x800, 0x10000),
                         rng.randrange(0x10000, 0x40000), rng.randrange(0x40000, 0x110000)])
        if 0xD800 <= cp < 0xE000:
            continue
        if assigned_only and unicodedata.category(chr(cp)) == "Cn":
            continue
        return chr(cp)


def make_text(rng, assigned_only):
    kind = rng.random()
    if kind < 0.05:  # long runs: one class repeated
        unit = rng.choice(["a", "!", " ", "\n", "7", "é", "中", "🙂", "'s", " a", "\u0301"])
        return unit * rng.randrange(50, 400)
    parts = []
    for _ in range(rng.randrange(0, 30)):
        r = rng.random()
        if r < 0.30:
            parts.append(rng.choice(WORDS))
        elif r < 0.40:
            parts.append(rng.choice(NUMBERS))
        elif r < 0.52:
            parts.append(rng.choice(PUNCT))
        elif r < 0.70:
            parts.append(rng.choice(SPACES))
        elif r < 0.76:
            parts.append(rng.choice(EMOJI))
        elif r < 0.82:
            parts.append(rng.choice(COMBINING))
        elif r < 0.86:
            parts.append(rng.choice(CONTROLS))
        elif r < 0.90:
            parts.append(rng.choice(SPECIALS))
        else:
            parts.append("".join(random_code_point(rng, assigned_only) for _ in range(rng.randrange(1, 4))))
    sep = rng.choice(["", " ", " ", "\n"])
    return sep.join(parts)


def bytes_to_unicode():
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) +
                 list(range(0xAE, 0x100)))
    mapping, extra = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


class ReferenceBpe:
    """Plain byte-level BPE: the lowest-ranked adjacent pair, merged at every
    occurrence left to right, until no pair has a rank."""

    def __init__(self, directory):
        with open(os.path.join(directory, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(os.path.join(directory, "merges.txt"), encoding="utf-8") as f:
            lines = [l for l in f.read().split("\n") if l and not l.startswith("#version")]
        self.ranks = {tuple(l.split(" ")): i for i, l in enumerate(lines)}
        self.byte_map = bytes_to_unicode()

    def word(self, piece):
        word = [self.byte_map[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return [self.vocab[t] for t in word]

    def encode(self, text):
        return [i for piece in PATTERN.findall(text) for i in self.word(piece)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=400, help="texts checked against transformers")
    parser.add_argument("--full", type=int, default=200, help="texts with any code point (regex only)")
    parser.add_argument("--seed", type=int, default=20260501)
    args = parser.parse_args()

    from transformers import AutoTokenizer  # late: slow import, and --help works without it
    hf = AutoTokenizer.from_pretrained(args.tokenizer, use_fast=False)
    added = [t for t in hf.get_added_vocab()]
    ref = ReferenceBpe(args.tokenizer)
    rng = random.Random(args.seed)
    disagreements = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for index in range(args.count + args.full):
            full = index >= args.count
            text = make_text(rng, assigned_only=not full)
            row = {"set": "full" if full else "hf", "text": text, "pieces": PATTERN.findall(text),
                   "ref": ref.encode(text)}
            if not full:
                row["hf"] = hf(text, add_special_tokens=False)["input_ids"]
                row["hf_model"] = hf(text)["input_ids"]
                if not any(a in text for a in added) and row["hf"] != row["ref"]:
                    disagreements += 1
                    print(f"transformers and the regex reference disagree on {text!r}", file=sys.stderr)
            out.write(json.dumps(row, ensure_ascii=True) + "\n")
    if disagreements:
        sys.exit(f"{disagreements} disagreements between transformers and the regex reference")


if __name__ == "__main__":
    main()
