"""Costs and model choice for 09_costs: the price table as a card, an application's monthly cost per model,
an offline cost calculator widget, and a figure of the course's own bill.

Every rate comes from `helpers.pricing` and every bill from `helpers.bill`; nothing here holds a price, so
updating the price table updates the calculator and the figures. matplotlib and ipywidgets are imported
only when a figure or the widget is built.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .display import MUTED, Card
from .models import KNOWN, MODELS, canonical_model_id, current_lineup, model_info
from .pricing import BATCH_DISCOUNT, PRICES, SOURCE, UnknownPriceError, format_usd, price_of

__all__ = [
    "DAYS_PER_MONTH",
    "usd",
    "price_table",
    "lineup_table",
    "model_name",
    "MonthlyCost",
    "monthly_cost",
    "monthly_costs",
    "calculator_text",
    "calculator_figure",
    "CostCalculator",
    "cost_calculator",
    "bill_figure",
]

DAYS_PER_MONTH = 30

_COLUMNS = (
    ("input", "input"),
    ("cache write 5 min", "cache_write_5m"),
    ("cache write 1 h", "cache_write_1h"),
    ("cache read", "cache_read"),
    ("output", "output"),
)


def usd(dollars: float) -> str:
    """Dollars for a reader: cents from $1 up ($1,234.50), else format_usd's places for single calls."""
    return f"${dollars:,.2f}" if abs(dollars) >= 1 else format_usd(dollars)


def _table(title: str, heads: list[str], rows: list[tuple[str, list[str]]], left: int = 0) -> Card:
    """A Card with the same table as fixed-width text and as HTML: the model and the next `left` columns
    aligned left (words), the rest right (numbers)."""
    width = max([len(m) for m, _ in rows] + [5])
    cols = [max([len(h)] + [len(r[i]) for _, r in rows]) for i, h in enumerate(heads)]
    align = ["<" if i < left else ">" for i in range(len(heads))]

    def line(first: str, cells: list[str]) -> str:
        return f"{first:<{width}}" + "".join(f"  {c:{a}{w}}" for c, a, w in zip(cells, align, cols, strict=True))

    lines = [title, line("model", heads)] + [line(m, cells) for m, cells in rows]
    esc = html.escape
    side = ["left" if a == "<" else "right" for a in align]
    th = "".join(f'<th style="text-align:{x};padding:2px 8px">{esc(h)}</th>' for h, x in zip(heads, side, strict=True))
    trs = "".join(
        f'<tr><td style="text-align:left;padding:2px 8px"><code>{esc(m)}</code></td>'
        + "".join(f'<td style="text-align:{x};padding:2px 8px">{esc(c)}</td>' for c, x in zip(cells, side, strict=True))
        + "</tr>"
        for m, cells in rows
    )
    table = (
        f'<div style="font-size:13px"><b>{esc(title)}</b><table style="border-collapse:collapse">'
        f'<thead><tr><th style="text-align:left;padding:2px 8px">model</th>{th}</tr></thead>'
        f"<tbody>{trs}</tbody></table></div>"
    )
    return Card("\n".join(lines), table)


def price_table() -> Card:
    """PRICES with every derived rate (cache writes and reads, batch), in dollars per million tokens.

    A model priced by prompt length gets a second row for its cheaper tier (e.g. "<= 100K prompt").
    """
    heads = [h for h, _ in _COLUMNS] + ["batch input", "batch output"]
    rows = []
    for model, price in PRICES.items():
        tiers = [(model, price)]
        if price.short is not None:
            tiers.append((f"{model} <= {price.short_up_to // 1000}K prompt", price.short))
        for label, p in tiers:
            rates = [getattr(p, attr) for _, attr in _COLUMNS] + [p.input * BATCH_DISCOUNT, p.output * BATCH_DISCOUNT]
            rows.append((label, [_rate(r) for r in rates]))
    return _table(f"US dollars per million tokens ({SOURCE})", heads, rows)


def _rate(dollars: float) -> str:
    """Two places, three where the page has them ($0.625, $0.125)."""
    text = f"{dollars:.3f}"
    return text[:-1] if text.endswith("0") else text


def _k(tokens: int) -> str:
    return f"{tokens // 1_000_000}M" if tokens >= 1_000_000 else f"{tokens // 1000}K"


