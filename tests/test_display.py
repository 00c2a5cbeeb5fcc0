"""Message cards: Claude's Markdown rendered safely, raw text a click away, colours that follow the theme."""

from __future__ import annotations

import re

from helpers.display import markdown_html, message_html

TEXT = "**Bold** and a list:\n\n- one\n- two\n\n<img src=x onerror=alert(1)> [go](javascript:alert(1))"
MESSAGE = {
    "model": "claude-haiku-4-5",
    "stop_reason": "end_turn",
    "content": [
        {"type": "text", "text": TEXT},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "usage": {"input_tokens": 10, "output_tokens": 5},
}


def test_markdown_is_rendered_and_raw_html_and_script_links_are_not():
    out = markdown_html(MESSAGE["content"][0]["text"])
    assert "<strong>Bold</strong>" in out and "<li>one</li>" in out
    assert "<img" not in out and "&lt;img" in out, "raw HTML from the model is shown, never run"
    assert "javascript:" not in out.split("<details")[0], "a script link is neutralized"
    assert "<summary>raw text</summary>" in out and "**Bold**" in out, "the raw text is one click away"


def test_card_colours_are_theme_variables_with_static_fallbacks():
    card = message_html(MESSAGE)
    colours = re.findall(r"(?:color|background|border[a-z-]*):\s*([^;\"]+)", card)
    fixed = [c for c in colours if "#" in c and "var(--jp-" not in c]
    assert not [c for c in fixed if any(h in c for h in ("#f6f8fa", "#57606a", "#d0d7de", "#eaeef2"))], fixed
    assert "var(--jp-layout-color2, #f6f8fa)" in card, "the tool_use panel follows the theme"
    assert "var(--jp-content-font-color2, #57606a)" in card, "muted text follows the theme"


def test_banner_bundle_boxes_the_banner_and_names_the_models():
    from helpers.display import banner_bundle

    models = {"OPUS": "claude-opus-4-6", "HAIKU": "claude-haiku-4-5"}
    shared = banner_bundle("replay mode via the shared gateway at http://10.0.0.5:8765: answers <come>.", models)
    assert shared["text/plain"].splitlines() == [
        "replay mode via the shared gateway at http://10.0.0.5:8765: answers <come>.",
        "models: OPUS = claude-opus-4-6 · HAIKU = claude-haiku-4-5 (helpers/models.py)",
    ]
    html_ = shared["text/html"]
    assert "<b>replay mode via the shared gateway at http://10.0.0.5:8765</b>: answers &lt;come&gt;." in html_
    assert "border-left:4px solid var(--jp-info-color1" in html_, "replay: the blue edge"
    live = banner_bundle("live mode: calls go to https://api.anthropic.com with your key", models)["text/html"]
    assert "var(--jp-warn-color1" in live, "calls that cost money: the orange edge"
