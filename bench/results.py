"""Writing one section of bench/RESULTS.md: the section under HEADING is replaced by a new run's lines, or
added (before BEFORE when given, else at the end); every other section is left as it is."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(heading: str, lines: list[str], *, before: str | None = None, path: Path = RESULTS) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    body = "\n".join(lines)
    if heading in text:
        head, _, rest = text.partition(heading)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        text = head + body + ("\n" + tail if tail else "")
    elif before and before in text:
        head, _, rest = text.partition(before)
        text = head + body + "\n" + before + rest
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")
