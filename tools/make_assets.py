"""Make notebook 11's pictures and PDF, all drawn by the course itself (no third-party content).

    python tools/make_assets.py          write notebooks/data/{sales_chart.png, tin_photo.jpg, invoice.pdf}
    python tools/make_assets.py --check  exit 1 if the PDF differs from what this script writes

- sales_chart.png: a bar chart drawn with matplotlib, 640 x 400 px.
- tin_photo.jpg: a photo-like picture of a dented tea tin, computed pixel by pixel with numpy (shading,
  a soft shadow, sensor noise) and saved as JPEG by Pillow, 480 x 360 px.
- invoice.pdf: a two-page invoice written by hand as a small PDF 1.4 file (Helvetica, one of the 14 standard
  fonts, so nothing is embedded; uncompressed content streams, so `helpers.documents.pdf_pages` reads its text).

The PNG and JPEG bytes depend on the matplotlib and Pillow versions; the PDF is byte-for-byte reproducible
(`--check` compares it). Matplotlib, numpy and Pillow are in the dev lock; the notebook only reads the files.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "notebooks" / "data"
CHART, PHOTO, INVOICE = DATA / "sales_chart.png", DATA / "tin_photo.jpg", DATA / "invoice.pdf"

# The invoice's text, page by page: (x, y, size, text) in PDF points on a US Letter page (612 x 792).
PAGE_1 = [
    (72, 720, 20, "Northwind Tea"),
    (72, 700, 10, "12 Harbour Lane, Portsmouth PO1 3AX"),
    (400, 720, 16, "INVOICE NT-2026-0417"),
    (400, 700, 10, "Date: 2 November 2026"),
    (72, 650, 11, "Bill to: Elm Street Cafe, 4 Elm Street, Bristol BS1 5TR"),
    (72, 610, 11, "Item"),
    (330, 610, 11, "Qty"),
    (390, 610, 11, "Unit price"),
    (480, 610, 11, "Amount"),
    (72, 590, 11, "Assam breakfast blend, 250 g tin"),
    (330, 590, 11, "12"),
    (390, 590, 11, "8.50"),
    (480, 590, 11, "102.00"),
    (72, 572, 11, "Darjeeling first flush, 100 g tin"),
    (330, 572, 11, "6"),
    (390, 572, 11, "11.00"),
    (480, 572, 11, "66.00"),
    (72, 554, 11, "Sencha green tea, 200 g pouch"),
    (330, 554, 11, "10"),
    (390, 554, 11, "7.25"),
    (480, 554, 11, "72.50"),
    (72, 536, 11, "Delivery, tracked"),
    (330, 536, 11, "1"),
    (390, 536, 11, "6.50"),
    (480, 536, 11, "6.50"),
    (390, 506, 11, "Subtotal"),
    (480, 506, 11, "247.00"),
    (390, 488, 11, "VAT 20%"),
    (480, 488, 11, "49.40"),
    (390, 466, 12, "Total due (GBP)"),
    (480, 466, 12, "296.40"),
    (72, 420, 10, "Payment due within 30 days of the invoice date. Terms and returns: page 2."),
]
PAGE_2 = [
    (72, 720, 16, "Terms and returns"),
    (72, 690, 11, "1. Payment is due within 30 days of the invoice date, by bank transfer."),
    (72, 670, 11, "2. Goods damaged in transit are replaced free of charge if reported within 14 days"),
    (72, 655, 11, "of delivery, with a photograph of the damaged item."),
    (72, 635, 11, "3. Unopened goods may be returned within 30 days for a refund of the item price;"),
    (72, 620, 11, "delivery charges are not refunded."),
    (72, 600, 11, "4. Opened tea cannot be returned unless it is faulty."),
    (72, 580, 11, "5. Questions: accounts@northwind-tea.example, quoting the invoice number."),
]
PAGES = [PAGE_1, PAGE_2]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def invoice_pdf() -> bytes:
    """The invoice as a valid PDF 1.4 file: catalog, page tree, two pages, one font, a cross-reference table."""
    objects: list[bytes] = []
    n_pages = len(PAGES)
    # 1 catalog, 2 page tree, 3 font, then per page: the page object and its content stream.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(PAGES):
        stream = "".join(f"BT /F1 {size} Tf {x} {y} Td ({_escape(text)}) Tj ET\n" for x, y, size, text in page).encode(
            "latin-1"
        )
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def sales_chart(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = ["Jul", "Aug", "Sep"]
    teas = {"Assam": [410, 380, 455], "Darjeeling": [220, 260, 240], "Sencha": [150, 190, 310]}
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    width = 0.26
    for i, (tea, values) in enumerate(teas.items()):
        xs = [m + (i - 1) * width for m in range(len(months))]
        ax.bar(xs, values, width=width, label=tea, color=["#8c510a", "#d8b365", "#5ab4ac"][i])
    ax.set_xticks(range(len(months)), months)
    ax.set_title("Northwind Tea: tins sold per month, Q3 2026")
    ax.set_xlabel("month (2026)")
    ax.set_ylabel("tins sold")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def tin_photo(path: Path) -> None:
    import numpy as np
    from PIL import Image

    h, w = 360, 480
    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:h, 0:w].astype(float)
    # Background: a warm table top below a pale wall, lit from the upper left.
    img = np.zeros((h, w, 3))
    wall = np.array([0.86, 0.84, 0.80]) - 0.10 * (x / w)[..., None] - 0.05 * (y / h)[..., None]
    table = np.array([0.55, 0.38, 0.24]) - 0.08 * ((y - 250) / h)[..., None]
    img[:] = np.where((y < 250)[..., None], wall, table)
    # A soft shadow to the right of the tin.
    shadow = np.exp(-(((x - 290) / 70) ** 2 + ((y - 262) / 12) ** 2))
    img *= (1 - 0.45 * shadow)[..., None]
    # The tin: a cylinder shaded left to right, a lid ellipse and a label band.
    cx, r, top, bottom = 220, 75, 90, 262
    inside = (np.abs(x - cx) < r) & (y > top) & (y < bottom)
    u = (x - cx) / r
    shade = 0.35 + 0.65 * np.clip(np.cos(np.clip(u, -1, 1) * 1.3 - 0.45), 0, 1)
    body = np.array([0.10, 0.30, 0.22])[None, None, :] * shade[..., None] * 1.6
    label = (y > 150) & (y < 215)
    body = np.where(label[..., None], np.array([0.88, 0.78, 0.52]) * shade[..., None], body)
    img = np.where(inside[..., None], body, img)
    lid = ((x - cx) / r) ** 2 + ((y - top) / 16) ** 2 < 1
    img = np.where(lid[..., None], np.array([0.70, 0.72, 0.70]) * (0.8 + 0.2 * (1 - u))[..., None], img)
    base = ((x - cx) / r) ** 2 + ((y - bottom) / 14) ** 2 < 1
    img = np.where((base & (y >= bottom))[..., None], img * 0.6, img)
    # The dent: a darker, crumpled patch on the upper right of the body.
    dent = np.exp(-(((x - 262) / 18) ** 2 + ((y - 128) / 24) ** 2))
    ripple = 0.5 + 0.5 * np.sin((x - 262) * 0.55 + (y - 128) * 0.3)
    img = np.where(inside[..., None], img * (1 - 0.55 * dent * ripple)[..., None], img)
    # Sensor noise and a slight vignette, as a phone camera would give.
    vignette = 1 - 0.25 * (((x - w / 2) / w) ** 2 + ((y - h / 2) / h) ** 2)
    img = img * vignette[..., None] + rng.normal(0, 0.018, img.shape)
    pixels = (np.clip(img, 0, 1) * 255).astype("uint8")
    Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=85, optimize=True)


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        same = INVOICE.is_file() and INVOICE.read_bytes() == invoice_pdf()
        print("invoice.pdf is up to date" if same else "invoice.pdf differs: run python tools/make_assets.py")
        return 0 if same else 1
    if argv:
        print("usage: python tools/make_assets.py [--check]", file=sys.stderr)
        return 2
    DATA.mkdir(parents=True, exist_ok=True)
    INVOICE.write_bytes(invoice_pdf())
    sales_chart(CHART)
    tin_photo(PHOTO)
    for p in (CHART, PHOTO, INVOICE):
        print(f"wrote {p.relative_to(ROOT).as_posix()} ({p.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
