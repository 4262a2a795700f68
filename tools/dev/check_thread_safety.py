#!/usr/bin/env python3
"""Checks binq's ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations with
clang's -Wthread-safety analysis (gcc ignores them), as errors.

Reads the compile commands of an existing build (CMAKE_EXPORT_COMPILE_COMMANDS)
and re-parses every translation unit of ours that is free of LibTorch (server/,
client/, core/base/, core/text/, core/io/, tests/server/) with clang++
-fsyntax-only, so it needs no second build. Exit status 1 with clang's
diagnostics when any annotation is violated.

    tools/dev/check_thread_safety.py [BUILD_DIR]
"""
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys

CHECKED_DIRS = ("server/", "client/", "core/base/", "core/text/", "core/io/", "tests/server/")
# gcc-only options clang rejects or warns about.
GCC_ONLY_PREFIXES = ("-ffp-contract", "-fno-semantic-interposition")


def clang_command(entry, repo):
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    while args and os.path.basename(args[0]) in ("ccache", "sccache"):
        args = args[1:]
    out = ["clang++", "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety", "-Wno-unknown-warning-option"]
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a.startswith(GCC_ONLY_PREFIXES):
            continue
        out.append(a)
    return out


def main():
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build"))
    db_path = os.path.join(build, "compile_commands.json")
    if not shutil.which("clang++"):
        print("check_thread_safety: clang++ not found (apt-get install clang)", file=sys.stderr)
        return 2
    if not os.path.exists(db_path):
        print(f"check_thread_safety: {db_path} not found: build binq first", file=sys.stderr)
        return 2
    with open(db_path) as f:
        entries = json.load(f)
    todo = []
    for e in entries:
        rel = os.path.relpath(os.path.join(e["directory"], e["file"]), repo)
        if rel.startswith(CHECKED_DIRS) and rel.endswith(".cc"):
            todo.append((rel, clang_command(e, repo), e["directory"]))
    failures = 0

    def run(item):
        rel, cmd, cwd = item
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        return rel, r.returncode, r.stderr

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for rel, rc, err in pool.map(run, sorted(todo)):
            if rc != 0:
                failures += 1
                sys.stderr.write(f"--- {rel}\n{err}")
    print(f"check_thread_safety: {len(todo)} files checked with clang -Wthread-safety, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
