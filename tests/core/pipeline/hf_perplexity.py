#!/usr/bin/env python3
"""Perplexity of a Hugging Face checkpoint with `transformers`, by the
reference protocol (ALGORITHMS.md §8.4–8.5), as an independent check of what
binq-run reports in metrics.json.

  hf_perplexity.py MODEL_DIR... --data-dir DATA_DIR --dataset wikitext2 --seqlen 256

MODEL_DIR: a checkpoint folder (binq-run's <out>/model, or the original);
its tokenizer is loaded from the same folder (AutoTokenizer). DATA_DIR: a
binq data root (wikitext-2-raw/wiki.test.raw, ptb/ptb.test.txt). Prints one
JSON line per model: {"model", "dataset", "perplexity", "windows", "tokens",
"test_tokens", "seconds"}.

The model runs as the references run it: float16, eager attention, on the
CPU; one window of `seqlen` tokens at a time (non-overlapping, tail
dropped); cross-entropy on the float16 logits of positions 0..s-2 against
ids 1..s-1; nll = loss * seqlen; ppl = exp(sum nll / (K * seqlen)).
Exit status 2 for bad arguments or missing files (the message names them).
"""
import argparse
import json
import math
import os
import sys
import time


def wikitext_rows(path):
  """§8.1: universal newlines, one row per line with its "\\n" kept, blank
  (whitespace-only) lines become ""."""
  with open(path, encoding="utf-8", newline=None) as f:
    text = f.read()
  rows = []
  start = 0
  while start < len(text):
    end = text.find("\n", start)
    end = len(text) if end < 0 else end + 1
    rows.append(text[start:end])
    start = end
  return ["" if not r.strip() else r for r in rows]


def ptb_lines(path):
  """§8.1: universal newlines, one row per line (stripped by the caller)."""
  with open(path, encoding="utf-8", newline=None) as f:
    text = f.read()
  lines = text.split("\n")
  if lines and lines[-1] == "":
    lines.pop()  # the file's final newline ends the last line; it opens no new one
  return lines


def test_text(data_dir, dataset):
  """§8.4: the joined test split."""
  if dataset == "wikitext2":
    return "\n\n".join(wikitext_rows(os.path.join(data_dir, "wikitext-2-raw", "wiki.test.raw")))
  if dataset == "ptb":
    return " ".join(line.strip() for line in ptb_lines(os.path.join(data_dir, "ptb", "ptb.test.txt")))
  raise ValueError(f"dataset: '{dataset}' is not supported here (wikitext2, ptb)")


def perplexity(model, ids, seqlen):
  import torch
  import torch.nn.functional as F

  k = ids.numel() // seqlen
  if k == 0:
    raise ValueError(f"the test set has {ids.numel()} tokens, fewer than seqlen {seqlen}")
  nlls = []
  with torch.inference_mode():
    for w in range(k):
      x = ids[w * seqlen:(w + 1) * seqlen].unsqueeze(0)
      logits = model(input_ids=x).logits  # [1, s, V] in the model dtype (float16 unless --dtype)
      assert logits.dtype == model.dtype, logits.dtype
      loss = F.cross_entropy(logits[0, :-1, :], x[0, 1:])  # on the model-dtype logits, as the references
      nlls.append(loss.float() * seqlen)
  return math.exp(torch.stack(nlls).sum().item() / (k * seqlen)), k


def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("model_dirs", nargs="+", metavar="MODEL_DIR")
  p.add_argument("--data-dir", required=True, help="binq data root (BINQ_DATA_DIR layout)")
  p.add_argument("--dataset", default="wikitext2", choices=["wikitext2", "ptb"])
  p.add_argument("--seqlen", type=int, required=True)
  p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
  p.add_argument("--dtype", default="float16", choices=["auto", "float16", "bfloat16", "float32"],
                 help="the dtype transformers loads the model in (auto: the config's)")
  p.add_argument("--tokenizer-class", default="AutoTokenizer",
                 help="transformers tokenizer class to load the folder's tokenizer with (AutoTokenizer picks "
                      "one by model_type, e.g. LlamaTokenizerFast for mistral, whatever files the folder has)")
  args = p.parse_args()
  for path in [os.path.join(d, "config.json") for d in args.model_dirs] + [args.data_dir]:
    if not os.path.exists(path):
      print(f"hf_perplexity: {path}: not found", file=sys.stderr)
      return 2
  try:
    text = test_text(args.data_dir, args.dataset)
  except (OSError, ValueError) as e:
    print(f"hf_perplexity: {e}", file=sys.stderr)
    return 2

  import torch
  import transformers
  from transformers import AutoModelForCausalLM

  if args.threads > 0:
    torch.set_num_threads(args.threads)
  for model_dir in args.model_dirs:
    start = time.time()
    tok = getattr(transformers, args.tokenizer_class).from_pretrained(model_dir)
    ids = torch.tensor(tok(text)["input_ids"], dtype=torch.long)
    dtype = args.dtype if args.dtype == "auto" else getattr(torch, args.dtype)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype,
                                                 attn_implementation="eager").eval()
    ppl, k = perplexity(model, ids, args.seqlen)
    print(json.dumps({"model": model_dir, "dataset": args.dataset, "perplexity": ppl, "windows": k,
                      "tokens": k * args.seqlen, "test_tokens": int(ids.numel()),
                      "seconds": round(time.time() - start, 2)}), flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
