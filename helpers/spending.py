"""What this kernel's calls cost, per model, and in live mode the course-wide spend and budget left."""

from __future__ import annotations

import html

from .display import Card
from .pricing import format_usd
from .session import current_session, gateway_status

__all__ = ["spend"]


def spend() -> Card:
    """A card of spend: this kernel per model (in replay: what the calls would cost live), then the budget."""
    status = gateway_status()
    mode = current_session().mode
    own = status["spend"]
    heading = "This kernel, at live prices (replay costs nothing)" if mode == "replay" else "This kernel"
    rows = [(m, own["calls"].get(m, 0), format_usd(usd)) for m, usd in sorted(own["by_model"].items())]
    rows += [(m, n, "no price known") for m, n in sorted(own["unpriced"].items())]
    total = format_usd(sum(own["by_model"].values()))
    lines = (
        [f"{heading}:"]
        + [f"  {m:<28} {n:>4} call{'s' if n != 1 else ' '} {usd:>10}" for m, n, usd in rows]
        + [f"  {'total':<39} {total:>10}"]
    )
    budget = status.get("budget")
    course: list[str] = []
    if budget:
        course.append(
            f"Whole course (ledger): {format_usd(budget['spent'])} spent, {format_usd(budget['reserved'])} reserved, "
            f"{format_usd(budget['left'])} of {format_usd(budget['cap'])} left."
        )
        course += [f"  {m:<28} {format_usd(usd):>16}" for m, usd in sorted(budget["by_model"].items())]
    text = "\n".join(lines + course)
    body = "".join(
        f"<tr><td><code>{html.escape(m)}</code></td><td>{n}</td><td>{html.escape(u)}</td></tr>" for m, n, u in rows
    )
    foot = "<pre>" + html.escape("\n".join(course)) + "</pre>" if course else ""
    table = (
        f"<b>{html.escape(heading)}</b><table><tr><th>model</th><th>calls</th><th>cost</th></tr>{body}"
        f"<tr><td><b>total</b></td><td></td><td><b>{html.escape(total)}</b></td></tr></table>{foot}"
    )
    return Card(text, table)
