#!/usr/bin/env python3
"""Builds binq's tiny trained OPT model (assets/tiny-opt) from scratch.

The whole pipeline, in order:

  1. corpus     The King James Bible from Debian's `bible-kjv-text` package
                (public domain), dumped verse by verse with the `bible` program
                of package `bible-kjv`; split by chapter into a training part
                and a held-out test part, written in binq's dataset layout as
                WikiText-2-raw-like files and Penn-Treebank-like files.
  2. tokenizer  A byte-level BPE (GPT-2's pre-tokenizer pattern, no prefix
                space) trained with `tokenizers` on the training text, saved in
                the files an OPT checkpoint carries (vocab.json, merges.txt,
                tokenizer_config.json, special_tokens_map.json), with OPT's
                special tokens and OPT's BOS rule. Checked against an
                independent implementation of GPT-2's BPE algorithm.
  3. model      A small pre-LayerNorm OPTForCausalLM trained with plain PyTorch
                on the CPU, saved in float16 as safetensors.
  4. eval       Perplexity on both test files with the protocol of
                ALGORITHMS.md §8.4-8.5 (fp16, non-overlapping windows), for the
                fp16 model and for simple weight quantizers (per-row scaled
                sign = 1 bit, round-to-nearest 4 and 2 bits), so that one sees
                quantization cost perplexity on this model.

Run from the repository root with the project's venv:

  .venv/bin/python tools/tiny_model/train.py            # full run (~15 CPU-minutes, 2 threads)
  .venv/bin/python tools/tiny_model/train.py --quick    # smoke test into a temp dir

See tools/tiny_model/README.md.
"""

import argparse
import hashlib
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

# On a machine shared with other jobs, OpenMP threads that spin while they
# wait for each other are descheduled and every small op stalls (measured
# here: 1.8 s instead of 0.07 s for one forward pass). Must be set before
# torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "assets", "tiny-opt")

# The Debian packages the corpus comes from (bookworm). Other versions are
# accepted but the verse dump is then checked against KJV_DUMP_SHA256 and a
# mismatch is reported.
DEB_PACKAGES = ("bible-kjv", "bible-kjv-text")
DEB_VERSION = "4.38"
# sha256 of `bible -f Gen1:1-Rev22:21` from bible-kjv(-text) 4.38: 31,102
# lines "<ref> <verse text>".
KJV_DUMP_SHA256 = "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d"

# The 66 books in the order the `bible` program prints them; its references
# abbreviate the names ("Ge", "Exo", ..., "Rev").
BOOKS = [
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua",
    "Judges", "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings",
    "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah", "Esther", "Job",
    "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon", "Isaiah",
    "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai",
    "Zechariah", "Malachi", "Matthew", "Mark", "Luke", "John", "Acts",
    "Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians",
    "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians",
    "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews", "James",
    "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
]
NUM_CHAPTERS = 1189
NUM_VERSES = 31102

# Chapters are assigned to splits by their position in the Bible (0-based),
# modulo SPLIT_CYCLE: spread over every book, so the test text has the same
# mix of law, history, poetry, prophecy and letters as the training text.
SPLIT_CYCLE = 25
WIKI_TRAIN_SLOTS = range(0, 12)   # 48% of the chapters
TEST_SLOTS = (12,)                 # 4%: held out, never trained on
PTB_TRAIN_SLOTS = range(13, 16)   # 12%
# slots 16..24 (36%) are left out to keep the committed data under ~3 MB.
VERSES_PER_PARAGRAPH = 6

# OPT's special tokens at OPT's ids (facebook/opt-* vocab.json).
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS_ID, PAD_ID, EOS_ID, UNK_ID = 2, 1, 2, 3


def log(msg):
  print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sha256_file(path):
  h = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      h.update(chunk)
  return h.hexdigest()


# --------------------------------------------------------------------------
# 1. Corpus
# --------------------------------------------------------------------------

