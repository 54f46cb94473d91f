#!/usr/bin/env python3
"""Write random small Markdown documents built from task-like fragments, for differential
testing of planvec's parser against cmark-gfm outside the corpus.

    python3 scripts/markdown/differential_fuzz.py --seed 1 --count 600 OUT_DIR
    ~/.cache/planvec-peers/venv/bin/python scripts/markdown/crosscheck_cmark_gfm.py OUT_DIR --out OUT.json
    npx tsx scripts/markdown/compare-with-planvec.ts OUT.json OUT_DIR

The fragments mix every task marker with the constructs that change what is a paragraph:
nested and same-line containers, fences (bare, with info strings, indented), tables, setext
underlines, raw HTML, link reference definitions, code spans over lines, hard breaks, entities.
The classes of difference this found are listed in test/markdown/corpus.test.ts.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

FRAGMENTS = [
    "- [ ] task", "- [x] done", "* [X] up", "+ [ ]\ttab", "1. [ ] ord", "2) [x] ord2",
    "- [✅] emo", "- [✔️] emo2", "- [ ]", "- [x]x", "- [1] toc", "[3] Phase", "☐ pend",
    "✅ done", "☑ ok", "✔️ ok2", "  ☐ indented", "    ☐ code4", "```", "```plaintext", "~~~",
    "````", "> ☐ quote", "> - [ ] qtask", "| a | b |", "|---|---|", "| ☐ x | y |",
    "# ☐ heading", "Title", "---", "===", "<div>", "</div>", "<!-- ☐ c -->", "text `code",
    "span` ✅ tail", "**✅ bold**", "  - [ ] nested", "    - [x] nested2", "      ☐ deep",
    "", "", "", "  continuation", "\t- [ ] tabbed", "-\n  [ ] later", "- ☐ item sym",
    "- [ ] ☐ both", "*   [ ] wide", "10. [ ] ten", "- > [ ] quoted in item", "[ref]: /url",
    "- [x] a [x] b", "- [ ] a  - [x] b", "<details>", "</details>", "&#x2610; entity",
    "\\☐ escaped", "line with hard break  ", "line\\", "* * *", "- - [ ] double",
    "1. - [ ] mixed", "   ```", "  ~~~ info", "- ```", "  ☐ in item code?", "- [ ]  two spaces",
    "[✅] not item", "✅️ fe0f", "☐☐ double", " ✔ space", "<span>", "✅ after span", "</span>",
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--exclude", action="append", default=[], help="leave out a fragment (repeatable)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fragments = [f for f in FRAGMENTS if f not in set(args.exclude)]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        lines = [rng.choice(fragments) for _ in range(rng.randint(3, 25))]
        (out / f"f{i:04d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
