#!/usr/bin/env python3
"""Derive plan tasks from GitHub's own Markdown parser, cmark-gfm, as an independent peer of
planvec's markdown-it based parser (src/markdown/plan-parser.ts).

Usage:
    crosscheck_cmark_gfm.py PATH... [--base DIR] [--out FILE]

PATH is a Markdown file or a directory (walked for *.md, sorted). Prints (or writes to --out)
one JSON document: {"generator": {...}, "files": [{"file", "total", "done", "pending",
"tasks": [{"line", "status"}]}]}, file names relative to --base (default: each directory given,
or the file's own directory). This is the format of test/fixtures/corpus/cmark-gfm-tasks.json.

The task rules are issue 2's, applied to cmark-gfm's syntax tree (GFM extensions table,
strikethrough, tasklist, autolink; options SOURCEPOS and UNSAFE, so raw HTML stays HTML):
  (a) a list item whose first child is a paragraph and that cmark-gfm's tasklist extension marks
      as a task item (`[ ]`, `[x]`, `[X]` + space/tab; checked -> done), or whose first
      paragraph's text starts with `[✅]` or `[✔]` (optional U+FE0F) then a space or tab (done);
      line = the start line of that paragraph;
  (b) every line of a paragraph (cmark-gfm paragraph nodes: never code, headings, table cells or
      HTML blocks) whose text starts, after spaces, with ☐ (pending) or ✅ ☑ ✔ (done);
      line = the paragraph's start line + the number of line endings before that line.
      The first line of a task item's paragraph is the task itself, never a second one.

Why the syntax tree and not the HTML (python's html.parser over data-sourcepos): HTML loses
line endings. CommonMark (spec 0.29, §6.1 "Code spans") turns a line ending inside a code span
into a space, so `☐ a `x\\ny` b\\n✅ c` renders as two HTML lines from three source lines and
every later task of the paragraph gets the wrong line; raw inline HTML spanning lines hides its
line ending inside a tag, and with UNSAFE raw HTML can unbalance the element stack. The tree
keeps softbreak/linebreak nodes and each inline node's source span. The cmarkgfm wheel's own
cffi module only declares a handful of functions (no node iteration), but its shared library
exports cmark-gfm's whole C API, so we declare the few node functions we need and dlopen it.

Self-checks, reported on stderr and by a non-zero exit: every task line of the output must,
in the source file, contain its marker; for a line-start text node the line we counted must
equal cmark-gfm's own start line of that node.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import cffi
from cmarkgfm import _cmark
from importlib.metadata import version

ffi = cffi.FFI()
ffi.cdef(
    """
    typedef struct cmark_node cmark_node;
    typedef struct cmark_parser cmark_parser;
    typedef struct cmark_syntax_extension cmark_syntax_extension;
    cmark_parser *cmark_parser_new(int options);
    void cmark_parser_free(cmark_parser *parser);
    void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
    cmark_node *cmark_parser_finish(cmark_parser *parser);
    void cmark_gfm_core_extensions_ensure_registered(void);
    cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
    int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *ext);
    cmark_node *cmark_node_first_child(cmark_node *node);
    cmark_node *cmark_node_next(cmark_node *node);
    cmark_node *cmark_node_parent(cmark_node *node);
    const char *cmark_node_get_type_string(cmark_node *node);
    int cmark_node_get_start_line(cmark_node *node);
    int cmark_node_get_end_line(cmark_node *node);
    const char *cmark_node_get_literal(cmark_node *node);
    int cmark_gfm_extensions_get_tasklist_item_checked(cmark_node *node);
    void cmark_node_free(cmark_node *node);
    const char *cmark_version_string(void);
    int cmark_node_get_fenced(cmark_node *node, int *length, int *offset, char *character);
    """
)
lib = ffi.dlopen(_cmark.__file__)
lib.cmark_gfm_core_extensions_ensure_registered()

OPTIONS = _cmark.lib.CMARK_OPT_SOURCEPOS | _cmark.lib.CMARK_OPT_UNSAFE
EXTENSIONS = (b"table", b"strikethrough", b"tasklist", b"autolink")

EMOJI_CHECKBOX = re.compile("^\\[(?:✅|✔)\ufe0f?\\][ \t]")
SYMBOL = re.compile("^[ \t]*([☐✅☑✔])")
REFERENCE_DEFINITION = re.compile(r"^[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)*\[")
LINE_SPLIT = re.compile(r"\r\n|\r|\n")

diagnostics: list[str] = []


def node_type(node) -> str:
    return ffi.string(lib.cmark_node_get_type_string(node)).decode()


def literal(node) -> str:
    raw = lib.cmark_node_get_literal(node)
    return "" if raw == ffi.NULL else ffi.string(raw).decode("utf-8", "replace")


def children(node):
    child = lib.cmark_node_first_child(node)
    while child != ffi.NULL:
        yield child
        child = lib.cmark_node_next(child)


def leading_text(first) -> str:
    """Concatenated text of consecutive text nodes from `first` (cmark splits text at `[`, `!`...)."""
    out = []
    node = first
    while node != ffi.NULL and node_type(node) == "text":
        out.append(literal(node))
        node = lib.cmark_node_next(node)
    return "".join(out)


def paragraph_line_starts(paragraph):
    """Return [(line, first inline node of that line)] for each line of a paragraph.

    Counts line endings over the inline tree, depth-first: a softbreak or linebreak node is one;
    a code span or raw inline HTML node spanning lines contributes its own span (its literal
    lost or kept the line ending, see the module docstring); a link or image whose
    destination/title spans lines moves the count to the node's end line.
    We count rather than read each text node's own start line because cmark-gfm's inline
    positions are wrong after a backslash hard break (`a\\` then `✅ b`: the text node claims
    the previous line) and after link reference definitions.
    """
    line = 0
    at_line_start = True
    starts = []
    # ("enter", node) visits a node; ("exit", node) runs after a link's or image's children.
    stack = [("enter", child) for child in reversed(list(children(paragraph)))]
    while stack:
        step, node = stack.pop()
        if step == "exit":
            span = lib.cmark_node_get_end_line(node) - lib.cmark_node_get_start_line(node)
            line = max(line, link_start + span) if span > 0 else line
            continue
        if at_line_start:
            starts.append((line, node))
            at_line_start = False
        kind = node_type(node)
        if kind in ("softbreak", "linebreak"):
            line += 1
            at_line_start = True
        elif kind in ("code", "html_inline"):
            line += max(0, lib.cmark_node_get_end_line(node) - lib.cmark_node_get_start_line(node))
        else:
            if kind in ("link", "image"):
                link_start = line
                stack.append(("exit", node))
            stack.extend(("enter", child) for child in reversed(list(children(node))))
    # Link reference definitions at the start of a paragraph are removed from its content but
    # not from its source span (CommonMark §4.7): the content starts that many lines lower.
    first = lib.cmark_node_get_start_line(paragraph)
    if first == 0:
        # A GFM table interrupting a paragraph: cmark-gfm's table extension splits the paragraph
        # and leaves the first part without a position, while the table reports the old
        # paragraph's start line. The paragraph's lines are the ones the table claims to start at.
        table = lib.cmark_node_next(paragraph)
        if table != ffi.NULL and node_type(table) == "table":
            return [(lib.cmark_node_get_start_line(table) + offset, node) for offset, node in starts], 0
        return [], -1
    removed = (lib.cmark_node_get_end_line(paragraph) - first + 1) - (line + 1)
    return [(first + max(0, removed) + offset, node) for offset, node in starts], removed


def written_literally(marker: str, source_lines: list[str], line: int) -> bool:
    """The issue's rule is about the source line starting with the marker: `&#x2610;` renders
    as ☐ but is not written as one (planvec reads the source, and so do we)."""
    text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    at = text.find(marker)
    return at >= 0 and "&" not in text[:at]


def parse(data: bytes):
    """cmark-gfm's syntax tree of `data` (free it with lib.cmark_node_free)."""
    parser = lib.cmark_parser_new(OPTIONS)
    try:
        for ext in EXTENSIONS:
            lib.cmark_parser_attach_syntax_extension(parser, lib.cmark_find_syntax_extension(ext))
        lib.cmark_parser_feed(parser, data, len(data))
        return lib.cmark_parser_finish(parser)
    finally:
        lib.cmark_parser_free(parser)