def dump_kjv(deb_dir, version):
  """Returns the verse dump ("Ge1:1 In the beginning ...\n" per verse).

  Uses the .deb files in `deb_dir` when given, else downloads them with
  `apt-get download` into a temporary folder; extracts them with `dpkg -x` and
  runs the package's own `bible` program on the package's data file.
  """
  with tempfile.TemporaryDirectory(prefix="kjv-") as tmp:
    if deb_dir is None:
      deb_dir = os.path.join(tmp, "debs")
      os.makedirs(deb_dir)
      pkgs = [f"{p}={version}" if version else p for p in DEB_PACKAGES]
      log(f"apt-get download {' '.join(pkgs)}")
      subprocess.run(["apt-get", "download", *pkgs], cwd=deb_dir, check=True)
    root = os.path.join(tmp, "root")
    for pkg in DEB_PACKAGES:
      debs = sorted(f for f in os.listdir(deb_dir)
                    if f.startswith(pkg + "_") and f.endswith(".deb"))
      if not debs:
        sys.exit(f"no {pkg}_*.deb in {deb_dir}")
      log(f"dpkg -x {debs[-1]}")
      subprocess.run(["dpkg", "-x", os.path.join(deb_dir, debs[-1]), root], check=True)
    bible = os.path.join(root, "usr", "bin", "bible")
    data_dir = os.path.join(root, "usr", "lib")  # bible.data, bible.data.conc
    # -f turns pretty-printing off: one "<ref> <text>" line per verse.
    out = subprocess.run([bible, "-f", "-p", data_dir, "Gen1:1-Rev22:21"],
                         stdin=subprocess.DEVNULL, capture_output=True, check=True)
    return out.stdout.decode("ascii")


def parse_kjv(dump):
  """[(book, [(chapter, [verse text, ...]), ...]), ...] in Bible order."""
  books = []
  abbrevs = []
  for n, line in enumerate(dump.splitlines(), 1):
    m = re.fullmatch(r"(\d?[A-Za-z]+)(\d+):(\d+) (.+)", line)
    if not m:
      sys.exit(f"verse dump line {n} is not '<book><chapter>:<verse> <text>': {line!r}")
    abbrev, chapter, verse, text = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if not abbrevs or abbrevs[-1] != abbrev:
      abbrevs.append(abbrev)
      books.append((abbrev, []))
    chapters = books[-1][1]
    if not chapters or chapters[-1][0] != chapter:
      chapters.append((chapter, []))
    if verse != len(chapters[-1][1]) + 1:
      sys.exit(f"verse dump line {n}: verse {verse} out of order")
    chapters[-1][1].append(text.strip())
  if len(books) != len(BOOKS):
    sys.exit(f"expected {len(BOOKS)} books, the dump has {len(books)}: {abbrevs}")
  nch = sum(len(c) for _, c in books)
  nv = sum(len(v) for _, c in books for _, v in c)
  if nch != NUM_CHAPTERS or nv != NUM_VERSES:
    sys.exit(f"expected {NUM_CHAPTERS} chapters and {NUM_VERSES} verses, got {nch} and {nv}")
  return [(name, chapters) for name, (_, chapters) in zip(BOOKS, books)]


def split_chapters(bible):
  """{'wiki_train'|'ptb_train'|'test': [(book, chapter, verses), ...]}."""
  splits = {"wiki_train": [], "ptb_train": [], "test": []}
  i = 0
  for book, chapters in bible:
    for chapter, verses in chapters:
      slot = i % SPLIT_CYCLE
      if slot in WIKI_TRAIN_SLOTS:
        splits["wiki_train"].append((book, chapter, verses))
      elif slot in TEST_SLOTS:
        splits["test"].append((book, chapter, verses))
      elif slot in PTB_TRAIN_SLOTS:
        splits["ptb_train"].append((book, chapter, verses))
      i += 1
  return splits


