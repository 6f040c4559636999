"""The human report: groups, members and their discrepancies, drawn with rich.

Document text and file names are untrusted: they are always passed to rich as
plain `Text` (never markup) after `printable()` has escaped every control,
C1 and bidi character. Without colour, changes are marked as [-removed-] and
{+added+} so that nothing is lost when colour is gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dedup.differ import Comparison, Discrepancy
from dedup.printable import printable
from dedup.render import RenderOptions
from dedup.scan import Member, ScanResult

_PLURALS = {
    "name": "names",
    "inflection": "inflections",
    "number": "numbers",
    "date": "dates",
    "word": "words",
    "sentence": "sentences",
    "header": "headers",
    "footer": "footers",
    "punctuation": "punctuation",
    "case": "case changes",
}


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Let a reader that stopped reading (`| head`) be the CLI's to handle, not rich's exit status 1."""
        self.quiet = True
        raise BrokenPipeError


def console(out: TextIO, options: RenderOptions) -> Console:
    """Return a console on `out` that interprets nothing in the text it is given."""
    return _Console(
        file=out,
        color_system="standard" if options.color else None,
        force_terminal=options.color,
        no_color=not options.color,
        markup=False,
        emoji=False,
        highlight=False,
        width=options.width,
        soft_wrap=options.width is None and not out.isatty(),
    )


def write_scan(result: ScanResult, out: Console, options: RenderOptions) -> None:
    """Draw every group with its members' discrepancies, then unique and skipped files."""
    for group in result.groups:
        ref = group.reference
        title = Text(f"Group {group.id}", style="bold")
        title.append(f" · {len(group.members)} documents · reference ")
        title.append(printable(ref.path), style="bold cyan")
        title.append(f" ({ref.words} words)")
        out.print(title)
        for member in group.members[1:]:
            _member(member, ref.path, out, options)
        out.print()
    if result.unique:
        out.print(Text(f"Unique ({len(result.unique)}): no near-duplicate found", style="bold"))
        for unique in result.unique:
            out.print(Text("  " + printable(unique.path)))
        out.print()
    if result.skipped:
        out.print(Text(f"Skipped ({len(result.skipped)})", style="bold"))
        for skipped in result.skipped:
            line = Text("  " + printable(skipped.path))
            line.append(f"  {skipped.reason}: {printable(skipped.detail)}", style="dim")
            out.print(line)


def _member(member: Member, reference: str, out: Console, options: RenderOptions) -> None:
    head = Text("  ")
    head.append(printable(member.path), style="cyan")
    head.append(f"  similarity {member.similarity:.2f}, containment {member.containment:.2f}", style="dim")
    out.print(head)
    if member.not_compared is not None:
        out.print(Text(f"    not compared: {printable(member.not_compared)}", style="bold yellow"))
        return
    _discrepancies(member.discrepancies, out, options, indent="    ")


def write_diff(comparison: Comparison, out: Console, options: RenderOptions) -> None:
    """Draw the discrepancies of `b` against `a`."""
    head = Text(printable(comparison.a), style="bold cyan")
    head.append(" ↔ ")
    head.append(printable(comparison.b), style="bold cyan")
    head.append(f"  similarity {comparison.similarity:.2f}", style="dim")
    out.print(head)
    _discrepancies(comparison.discrepancies, out, options, indent="  ")


def summary_line(found: Iterable[Discrepancy], show_all: bool) -> str:
    """Return e.g. "1 name, 2 inflections; 3 minor hidden (--all shows them)"."""
    found = list(found)
    counts = Counter(d.category.value for d in found if show_all or d.severity == "major")
    parts = [f"{n} {category if n == 1 else _PLURALS[category]}" for category, n in sorted(counts.items())]
    text = ", ".join(parts) or "no discrepancies"
    hidden = sum(1 for d in found if d.severity == "minor")
    if hidden and not show_all:
        text += f"; {hidden} minor hidden (--all shows them)"
    return text


def _discrepancies(found: tuple[Discrepancy, ...], out: Console, options: RenderOptions, indent: str) -> None:
    out.print(Text(indent + summary_line(found, options.show_all), style="bold"))
    shown = [d for d in found if options.show_all or d.severity == "major"]
    if options.side_by_side and shown:
        out.print(_side_by_side(shown, options))
        return
    for d in shown:
        where = Text(indent)
        where.append(f"{d.category.value} {d.kind}", style=_STYLE[d.kind])
        if d.note:
            where.append(f" ({d.note})", style="dim")
        where.append(f"  {printable(d.a.path)}:{d.a.line}:{d.a.column} → ", style="dim")
        where.append(f"{printable(d.b.path)}:{d.b.line}:{d.b.column}", style="dim")
        out.print(where)
        out.print(_inline(d, options, indent + "  "))


_STYLE = {"removed": "red", "added": "green", "changed": "yellow", "moved": "magenta"}


def _inline(d: Discrepancy, options: RenderOptions, indent: str) -> Text:
    before, after = d.a_context if d.a_text else d.b_context
    line = Text(indent)
    if before.strip():
        line.append("…" + printable(before.lstrip()), style="dim")
    line.append_text(_change(d, options.color))
    if after.strip():
        line.append(printable(after.rstrip()) + "…", style="dim")
    return line


def _change(d: Discrepancy, color: bool) -> Text:
    a, b = printable(d.a_text), printable(d.b_text)
    text = Text()
    if d.kind == "changed":
        if color:
            text.append(a, style="yellow strike")
            text.append(" → ", style="dim")
            text.append(b, style="bold yellow")
        else:
            text.append(f"[-{a}-]{{+{b}+}}")
    elif d.kind == "moved":
        text.append(a if color else f"[~{a}~]", style="magenta")
    elif d.a_text:
        text.append(a if color else f"[-{a}-]", style="red strike")
    else:
        text.append(b if color else f"{{+{b}+}}", style="green")
    return text


def _side_by_side(found: list[Discrepancy], options: RenderOptions) -> Table:
    table = Table(show_header=True, header_style="bold", expand=True, box=None, padding=(0, 1))
    table.add_column(printable(found[0].a.path), ratio=1, overflow="fold")
    table.add_column(printable(found[0].b.path), ratio=1, overflow="fold")
    for d in found:
        table.add_row(_side(d.a_context, d.a_text, "red", d, options),
                      _side(d.b_context, d.b_text, "green", d, options))
    return table


def _side(context: tuple[str, str], changed: str, style: str, d: Discrepancy, options: RenderOptions) -> Text:
    before, after = context
    cell = Text(f"{d.category.value} {d.kind}\n", style="dim")
    cell.append(printable(before.lstrip()), style="dim")
    mark = printable(changed) if options.color else ("[-" if style == "red" else "{+") + printable(changed) + (
        "-]" if style == "red" else "+}"
    )
    cell.append(mark if changed else "∅", style=style if changed else "dim")
    cell.append(printable(after.rstrip()), style="dim")
    return cell