def first_fence_closer_with_info(root) -> int | None:
    """0-based source line of the first line, inside a fenced code block, that is a fence of the
    opener's character and at least its length but carries an info string (so CommonMark keeps
    it as content); None when there is none."""
    length, offset, char = ffi.new("int *"), ffi.new("int *"), ffi.new("char *")
    stack = [root]
    while stack:
        node = stack.pop()
        if node_type(node) == "code_block" and lib.cmark_node_get_fenced(node, length, offset, char):
            fence = re.escape(char[0].decode()) + "{%d,}" % length[0]
            closer = re.compile(r"^ {0,3}%s[ \t]*[^ \t\n]" % fence)
            for i, content_line in enumerate(literal(node).split("\n")):
                if closer.match(content_line):
                    return lib.cmark_node_get_start_line(node) + i  # start line is the opener
            continue
        stack.extend(reversed(list(children(node))))
    return None


def lenient_fences(data: bytes) -> bytes:
    """The source as `--fences lenient` reads it: each fence line with an info string that sits
    inside an open fenced block of its character closes it, as if written bare. One line at a
    time, first in document order, reparsing after each: closing a block changes what follows."""
    lines = re.split(rb"(?<=\n)", data)
    while True:
        root = parse(b"".join(lines))
        try:
            line = first_fence_closer_with_info(root)
        finally:
            lib.cmark_node_free(root)
        if line is None:
            return b"".join(lines)
        source = lines[line]
        ending = source[len(source.rstrip(b"\r\n")):]
        run = re.search(rb"(`{3,}|~{3,})", source)
        lines[line] = source[: run.end()] + ending


