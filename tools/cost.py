"""`make cost`: what a full live run of every notebook costs, from the recordings' usage and the price table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.bill import course_bill, format_bill  # noqa: E402
from helpers.gateway.budget import DEFAULT_BUDGET_USD  # noqa: E402
from helpers.pricing import SOURCE, format_usd  # noqa: E402

if __name__ == "__main__":
    bill = course_bill()
    print(format_bill(bill))
    total = sum(t.total for t in bill.values())
    print(f"\nPrices: {SOURCE}. Usage: from the recordings (authored ones hold estimates).")
    print(f"The default budget, {format_usd(DEFAULT_BUDGET_USD)}, is {DEFAULT_BUDGET_USD / total:.1f}x this total.")
