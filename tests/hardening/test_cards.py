"""A card loads nothing from any host: an image in Claude's Markdown is shown as its link (finding 14)."""

from __future__ import annotations

import re

import pytest

from helpers.display import markdown_html


@pytest.mark.parametrize(
    "text",
    [
        "see ![tracker](https://collector.example/p.png?who=you)",
        'see ![t](https://collector.example/p.png "title")',
        "see ![t][ref]\n\n[ref]: https://collector.example/p.png",
        "see [![t](https://collector.example/p.png)](https://example.com)",
    ],
)
def test_a_remote_image_is_shown_as_its_link_and_never_loaded(text):
    out = markdown_html(text)
    assert not re.search(r"<img\b", out), out
    assert not re.search(r"\bsrc\s*=", out)
    assert 'href="https://collector.example/p.png' in out, "the link stays, a click away"
