"""The course's own bill: what a full live run of every notebook would cost, from the recordings'
usage and the price table. `make cost` prints it; notebook 09 plots it."""

from __future__ import annotations

from pathlib import Path

from .config import RECORDINGS_DIR
from .gateway.meter import Tally, charges_from_exchange
from .gateway.recordings import Exchange, Recording, load_recordings
from .models import PRIMER_OPUS
from .pricing import format_usd

__all__ = ["VERBATIM", "sent_by_notebooks", "recording_bill", "course_bill", "format_bill"]

# The label suffix of the exchanges that only tests send: the primer's own code, verbatim, with its legacy model
# (tests/test_primer_verbatim.py). No notebook cell sends them, so a full live run of the notebooks never pays them.
VERBATIM = f", verbatim ({PRIMER_OPUS})"


def sent_by_notebooks(ex: Exchange) -> bool:
    """Whether a notebook cell sends this exchange: every one but those labelled with VERBATIM."""
    return not ex.label.endswith(VERBATIM)


def recording_bill(rec: Recording) -> Tally:
    """Totals per model for one recording (every exchange a notebook sends is one live call)."""
    tally = Tally()
    for ex in filter(sent_by_notebooks, rec.exchanges):
        tally.add(charges_from_exchange(ex.response))
    return tally


def course_bill(folder: Path = RECORDINGS_DIR) -> dict[str, Tally]:
    """notebook name -> its tally, for every recording in `folder`."""
    return {rec.name: recording_bill(rec) for rec in load_recordings(folder)}


def format_bill(bill: dict[str, Tally]) -> str:
    """A plain-text table: one line per notebook, then the total."""
    width = max([len(n) for n in bill] + [5])
    lines = [f"{'notebook':<{width}}  {'calls':>5}  {'cost':>10}"]
    for name, tally in bill.items():
        calls = sum(tally.calls.values()) + sum(tally.unpriced.values())
        note = f"  (+{sum(tally.unpriced.values())} unpriced: {', '.join(tally.unpriced)})" if tally.unpriced else ""
        lines.append(f"{name:<{width}}  {calls:>5}  {format_usd(tally.total):>10}{note}")
    total = sum(t.total for t in bill.values())
    lines.append(f"{'total':<{width}}  {'':>5}  {format_usd(total):>10}")
    return "\n".join(lines)