def wikitext_lines(chapters):
  """WikiText-2-raw layout: ' = Book = ' and ' = = Chapter n = = ' headings,
  paragraphs of a few verses; every line starts with a space and ends with
  ' \\n'; a ' \\n' line between all of them (as in wiki.*.raw)."""
  lines = [" \n"]
  book_seen = None
  for book, chapter, verses in chapters:
    if book != book_seen:
      lines += [f" = {book} = \n", " \n"]
      book_seen = book
    lines += [f" = = Chapter {chapter} = = \n", " \n"]
    npar = math.ceil(len(verses) / VERSES_PER_PARAGRAPH)
    bounds = [round(k * len(verses) / npar) for k in range(npar + 1)]
    for a, b in zip(bounds, bounds[1:]):
      lines += [" " + " ".join(verses[a:b]) + " \n", " \n"]
  return lines


def ptb_lines(chapters):
  """Penn-Treebank-like layout: one sentence per line, lower case, without
  punctuation (apostrophes kept), a space at both ends of each line."""
  lines = []
  for _, _, verses in chapters:
    text = " ".join(verses)
    for sentence in re.split(r"(?<=[.?!])\s+", text):
      s = re.sub(r"[^a-z0-9' ]+", " ", sentence.lower())
      s = " ".join(s.split())
      if s:
        lines.append(f" {s} \n")
  return lines