def lineup_table() -> Card:
    """Today's current models, then the primer's (legacy) ones: limits, thinking and prices.

    Everything comes from helpers.models and helpers.pricing; a price is "from" the cheapest tier.
    """
    heads = ["name", "status", "thinking", "context", "max output", "input", "output", "cache write", "cache read"]
    rows = []
    lineup = current_lineup()
    legacy = [m for m in KNOWN.values() if m.status == "legacy"]
    rest = [m for m in dict.fromkeys([*MODELS.values(), *legacy]) if m not in lineup]  # once each
    for info in lineup + rest:
        try:
            p = price_of(info.id).for_prompt(0)
            prices = ["$" + _rate(r) for r in (p.input, p.output, p.cache_write_5m, p.cache_read)]
        except UnknownPriceError:
            prices = ["n/a"] * 4  # not published (helpers.pricing.UNPRICED)
        status = info.status if info.access == "everyone" else f"{info.status}, {info.access}"
        limits = [_k(info.context_window), _k(info.max_output)]
        rows.append((info.id, [info.name, status, info.thinking, *limits, *prices]))
    title = "Models, limits and US dollars per million tokens (lowest tier; cache write: 5 minutes)"
    return _table(title, heads, rows, left=3)


def model_name(model: str) -> str:
    """The model's name from helpers.models ("Claude Haiku 4.5"), or its id when the course has no facts."""
    try:
        return model_info(model).name
    except KeyError:
        return model


@dataclass(frozen=True)
class MonthlyCost:
    """An application's cost for one month on one model, by part, in dollars."""

    model: str
    requests: float
    input: float
    cache_read: float
    output: float

    @property
    def total(self) -> float:
        return self.input + self.cache_read + self.output

    @property
    def per_request(self) -> float:
        return self.total / self.requests if self.requests else 0.0


