#!/usr/bin/env python3
"""Oracle for binq's core/data: BiLLM's `datautils.py: get_loaders` as
ALGORITHMS.md §8 describes it, on local files, with the stand-in tokenizer
the C++ tests use.

The rows are read as the Hugging Face builders the references load read the
publishers' files:
  * wikitext (`wikitext-2-raw-v1`): `for row in open(path, encoding="utf-8")`,
    yielding `row if row.strip() else ""`;
  * ptb_text_only: `line.strip()` for every line;
  * allenai/c4 json.gz: one row per JSON line in file order, its "text";
  * a custom file: `open(path, encoding="utf-8").read()`.
The loaders below follow BiLLM's get_wikitext2 / get_ptb / get_c4 line by
line, with token-id lists instead of tensors (the target tensors are never
used) and the rows passed in instead of `datasets.load_dataset`.

Tokenizer stand-in (the protocol, not the tokenizer, is under test): every
call returns [BOS=2] + [byte + 3 for each UTF-8 byte], like a Hugging Face
tokenizer call that prepends BOS.

Usage: reference_loader.py DATASET TRAIN TEST NSAMPLES SEQLEN SEED
prints JSON {"train_rows", "test_rows", "starts", "documents", "windows",
"stream_tokens", "document_draws", "test_ids"} on stdout. Only the standard
library is needed.
"""
import gzip
import json
import random
import sys

BOS = 2


def tokenizer(text):
    return [BOS] + [b + 3 for b in text.encode("utf-8")]


def read_wikitext_rows(path):
    with open(path, encoding="utf-8") as f:
        return [row if row.strip() else "" for row in f]


def read_ptb_rows(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f]


def read_c4_rows(path):
    rows = []
    with gzip.open(path, "rb") as f:
        for line in f:
            if not line.strip(b" \t\r\n"):
                continue
            rows.append(json.loads(line.decode("utf-8"))["text"])
    return rows


def read_custom(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# --- BiLLM datautils.py, with rows instead of load_dataset -------------------

def get_wikitext2(nsamples, seed, seqlen, traindata, testdata):
    trainenc = tokenizer(" ".join(traindata))
    testenc = tokenizer("\n\n".join(testdata))
    random.seed(seed)
    trainloader = []
    for _ in range(nsamples):
        i = random.randint(0, len(trainenc) - seqlen - 1)
        j = i + seqlen
        trainloader.append((i, None, trainenc[i:j]))
    return trainloader, testenc, len(trainenc)


def get_ptb(nsamples, seed, seqlen, traindata, testdata):
    trainenc = tokenizer(" ".join(traindata))
    testenc = tokenizer(" ".join(testdata))
    random.seed(seed)
    trainloader = []
    for _ in range(nsamples):
        i = random.randint(0, len(trainenc) - seqlen - 1)
        j = i + seqlen
        trainloader.append((i, None, trainenc[i:j]))
    return trainloader, testenc, len(trainenc)


DRAWS = [0]  # documents drawn by get_c4, for the report


def get_c4(nsamples, seed, seqlen, traindata, valdata):
    random.seed(seed)
    trainloader = []
    for _ in range(nsamples):
        while True:
            k = random.randint(0, len(traindata) - 1)
            DRAWS[0] += 1
            trainenc = tokenizer(traindata[k])
            if len(trainenc) > seqlen:
                break
        i = random.randint(0, len(trainenc) - seqlen - 1)
        j = i + seqlen
        trainloader.append((i, k, trainenc[i:j]))
    valenc = tokenizer(" ".join(valdata[:1100]))
    valenc = valenc[:(256 * seqlen)]
    return trainloader, valenc, 0


def get_custom(nsamples, seed, seqlen, text):
    # binq's custom dataset: wikitext2's sampling over the whole file, which
    # is also the test text.
    trainenc = tokenizer(text)
    random.seed(seed)
    trainloader = []
    for _ in range(nsamples):
        i = random.randint(0, len(trainenc) - seqlen - 1)
        trainloader.append((i, None, trainenc[i:i + seqlen]))
    return trainloader, tokenizer(text), len(trainenc)


def main(argv):
    dataset, train, test = argv[1], argv[2], argv[3]
    nsamples, seqlen, seed = int(argv[4]), int(argv[5]), int(argv[6])
    if dataset == "wikitext2":
        train_rows, test_rows = read_wikitext_rows(train), read_wikitext_rows(test)
        loader, test_ids, n = get_wikitext2(nsamples, seed, seqlen, train_rows, test_rows)
    elif dataset == "ptb":
        train_rows, test_rows = read_ptb_rows(train), read_ptb_rows(test)
        loader, test_ids, n = get_ptb(nsamples, seed, seqlen, train_rows, test_rows)
    elif dataset == "c4":
        train_rows, test_rows = read_c4_rows(train), read_c4_rows(test)
        loader, test_ids, n = get_c4(nsamples, seed, seqlen, train_rows, test_rows)
    else:
        text = read_custom(train)
        train_rows, test_rows = [text], [text]
        loader, test_ids, n = get_custom(nsamples, seed, seqlen, text)
    json.dump({
        "train_rows": train_rows,
        "test_rows": test_rows,
        "starts": [i for i, _, _ in loader],
        "documents": [k for _, k, _ in loader if k is not None],
        "windows": [w for _, _, w in loader],
        "stream_tokens": n,
        "document_draws": DRAWS[0],
        "test_ids": test_ids,
    }, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main(sys.argv)