def write_corpus(out_dir, deb_dir, version):
  dump = dump_kjv(deb_dir, version)
  digest = hashlib.sha256(dump.encode("ascii")).hexdigest()
  if digest != KJV_DUMP_SHA256:
    log(f"note: the verse dump's sha256 is {digest}, not the recorded {KJV_DUMP_SHA256} "
        f"(other package version?)")
  splits = split_chapters(parse_kjv(dump))
  files = {
      "wikitext-2-raw/wiki.train.raw": wikitext_lines(splits["wiki_train"]),
      "wikitext-2-raw/wiki.test.raw": wikitext_lines(splits["test"]),
      "ptb/ptb.train.txt": ptb_lines(splits["ptb_train"]),
      "ptb/ptb.test.txt": ptb_lines(splits["test"]),
  }
  for rel, lines in files.items():
    path = os.path.join(out_dir, "data", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
      f.writelines(lines)
    log(f"wrote {path}: {len(lines)} lines, {os.path.getsize(path)} bytes")
  return {
      "verse_dump_sha256": digest,
      "chapters": {k: len(v) for k, v in splits.items()},
      "test_chapters": [f"{b} {c}" for b, c, _ in splits["test"]],
  }


# The rows binq (and the references) form from the files (ALGORITHMS.md §8.1).
def wikitext_rows(path):
  with open(path, encoding="utf-8") as f:
    text = f.read()
  text = text.replace("\r\n", "\n").replace("\r", "\n")
  rows = text.splitlines(keepends=True)
  return ["" if not r.strip() else r for r in rows]


def ptb_rows(path):
  with open(path, encoding="utf-8") as f:
    return [r.strip() for r in f.read().splitlines()]


def corpus_texts(out_dir):
  """The texts as binq joins them: calibration (train) and evaluation (test)."""
  d = os.path.join(out_dir, "data")
  return {
      # train texts joined as the model will see them at evaluation time
      "wikitext2_train": "\n\n".join(wikitext_rows(os.path.join(d, "wikitext-2-raw", "wiki.train.raw"))),
      "ptb_train": " ".join(ptb_rows(os.path.join(d, "ptb", "ptb.train.txt"))),
      # §8.4 test sets
      "wikitext2": "\n\n".join(wikitext_rows(os.path.join(d, "wikitext-2-raw", "wiki.test.raw"))),
      "ptb": " ".join(ptb_rows(os.path.join(d, "ptb", "ptb.test.txt"))),
  }


# --------------------------------------------------------------------------
# 2. Tokenizer
# --------------------------------------------------------------------------

def train_tokenizer(texts, model_dir, vocab_size):
  from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

  tok = Tokenizer(models.BPE())
  # GPT-2's regex split, bytes mapped to printable characters, no prefix space.
  tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
  tok.decoder = decoders.ByteLevel()
  trainer = trainers.BpeTrainer(
      vocab_size=vocab_size, min_frequency=2, show_progress=False,
      special_tokens=SPECIAL_TOKENS,  # ids 0..3 in this order, as in OPT
      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
  tok.train_from_iterator(texts, trainer=trainer)
  vocab = tok.get_vocab()
  for i, t in enumerate(SPECIAL_TOKENS):
    assert vocab[t] == i, (t, vocab[t])
  os.makedirs(model_dir, exist_ok=True)
  tok.model.save(model_dir)  # vocab.json, merges.txt ("#version: 0.2" header)

  # As facebook/opt-*: </s> is BOS, EOS and UNK; <pad> pads; the tokenizer
  # prepends BOS on every call (add_bos_token) and appends nothing (no
  # add_eos_token). Plain strings: the simplest form for any reader.
  special_map = {"bos_token": "</s>", "eos_token": "</s>", "unk_token": "</s>",
                 "pad_token": "<pad>"}
  config = {
      "tokenizer_class": "GPT2Tokenizer",
      "add_bos_token": True,
      "add_eos_token": False,
      "add_prefix_space": False,
      "errors": "replace",
      **special_map,
  }
  with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
  with open(os.path.join(model_dir, "special_tokens_map.json"), "w") as f:
    json.dump(special_map, f, indent=2)
    f.write("\n")
  return len(vocab)


class ReferenceBpe:
  """GPT-2's byte-level BPE written out from its published description
  (byte→unicode table, the regex split, merges applied by rank), used to check
  that vocab.json + merges.txt mean the same ids without the `tokenizers`
  library -- this is what binq's own tokenizer reads."""

  PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

  def __init__(self, model_dir):
    import regex
    self.re = regex.compile(self.PATTERN)
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
      self.vocab = json.load(f)
    with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
      lines = f.read().split("\n")
    merges = [tuple(l.split(" ")) for l in lines[1:] if l]  # first line: "#version"
    self.ranks = {m: i for i, m in enumerate(merges)}
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, extra = {}, 0
    for b in range(256):
      if b in printable:
        table[b] = chr(b)
      else:
        table[b] = chr(256 + extra)
        extra += 1
    self.byte_char = table
    self.cache = {}

  def _bpe(self, word):
    if word in self.cache:
      return self.cache[word]
    parts = list(word)
    while len(parts) > 1:
      pairs = [(self.ranks.get((a, b), math.inf), i)
               for i, (a, b) in enumerate(zip(parts, parts[1:]))]
      rank, _ = min(pairs)
      if rank == math.inf:
        break
      a, b = next((parts[i], parts[i + 1]) for r, i in pairs if r == rank)
      merged, i = [], 0
      while i < len(parts):
        if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
          merged.append(a + b)
          i += 2
        else:
          merged.append(parts[i])
          i += 1
      parts = merged
    self.cache[word] = parts
    return parts

  def encode(self, text):
    ids = []
    for piece in self.re.findall(text):
      word = "".join(self.byte_char[b] for b in piece.encode("utf-8"))
      ids += [self.vocab[p] for p in self._bpe(word)]
    return ids


def check_tokenizer(model_dir, texts):
  """Loads the saved files the way users do and checks OPT's rules."""
  from transformers import AutoTokenizer

  tok = AutoTokenizer.from_pretrained(model_dir, use_fast=False)
  ref = ReferenceBpe(model_dir)
  assert tok.bos_token_id == BOS_ID and tok.eos_token_id == EOS_ID, (tok.bos_token_id, tok.eos_token_id)
  assert tok.pad_token_id == PAD_ID, tok.pad_token_id
  assert tok.convert_tokens_to_ids(SPECIAL_TOKENS) == [0, 1, 2, 3]
  samples = [
      "In the beginning God created the heaven and the earth.",
      " = = Chapter 3 = = \n\n\n\n",
      "And the LORD said unto Moses, Say unto Aaron's sons: 12 tribes!",
      "  two  spaces,\ttab, \u00e9t\u00e9 \u4e2d\u6587 \U0001F600 x\n\n\ny ",
      "",
  ]
  checked_tokens = 0
  for text in samples + [texts["wikitext2"], texts["ptb"]]:
    ids = tok(text)["input_ids"]
    assert ids[:1] == [BOS_ID], f"no BOS on {text[:40]!r}: {ids[:3]}"
    assert BOS_ID not in ids[1:] or "</s>" in text, "BOS appended or repeated"
    assert ids[1:] == ref.encode(text), f"HF and reference BPE disagree on {text[:60]!r}"
    assert tok.decode(ids[1:], clean_up_tokenization_spaces=False) == text, f"round trip failed on {text[:60]!r}"
    checked_tokens += len(ids)
  return tok, checked_tokens


# --------------------------------------------------------------------------
# 3. Model
# --------------------------------------------------------------------------

def make_model(args, vocab_size):
  from transformers import OPTConfig, OPTForCausalLM

  cfg = OPTConfig(
      vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
      ffn_dim=args.ffn, num_attention_heads=args.heads,
      max_position_embeddings=args.max_positions, word_embed_proj_dim=args.hidden,
      do_layer_norm_before=True, activation_function="relu", dropout=0.0,
      attention_dropout=0.0, layerdrop=0.0, init_std=0.02, enable_bias=True,
      layer_norm_elementwise_affine=True, tie_word_embeddings=True,
      bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID, prefix="</s>",
      use_cache=True)
  return OPTForCausalLM(cfg)


def train_model(model, ids, args):
  import torch
  import torch.nn.functional as F

  g = torch.Generator().manual_seed(args.seed)
  decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_positions" not in n]
  no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_positions" not in n)]
  opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)
  warmup = max(1, args.steps // 20)

  def lr_at(step):  # linear warm-up, cosine decay to 10%
    if step < warmup:
      return args.lr * (step + 1) / warmup
    t = (step - warmup) / max(1, args.steps - warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))

  model.train()
  n = ids.numel()
  t0 = time.time()
  ema = None
  history = []
  for step in range(args.steps):
    for group in opt.param_groups:
      group["lr"] = lr_at(step)
    starts = torch.randint(0, n - args.seqlen, (args.batch_size,), generator=g)
    batch = torch.stack([ids[s:s + args.seqlen] for s in starts.tolist()])
    logits = model(input_ids=batch).logits
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)).float(),
                           batch[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
    if step % args.log_every == 0 or step == args.steps - 1:
      el = time.time() - t0
      log(f"step {step + 1}/{args.steps} loss {loss.item():.3f} (ema {ema:.3f}, ppl {math.exp(ema):.1f}) "
          f"lr {lr_at(step):.2e} {el:.0f}s elapsed, {el / (step + 1) * (args.steps - step - 1):.0f}s left")
      history.append({"step": step + 1, "loss": round(loss.item(), 4), "ema_loss": round(ema, 4)})
  model.eval()
  ru = resource.getrusage(resource.RUSAGE_SELF)
  return {"seconds": round(time.time() - t0, 1),
          "cpu_seconds_process_so_far": round(ru.ru_utime + ru.ru_stime, 1), "final_ema_loss": round(ema, 4),
          "tokens_seen": args.steps * args.batch_size * args.seqlen, "history": history}


def save_model(model, model_dir):
  import torch

  model = model.to(torch.float16)
  model.config.dtype = torch.float16
  model.save_pretrained(model_dir, safe_serialization=True)
  # Real OPT configs name the dtype "torch_dtype"; transformers 5 writes
  # "dtype". Keep both so readers of either find it.
  path = os.path.join(model_dir, "config.json")
  with open(path) as f:
    cfg = json.load(f)
  cfg["torch_dtype"] = "float16"
  with open(path, "w") as f:
    json.dump(cfg, f, indent=2, sort_keys=True)
    f.write("\n")
  for junk in ("generation_config.json",):
    p = os.path.join(model_dir, junk)
    if os.path.exists(p):
      os.remove(p)


# --------------------------------------------------------------------------
# 4. Evaluation
# --------------------------------------------------------------------------

def perplexity(model, ids, seqlen, max_windows=None):
  """ALGORITHMS.md §8.5 with seqlen: floor(N/seqlen) non-overlapping windows
  (tail dropped), fp16 logits, loss of each window on the fp16 logits,
  nll = loss * seqlen, ppl = exp(sum nll / (K * seqlen))."""
  import torch
  import torch.nn.functional as F

  k = ids.numel() // seqlen
  if max_windows:
    k = min(k, max_windows)
  nlls = []
  with torch.inference_mode():
    for w in range(k):
      x = ids[w * seqlen:(w + 1) * seqlen].unsqueeze(0)
      logits = model(input_ids=x).logits  # fp16
      loss = F.cross_entropy(logits[:, :-1, :].reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
      nlls.append(loss.float() * seqlen)
  return math.exp(torch.stack(nlls).sum().item() / (k * seqlen)), k


def block_linears(model):
  for layer in model.model.decoder.layers:
    for m in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj,
              layer.self_attn.out_proj, layer.fc1, layer.fc2):
      yield m


def quantize_sign(w):
  """1 bit: sign(w) * mean|w| of its row."""
  return w.sign() * w.abs().mean(dim=1, keepdim=True)


def quantize_rtn(w, bits):
  """GPTQ's quantizer without GPTQ (ALGORITHMS.md §9.1, --nearest): asymmetric,
  per row over the whole row, min/max range including 0."""
  import torch
  maxq = 2 ** bits - 1
  xmin = torch.clamp(w.min(dim=1, keepdim=True).values, max=0)
  xmax = torch.clamp(w.max(dim=1, keepdim=True).values, min=0)
  dead = (xmin == 0) & (xmax == 0)
  xmin = torch.where(dead, -torch.ones_like(xmin), xmin)
  xmax = torch.where(dead, torch.ones_like(xmax), xmax)
  scale = (xmax - xmin) / maxq
  zero = torch.round(-xmin / scale)
  q = torch.clamp(torch.round(w / scale) + zero, 0, maxq)
  return scale * (q - zero)


def evaluate(model_dir, texts, tok, args):
  import torch
  from transformers import OPTForCausalLM

  ids = {name: torch.tensor(tok(texts[name])["input_ids"], dtype=torch.long)
         for name in ("wikitext2", "ptb")}
  variants = {
      "fp16": None,
      "sign_1bit": quantize_sign,
      "rtn_4bit": lambda w: quantize_rtn(w, 4),
      "rtn_2bit": lambda w: quantize_rtn(w, 2),
  }
  results = {"tokens": {n: int(v.numel()) for n, v in ids.items()}}
  for vname, fn in variants.items():
    model = OPTForCausalLM.from_pretrained(model_dir, dtype=torch.float16, attn_implementation="eager")
    model.eval()
    if fn is not None:
      with torch.no_grad():
        for lin in block_linears(model):
          lin.weight.copy_(fn(lin.weight.float()).to(torch.float16))
    results[vname] = {}
    for dname, x in ids.items():
      t0 = time.time()
      ppl, k = perplexity(model, x, args.seqlen, args.max_eval_windows)
      results[vname][dname] = round(ppl, 3)
      results.setdefault("windows", {})[dname] = k
      log(f"{vname:10s} {dname:9s} ppl {ppl:10.3f} ({k} windows of {args.seqlen}, {time.time() - t0:.0f}s)")
  return results


def verify(out, seqlen, tolerance):
  """Checks a finished output folder against its train_report.json: file
  hashes, the tokenizer's rules, and the fp16 perplexities (re-evaluated)."""
  import torch
  from transformers import OPTForCausalLM

  with open(os.path.join(out, "train_report.json")) as f:
    report = json.load(f)
  failures = []
  expected = dict(report["corpus"]["files"])
  expected["model/model.safetensors"] = {"sha256": report["model"]["sha256"]}
  for rel, info in expected.items():
    got = sha256_file(os.path.join(out, rel))
    if got != info["sha256"]:
      failures.append(f"{rel}: sha256 {got}, report says {info['sha256']}")
  log(f"checked the sha256 of {len(expected)} files")
  model_dir = os.path.join(out, "model")
  texts = corpus_texts(out)
  tok, checked = check_tokenizer(model_dir, texts)
  log(f"tokenizer ok ({checked} tokens checked)")
  model = OPTForCausalLM.from_pretrained(model_dir, dtype=torch.float16, attn_implementation="eager").eval()
  cfg = model.config
  if not (cfg.do_layer_norm_before and cfg.hidden_size % 128 == 0 and cfg.ffn_dim % 128 == 0):
    failures.append("config: expected pre-LayerNorm and hidden/ffn multiples of 128")
  for dname, want in report["perplexity"]["fp16"].items():
    ids = torch.tensor(tok(texts[dname])["input_ids"], dtype=torch.long)
    ppl, k = perplexity(model, ids, seqlen)
    rel = abs(ppl - want) / want
    log(f"fp16 {dname}: ppl {ppl:.3f} over {k} windows, report says {want} (rel. diff {rel:.2e})")
    if rel > tolerance:
      failures.append(f"fp16 {dname} ppl {ppl:.3f} differs from the report's {want} by more than {tolerance}")
  for f in failures:
    log("FAILED: " + f)
  return not failures


# --------------------------------------------------------------------------

def main():
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--out", help=f"output folder (default {DEFAULT_OUT}; with --quick a new temp folder)")
  p.add_argument("--quick", action="store_true",
                 help="smoke test: small vocabulary, a few steps, few eval windows, into a temp folder")
  p.add_argument("--corpus-from", metavar="DIR",
                 help="reuse the data/ of an existing output folder (e.g. assets/tiny-opt) "
                      "instead of building it from the Debian packages")
  p.add_argument("--deb-dir", help="folder holding bible-kjv_*.deb and bible-kjv-text_*.deb "
                                   "(default: apt-get download them)")
  p.add_argument("--deb-version", default=DEB_VERSION,
                 help="package version for apt-get download ('' for the candidate)")
  p.add_argument("--vocab-size", type=int, default=2048)
  p.add_argument("--hidden", type=int, default=256)
  p.add_argument("--layers", type=int, default=4)
  p.add_argument("--heads", type=int, default=4)
  p.add_argument("--ffn", type=int, default=1024)
  p.add_argument("--max-positions", type=int, default=512)
  p.add_argument("--seqlen", type=int, default=256)
  p.add_argument("--steps", type=int, default=1400)
  p.add_argument("--batch-size", type=int, default=4)
  p.add_argument("--lr", type=float, default=2e-3)
  p.add_argument("--weight-decay", type=float, default=0.1)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--threads", type=int, default=2)
  p.add_argument("--log-every", type=int, default=50)
  p.add_argument("--max-eval-windows", type=int, default=0, help="0: all windows")
  p.add_argument("--verify", action="store_true",
                 help="train nothing: check the folder --out (default assets/tiny-opt) against its "
                      "train_report.json (hashes, tokenizer rules, fp16 perplexities)")
  p.add_argument("--verify-tolerance", type=float, default=0.005,
                 help="relative perplexity difference --verify accepts (other CPUs round differently)")
  args = p.parse_args()

  if args.verify:
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    torch.set_num_threads(args.threads)
    ok = verify(args.out or DEFAULT_OUT, args.seqlen, args.verify_tolerance)
    log("verify: " + ("all checks passed" if ok else "FAILED"))
    sys.exit(0 if ok else 1)

  if args.hidden % 128 or args.ffn % 128:
    p.error("--hidden and --ffn must be multiples of 128 (binq quantizes 128-column blocks)")
  if args.seqlen > args.max_positions:
    p.error("--seqlen must not exceed --max-positions")
  if args.quick:
    args.vocab_size = min(args.vocab_size, 512)
    args.steps = min(args.steps, 8)
    args.batch_size = min(args.batch_size, 2)
    args.log_every = 2
    args.max_eval_windows = args.max_eval_windows or 4
  out = args.out or (tempfile.mkdtemp(prefix="tiny-opt-") if args.quick else DEFAULT_OUT)
  model_dir = os.path.join(out, "model")

  import random
  import numpy as np
  import torch

  torch.set_num_threads(args.threads)
  random.seed(args.seed)
  np.random.seed(args.seed)
  torch.manual_seed(args.seed)
  torch.use_deterministic_algorithms(True, warn_only=True)

  # Recorded relative to the repository when inside it: no machine's paths in the report.
  inside = os.path.commonpath([REPO_ROOT, os.path.abspath(out)]) == REPO_ROOT
  report = {"args": vars(args) | {"out": os.path.relpath(out, REPO_ROOT) if inside else out}}
  t_all = time.time()

  log("1. corpus")
  if args.corpus_from:
    if os.path.abspath(args.corpus_from) != os.path.abspath(out):
      shutil.copytree(os.path.join(args.corpus_from, "data"), os.path.join(out, "data"),
                      dirs_exist_ok=True)
    report["corpus"] = {"reused_from": args.corpus_from}
  else:
    report["corpus"] = write_corpus(out, args.deb_dir, args.deb_version or None)
  texts = corpus_texts(out)
  report["corpus"]["files"] = {}
  for root, _, files in os.walk(os.path.join(out, "data")):
    for f in sorted(files):
      path = os.path.join(root, f)
      report["corpus"]["files"][os.path.relpath(path, out)] = {
          "bytes": os.path.getsize(path), "sha256": sha256_file(path)}

  log("2. tokenizer")
  if os.path.isdir(model_dir):
    shutil.rmtree(model_dir)
  vocab = train_tokenizer([texts["wikitext2_train"], texts["ptb_train"]], model_dir, args.vocab_size)
  tok, checked = check_tokenizer(model_dir, texts)
  log(f"vocabulary {vocab}; HF tokenizer == reference BPE, BOS prepended, round trip ok "
      f"({checked} tokens checked)")
  report["tokenizer"] = {"vocab_size": vocab, "tokens_checked": checked}

  log("3. model")
  train_ids = torch.tensor(tok(texts["wikitext2_train"])["input_ids"]
                           + tok(texts["ptb_train"])["input_ids"], dtype=torch.long)
  log(f"training tokens: {train_ids.numel()}")
  model = make_model(args, vocab)
  log(f"parameters: {sum(p.numel() for p in model.parameters())}")
  report["train"] = train_model(model, train_ids, args)
  report["train"]["train_tokens"] = int(train_ids.numel())
  save_model(model, model_dir)
  weights = os.path.join(model_dir, "model.safetensors")
  report["model"] = {"bytes": os.path.getsize(weights), "sha256": sha256_file(weights),
                     "parameters": sum(p.numel() for p in model.parameters())}
  log(f"saved {weights}: {report['model']['bytes']} bytes, sha256 {report['model']['sha256']}")

  log("4. evaluation")
  report["perplexity"] = evaluate(model_dir, texts, tok, args)
  report["seconds_total"] = round(time.time() - t_all, 1)
  ru = resource.getrusage(resource.RUSAGE_SELF)
  report["cpu_seconds_total"] = round(ru.ru_utime + ru.ru_stime, 1)
  with open(os.path.join(out, "train_report.json"), "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")
  log(f"done in {report['seconds_total']:.0f}s; report in {os.path.join(out, 'train_report.json')}")


if __name__ == "__main__":
  main()
