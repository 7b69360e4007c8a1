#!/usr/bin/env python3
"""killcheck: re-apply one gremlins mutant and run the package's tests on it.

Usage: scripts/killcheck.py PKGDIR FILE:LINE:COL TYPE [go test args...]

PKGDIR is the package directory (internal/audit), FILE:LINE:COL the
position gremlins printed (FILE relative to PKGDIR, COL 1-based) and TYPE
its mutator (CONDITIONALS_BOUNDARY, CONDITIONALS_NEGATION, ARITHMETIC_BASE,
INCREMENT_DECREMENT, INVERT_NEGATIVES). The mutated file goes to a
temporary directory and `go test -overlay` uses it: the source tree is never
changed, so this runs safely beside other work. Prints KILLED (with the
failing tests), LIVED, or "build failed" (the mutant does not compile: the
compiler kills it). Extra arguments go to go test (-run TestX, -count=1).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

SWAPS = {
    "CONDITIONALS_BOUNDARY": {"<": "<=", "<=": "<", ">": ">=", ">=": ">"},
    "CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"},
    "ARITHMETIC_BASE": {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
    "INCREMENT_DECREMENT": {"++": "--", "--": "++"},
    "INVERT_NEGATIVES": {"-": "+"},
}
OPS = ["<=", ">=", "==", "!=", "++", "--", "<", ">", "+", "-", "*", "/", "%"]


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    pkg, pos, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    extra = sys.argv[4:]
    m = re.fullmatch(r"(.+):(\d+):(\d+)", pos)
    if not m or kind not in SWAPS:
        print("killcheck: want FILE:LINE:COL and a known TYPE", file=sys.stderr)
        return 2
    name, line, col = m.group(1), int(m.group(2)), int(m.group(3))
    path = os.path.abspath(os.path.join(pkg, name))
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    text = lines[line - 1]
    i = col - 1
    op = next((o for o in OPS if text.startswith(o, i)), None)
    if op is None or op not in SWAPS[kind]:
        print(f"killcheck: no {kind} operator at {pos}: {text.strip()!r}", file=sys.stderr)
        return 2
    lines[line - 1] = text[:i] + SWAPS[kind][op] + text[i + len(op):]
    print(f"{pos} {kind}: {op} -> {SWAPS[kind][op]}: {lines[line - 1].strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        mutated = os.path.join(tmp, os.path.basename(path))
        with open(mutated, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        overlay = os.path.join(tmp, "overlay.json")
        with open(overlay, "w") as f:
            json.dump({"Replace": {path: mutated}}, f)
        env = dict(os.environ, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        r = subprocess.run(["go", "test", "-count=1", "-overlay", overlay, "./" + pkg] + extra,
                           capture_output=True, text=True, env=env)
    out = r.stdout + r.stderr
    if r.returncode == 0:
        print("LIVED")
        return 1
    if "[build failed]" in out or "[setup failed]" in out:
        print("(build failed!)")
        print(out[-2000:])
        return 0
    failed = sorted(set(re.findall(r"--- FAIL: (\S+)", out)))
    print("KILLED by " + (", ".join(failed) if failed else "(no named test; see output)"))
    if not failed:
        print(out[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