def tasks_of(data: bytes, source_lines: list[str], name: str) -> list[dict]:
    root = parse(data)
    tasks: dict[int, str] = {}

    def add(line: int, status: str, marker: str) -> None:
        text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
        if marker not in text:
            diagnostics.append(f"{name}:{line}: task marker {marker!r} not on the source line {text!r}")
        if line in tasks:
            diagnostics.append(f"{name}:{line}: two tasks on one line")
        tasks[line] = status

    try:
        # Iterative pre-order walk over block nodes (files may nest thousands deep).
        stack = [root]
        while stack:
            node = stack.pop()
            kind = node_type(node)
            if kind == "paragraph":
                parent = lib.cmark_node_parent(node)
                parent_kind = node_type(parent)
                first_in_item = parent_kind in ("item", "tasklist") and lib.cmark_node_first_child(parent) == node
                starts, removed = paragraph_line_starts(node)
                start = lib.cmark_node_get_start_line(node)
                if removed < 0 or (removed > 0 and not REFERENCE_DEFINITION.match(source_lines[start - 1])):
                    diagnostics.append(f"{name}:{start}: paragraph line count off by {removed}")
                first_line = starts[0][0] if starts else start
                skip_first_line = False
                if first_in_item and parent_kind == "tasklist":
                    checked = lib.cmark_gfm_extensions_get_tasklist_item_checked(parent)
                    add(first_line, "done" if checked else "pending", "[")
                    skip_first_line = True
                elif first_in_item and EMOJI_CHECKBOX.match(leading_text(lib.cmark_node_first_child(node))):
                    add(first_line, "done", "[")
                    skip_first_line = True
                first = True
                for line, inline in starts:
                    if first and skip_first_line:
                        first = False
                        continue
                    first = False
                    if node_type(inline) != "text":
                        continue
                    match = SYMBOL.match(leading_text(inline))
                    if match and written_literally(match.group(1), source_lines, line):
                        add(line, "pending" if match.group(1) == "☐" else "done", match.group(1))
                continue
            if kind in ("code_block", "html_block", "heading", "table", "thematic_break"):
                continue
            stack.extend(reversed(list(children(node))))
    finally:
        lib.cmark_node_free(root)
    return [{"line": line, "status": tasks[line]} for line in sorted(tasks)]


def markdown_files(paths: list[str], base: str | None):
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise SystemExit(f"crosscheck_cmark_gfm.py: no such file or directory: {given}")
        if path.is_dir():
            root = Path(base) if base else path
            for file in sorted(path.rglob("*.md")):
                yield file, file.relative_to(root).as_posix()
        else:
            root = Path(base) if base else path.parent
            yield path, path.relative_to(root).as_posix() if base else path.name


def to_json(document: dict) -> str:
    """Indented JSON with one task per line: readable diffs, a fixture of modest size."""
    out = ["{", f' "generator": {json.dumps(document["generator"], ensure_ascii=False)},', ' "files": [']
    for i, entry in enumerate(document["files"]):
        head = {k: v for k, v in entry.items() if k != "tasks"}
        out.append(f"  {json.dumps(head, ensure_ascii=False)[:-1]}, \"tasks\": [")
        out.append(",\n".join(f"   {json.dumps(t, ensure_ascii=False)}" for t in entry["tasks"]))
        out.append("  ]}" + ("," if i + 1 < len(document["files"]) else ""))
    out.append(" ]")
    out.append("}")
    return "\n".join(line for line in out if line) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--base", help="directory file names are relative to")
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    ap.add_argument(
        "--fences",
        choices=("strict", "lenient"),
        default="strict",
        help="lenient: a fence line with an info string closes an open fence (planvec --fences lenient)",
    )
    args = ap.parse_args()

    files = []
    for path, name in markdown_files(args.paths, args.base):
        data = path.read_bytes()
        if args.fences == "lenient":
            data = lenient_fences(data)
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
        tasks = tasks_of(data, LINE_SPLIT.split(text), name)
        done = sum(1 for t in tasks if t["status"] == "done")
        files.append({"file": name, "total": len(tasks), "done": done, "pending": len(tasks) - done, "tasks": tasks})
    files.sort(key=lambda f: f["file"])

    document = {
        "generator": {
            "tool": "scripts/markdown/crosscheck_cmark_gfm.py",
            "cmark_gfm": ffi.string(lib.cmark_version_string()).decode(),
            "cmarkgfm_python": version("cmarkgfm"),
            "extensions": [e.decode() for e in EXTENSIONS],
            "options": ["SOURCEPOS", "UNSAFE"],
            "fences": args.fences,
        },
        "files": files,
    }
    text = to_json(document)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for line in diagnostics:
        print(f"self-check: {line}", file=sys.stderr)
    return 1 if diagnostics else 0


if __name__ == "__main__":
    sys.exit(main())