def _amount(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def _share(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a share from 0 to 1 (e.g. 0.25 for 25%), got {value!r}")
    return float(value)


def monthly_cost(
    model: str,
    requests_per_day: float,
    input_tokens: float,
    output_tokens: float,
    *,
    share_cached: float = 0.0,
    share_batched: float = 0.0,
    days: float = DAYS_PER_MONTH,
) -> MonthlyCost:
    """The monthly cost of `requests_per_day` requests of this size on `model`.

    `share_cached` is the share of each request's input tokens read from the prompt cache (at the cache
    read rate; the occasional cache write is left out), `share_batched` the share of requests sent through
    the Batches API (every rate times BATCH_DISCOUNT). UnknownPriceError for a model without a price.
    """
    per_day = _amount(requests_per_day, "requests_per_day")
    tokens_in = _amount(input_tokens, "input_tokens")
    tokens_out = _amount(output_tokens, "output_tokens")
    cached = _share(share_cached, "share_cached")
    batched = _share(share_batched, "share_batched")
    if _amount(days, "days") == 0:
        raise ValueError("days must be more than 0")
    price = price_of(model).for_prompt(tokens_in)  # a model priced by prompt length: this size's tier
    requests = per_day * days
    # Batched requests pay BATCH_DISCOUNT of every rate; the rest pay the full rate.
    per_token = ((1 - batched) + batched * BATCH_DISCOUNT) / 1_000_000
    return MonthlyCost(
        model=canonical_model_id(model),
        requests=requests,
        input=requests * tokens_in * (1 - cached) * price.input * per_token,
        cache_read=requests * tokens_in * cached * price.cache_read * per_token,
        output=requests * tokens_out * price.output * per_token,
    )


def monthly_costs(
    requests_per_day: float, input_tokens: float, output_tokens: float, **kw: float
) -> dict[str, MonthlyCost]:
    """monthly_cost for every model in the price table, cheapest first."""
    costs = {m: monthly_cost(m, requests_per_day, input_tokens, output_tokens, **kw) for m in PRICES}
    return dict(sorted(costs.items(), key=lambda item: item[1].total))


def calculator_text(costs: Mapping[str, MonthlyCost], chosen: str) -> str:
    """The calculator's result as plain text: one line per model, the chosen one marked."""
    if not costs:
        raise ValueError("no costs to show")
    lines = []
    for model, c in costs.items():
        mark = "->" if model == canonical_model_id(chosen) else "  "
        lines.append(
            f"{mark} {model_name(model):<18} {usd(c.total):>12} a month ({usd(c.per_request)} a request) · "
            f"input {usd(c.input)}, cache reads {usd(c.cache_read)}, output {usd(c.output)}"
        )
    return "\n".join(lines)


_PART_COLORS = {"input": "#8c959f", "cache_read": "#54aeff", "output": "#8250df"}
_PART_LABELS = {"input": "input (uncached)", "cache_read": "cache reads", "output": "output"}


def calculator_figure(costs: Mapping[str, MonthlyCost], chosen: str | None = None) -> tuple[Any, Any]:
    """Monthly cost per model as bars stacked by part; the chosen model's bar is outlined."""
    from .plots import figure

    if not costs:
        raise ValueError("no costs to plot")
    models = list(costs)
    fig, ax = figure("Monthly cost per model", "model", "cost per month (US dollars)", size=(7.0, 3.4))
    names = [model_name(m) for m in models]
    bottom = [0.0] * len(models)
    for part, color in _PART_COLORS.items():
        values = [getattr(costs[m], part) for m in models]
        ax.bar(names, values, bottom=bottom, color=color, label=_PART_LABELS[part], width=0.55)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    top = max(bottom) or 1.0
    for i, (m, total) in enumerate(zip(models, bottom, strict=True)):
        picked = chosen is not None and m == canonical_model_id(chosen)
        if picked:
            ax.bar([names[i]], [total], fill=False, edgecolor="black", linewidth=2, width=0.55)
        ax.annotate(
            usd(total), (i, total), ha="center", va="bottom", fontsize=9, fontweight="bold" if picked else "normal"
        )
    ax.set_ylim(0, top * 1.18)  # room for the labels
    from matplotlib.ticker import FuncFormatter

    # Dollars on the axis ($1,200, $0.50), never matplotlib's "1e6" offset notation.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"${v:,.0f}" if top >= 10 else f"${v:,.2f}"))
    for label in ax.get_xticklabels():  # seven model names side by side would overlap
        label.set_rotation(20)
        label.set_horizontalalignment("right")
    ax.legend(loc="upper left", fontsize=8)
    return fig, ax


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)  # rendered into the widget; not shown a second time by the inline backend
    return buf.getvalue()


_INPUTS = ("requests_per_day", "input_tokens", "output_tokens", "share_cached", "share_batched", "model")
# The number boxes' ranges: a value outside is computed at the nearest bound, and the summary says so.
_LIMITS = {"requests_per_day": (0, 100_000_000), "input_tokens": (0, 1_000_000), "output_tokens": (0, 128_000)}


class CostCalculator:
    """Sliders and boxes for an application's traffic, and its monthly cost per model as a bar chart.

    Computes with `monthly_costs` from the course's price table only, so it works offline and sends nothing.
    `set(...)` changes inputs from code (as the widgets do); `costs()` returns the numbers on show.
    """

    def __init__(
        self,
        requests_per_day: int = 1_000,
        input_tokens: int = 2_000,
        output_tokens: int = 400,
        share_cached: float = 0.0,
        share_batched: float = 0.0,
        model: str | None = None,
    ):
        import ipywidgets as w

        models = list(PRICES)
        model = canonical_model_id(model or models[0])
        if model not in PRICES:
            price_of(model)  # raises UnknownPriceError naming the known models
        wide = {"description_width": "170px"}
        box = w.Layout(width="330px")
        # IntText, not BoundedIntText (which clamps what is typed without a word); continuous_update: the
        # chart follows each keystroke, not only Enter.
        number = {"style": wide, "layout": box, "continuous_update": True}
        self.requests_per_day = w.IntText(requests_per_day, step=100, description="requests per day", **number)
        self.input_tokens = w.IntText(input_tokens, step=100, description="input tokens / request", **number)
        self.output_tokens = w.IntText(output_tokens, step=50, description="output tokens / request", **number)
        self.share_cached = w.FloatSlider(
            share_cached,
            min=0,
            max=1,
            step=0.05,
            readout_format=".0%",
            continuous_update=False,
            description="share of input cached",
            style=wide,
            layout=box,
        )
        self.share_batched = w.FloatSlider(
            share_batched,
            min=0,
            max=1,
            step=0.05,
            readout_format=".0%",
            continuous_update=False,
            description="requests batched",
            style=wide,
            layout=box,
        )
        self.model = w.Dropdown(
            options=[(model_name(m), m) for m in models], value=model, description="your model", style=wide, layout=box
        )
        self.chart = w.Image(format="png", layout=w.Layout(width="560px"))
        self.summary = w.HTML()
        controls = [
            self.requests_per_day,
            self.input_tokens,
            self.output_tokens,
            self.share_cached,
            self.share_batched,
            self.model,
        ]
        for control in controls:
            control.observe(self._update, names="value")
        self.box = w.VBox([w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])]), self.chart, self.summary])
        self._png = b""
        self._update()

    def _value(self, name: str) -> int:
        low, high = _LIMITS[name]
        return min(max(getattr(self, name).value, low), high)

    def out_of_range(self) -> list[str]:
        """One sentence per number box whose value is outside its range (computed at the nearest bound)."""
        said = []
        for name, (low, high) in _LIMITS.items():
            value = getattr(self, name).value
            if not low <= value <= high:
                label = getattr(self, name).description
                said.append(f"{label} {value:,} is outside {low:,}-{high:,}: computed with {self._value(name):,}.")
        return said

    def costs(self) -> dict[str, MonthlyCost]:
        return monthly_costs(
            self._value("requests_per_day"),
            self._value("input_tokens"),
            self._value("output_tokens"),
            share_cached=self.share_cached.value,
            share_batched=self.share_batched.value,
        )

    def set(self, **values: Any) -> None:
        """Change inputs by name (requests_per_day, input_tokens, ..., model), then redraw."""
        for name, value in values.items():
            if name not in _INPUTS:
                raise AttributeError(f"the calculator has no input {name!r}; it has {', '.join(_INPUTS)}")
            getattr(self, name).value = value

    def text(self) -> str:
        head = (
            f"Cost calculator: {self.requests_per_day.value:,} requests a day x {DAYS_PER_MONTH} days, "
            f"{self.input_tokens.value:,} input tokens ({self.share_cached.value:.0%} cached) and "
            f"{self.output_tokens.value:,} output tokens each, {self.share_batched.value:.0%} batched"
        )
        warnings = [f"! {t}" for t in self.out_of_range()]
        return "\n".join([head, *warnings, calculator_text(self.costs(), self.model.value)])

    def _update(self, _change: object = None) -> None:
        costs = self.costs()
        fig, _ = calculator_figure(costs, self.model.value)
        self._png = _png(fig)
        self.chart.value = self._png
        chosen = costs[self.model.value]
        cheapest = next(iter(costs))
        note = ""
        if cheapest != self.model.value and costs[cheapest].total > 0:
            ratio = chosen.total / costs[cheapest].total
            note = f"; {ratio:.1f}x the cost of {html.escape(model_name(cheapest))}"
        warn = "".join(
            f'<div style="color:var(--jp-warn-color0, #9a6700)">⚠ {html.escape(t)}</div>' for t in self.out_of_range()
        )
        self.summary.value = warn + (
            f'<div style="font-size:13px;line-height:1.4"><b>{html.escape(model_name(self.model.value))}</b>: '
            f"{usd(chosen.total)} a month, {usd(chosen.per_request)} a request{note}. "
            f'<span style="color:{MUTED}">Cache writes are left out; a month is {DAYS_PER_MONTH} days; '
            f"prices from helpers.pricing ({html.escape(SOURCE)}).</span></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The live widget in Jupyter; the chart and a text table where widgets cannot render (GitHub, nbval).
        data = dict(self.box._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = self.text()
        data["image/png"] = base64.b64encode(self._png).decode("ascii")
        return data


def cost_calculator(**defaults: Any) -> CostCalculator:
    """A CostCalculator with these starting values (see CostCalculator for the names)."""
    return CostCalculator(**defaults)


def _model_color(model: str) -> str:
    from .plots import COLORS

    name = canonical_model_id(model)
    for family in ("opus", "sonnet", "haiku"):
        if family in name:
            return COLORS[family]
    return COLORS["muted"]


def bill_figure(bill: Mapping[str, Any]) -> tuple[Any, Any]:
    """The course bill (helpers.bill.course_bill()) as one horizontal bar per notebook, stacked by model."""
    from .plots import figure

    if not bill:
        raise ValueError("the bill is empty: there are no recordings to price")
    names = list(bill)
    seen = {canonical_model_id(m) for t in bill.values() for m in t.by_model}
    models = [m for m in PRICES if m in seen] + sorted(seen - set(PRICES))  # the price table's order
    height = 1.4 + 0.32 * len(names)
    fig, ax = figure(
        "What a full live run of each notebook costs", "cost at live prices (US dollars)", "", size=(7.0, height)
    )
    rows = range(len(names))
    left = [0.0] * len(names)
    for model in models:
        values = [sum(usd for m, usd in bill[n].by_model.items() if canonical_model_id(m) == model) for n in names]
        ax.barh(list(rows), values, left=left, color=_model_color(model), label=model_name(model), height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for i, n in enumerate(names):
        calls = sum(bill[n].calls.values())
        extra = f", {sum(bill[n].unpriced.values())} unpriced" if bill[n].unpriced else ""
        label = f" {format_usd(left[i])} ({calls} call{'' if calls == 1 else 's'}{extra})"
        ax.annotate(label, (left[i], i), va="center", fontsize=8)
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()  # first notebook at the top, as in the contents
    ax.set_xlim(0, (max(left) or 1.0) * 1.45)  # room for the labels
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")
    if models:
        ax.legend(loc="lower right", fontsize=8)
    return fig, ax
