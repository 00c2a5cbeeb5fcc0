"""helpers.conversations and helpers.checks.conversations: validity, trimming, summarizing, the chat logic and
widget (driven without a browser, against a gateway on loopback), the self-checks, and the shipped recording."""

from __future__ import annotations

import copy
import html as html_module
import json

import anthropic
import pytest
from fake_upstream import message as api_message

from helpers import conversations as conv
from helpers.checks import conversations as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import canonical_body, load_recording
from helpers.models import HAIKU, OPUS
from helpers.pricing import cost, format_usd


def u(text: str) -> dict:
    return {"role": "user", "content": text}


def a(text: str) -> dict:
    return {"role": "assistant", "content": text}


HISTORY = [u("q1"), a("a1"), u("q2"), a("a2"), u("q3"), a("a3"), u("q4")]


def by_length(messages: list[dict]) -> int:
    """A stand-in token counter: one token per character of text, so budgets are easy to reason about."""
    return sum(len(conv.text_of(m["content"])) for m in messages)


# --- validity --------------------------------------------------------------------------------------


def test_valid_conversations_have_no_problems() -> None:
    assert conv.conversation_problems(HISTORY, must_end_with_user=True) == []
    assert (
        conv.conversation_problems([u("hi"), {"role": "assistant", "content": [{"type": "text", "text": "x"}]}]) == []
    )


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ("hello", "must be a list"),
        (None, "must be a list"),
        ([], "empty"),
        ([a("hi"), u("q")], "messages[0] is an assistant turn"),
        ([u("q"), u("q again")], "messages[0] and messages[1] are both 'user'"),
        ([{"role": "system", "content": "Be nice."}, u("q")], "top-level system parameter"),
        ([{"role": "bot", "content": "x"}], "only 'user' and 'assistant'"),
        ([{"role": "user"}], "has no 'content'"),
        ([u("   ")], "is empty"),
        ([{"role": "user", "content": []}], "empty list of blocks"),
        ([{"role": "user", "content": ["text"]}], "each a dict with a 'type'"),
        ([{"role": "user", "content": 42}], "got int"),
        (["user: hi"], "must be a dict"),
    ],
)
def test_problems_are_specific(messages: object, fragment: str) -> None:
    problems = conv.conversation_problems(messages)
    assert any(fragment in p for p in problems), problems


def test_ending_with_assistant_is_only_a_problem_when_a_new_answer_is_wanted() -> None:
    done = [u("q"), a("answer")]
    assert conv.conversation_problems(done) == []
    assert "prefill" in conv.conversation_problems(done, must_end_with_user=True)[0]


def test_require_valid_raises_with_the_first_problem_and_a_count() -> None:
    with pytest.raises(ValueError, match=r"assistant turn.*\(and 1 more\)"):
        conv.require_valid([a("x"), a("y")])
    conv.require_valid(HISTORY)  # no exception for a valid one


def test_text_of_strings_and_blocks() -> None:
    assert conv.text_of("plain") == "plain"
    blocks = [{"type": "text", "text": "a"}, {"type": "image", "source": {}}, {"type": "text", "text": "b"}]
    assert conv.text_of(blocks) == "ab"
    with pytest.raises(TypeError):
        conv.text_of(3)


# --- side by side ----------------------------------------------------------------------------------


def message_dict(text: str, model: str = OPUS) -> dict:
    return api_message(text, model, tokens_in=10, tokens_out=4)


def test_side_by_side_shows_both_with_titles_and_costs_and_escapes_html() -> None:
    opus = "claude-opus-4-6"  # 10 in + 4 out at $5 / $25 per million, by hand
    card = conv.side_by_side(message_dict("left <b>", opus), message_dict("right", opus), "A & B", "C")
    assert "── A & B ──" in repr(card) and "── C ──" in repr(card)
    assert repr(card).count("$0.000150") == 2
    html = card._repr_html_()
    assert "A &amp; B" in html and "left &lt;b&gt;" in html and "display:flex" in html


# --- chat logic, against a gateway on loopback ------------------------------------------------------

COST = format_usd(cost({"input_tokens": 10, "output_tokens": 4}, OPUS).total)  # a reply below, on the course's OPUS
INTRO = {"model": OPUS, "max_tokens": 1024, "messages": [u("Please introduce yourself.")]}
INTRO_SYS = {"model": OPUS, "max_tokens": 50, "system": "Be brief.", "messages": [u("Hi")]}


def ex(body: dict, reply: dict, status: int = 200) -> dict:
    return {
        "request": {"method": "POST", "path": "/v1/messages", "body": body},
        "response": {"status": status, "headers": {"content-type": "application/json"}, "body": reply},
    }


@pytest.fixture
def client(serve) -> anthropic.Anthropic:
    upset = {"type": "error", "error": {"type": "invalid_request_error", "message": "recorded refusal"}}
    gw = serve(
        [
            ex(INTRO, message_dict("I am Claude.")),
            ex(INTRO_SYS, message_dict("Hello.")),
            ex({"model": OPUS, "max_tokens": 1024, "messages": [u("Fail please.")]}, upset, status=400),
        ]
    )
    return anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)


def test_send_returns_the_reply_with_its_cost_and_grows_the_history(client: anthropic.Anthropic) -> None:
    session = conv.ChatSession(client, OPUS)
    entry = session.send("Please introduce yourself.")
    assert entry.ok and entry.reply == "I am Claude." and entry.cost == f"10 in + 4 out tokens · {COST}"
    assert session.history == [u("Please introduce yourself."), a("I am Claude.")]
    assert str(entry) == f"You: Please introduce yourself.\nClaude: I am Claude.\n  (10 in + 4 out tokens · {COST})"


def test_send_passes_the_system_prompt(client: anthropic.Anthropic) -> None:
    entry = conv.ChatSession(client, OPUS, max_tokens=50, system="Be brief.").send("Hi")
    assert entry.ok and entry.reply == "Hello."


def test_unrecorded_input_is_explained_in_one_plain_line_and_the_turn_taken_back(client: anthropic.Anthropic) -> None:
    session = conv.ChatSession(client, OPUS)
    session.send("Please introduce yourself.")
    entry = session.send("Tell me a joke.")
    assert not entry.ok and entry.reply == "" and entry.cost == ""
    # Not the gateway's diagnosis (closest exchange, JSON path): what happened, why, and how to go live.
    assert entry.error == conv.NOT_RECORDED and "\n" not in entry.error
    assert "not in the recording" in entry.error and "only the recorded messages" in entry.error
    assert "PRIMER_MODE=live" in entry.error and "Closest" not in entry.error
    assert session.history == [u("Please introduce yourself."), a("I am Claude.")]
    assert str(entry) == f"You: Tell me a joke.\n⚠ {conv.NOT_RECORDED}"


def test_other_api_errors_are_shown_not_raised(client: anthropic.Anthropic) -> None:
    session = conv.ChatSession(client, OPUS)
    entry = session.send("Fail please.")
    assert entry.error == "recorded refusal" and session.history == []


def test_a_connection_error_is_shown_not_raised(serve) -> None:
    gw = serve([])
    url = gw.url
    gw.stop()  # nothing listens there any more
    dead = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0, timeout=2)
    entry = conv.ChatSession(dead, OPUS).send("hello")
    assert not entry.ok and "Is the course gateway running" in entry.error


@pytest.mark.parametrize("text", ["", "   ", None, 12])
def test_empty_or_non_text_input_sends_nothing(text: object) -> None:
    class NoClient:
        @property
        def messages(self):  # pragma: no cover - must never be reached
            raise AssertionError("no request for empty input")

    session = conv.ChatSession(NoClient(), OPUS)
    entry = session.send(text)
    assert entry.error == "Type a message first." and session.history == [] and len(session.entries) == 1


def test_transcript_text_and_html() -> None:
    assert conv.transcript_text([]) == "(no messages yet)"
    assert "No messages yet" in conv.transcript_html([])
    entries = [
        conv.TranscriptEntry("<script>", reply="fine & dandy", cost="1 in + 1 out tokens · $0.000030"),
        conv.TranscriptEntry("x", error="Course gateway (replay): <miss>"),
    ]
    html = conv.transcript_html(entries)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "fine &amp; dandy" in html and "$0.000030" in html and "&lt;miss&gt;" in html
    assert "var(--jp-error-color1, #cf222e)" in html  # red in both themes, GitHub's red in static views
    # A reversed flex column keeps the scrolling box at its end: the newest entry is in view.
    assert "overflow-y:auto;display:flex;flex-direction:column-reverse" in html
    assert html.index("&lt;script&gt;") < html.index("&lt;miss&gt;")  # still oldest first
    assert conv.transcript_text(entries).count("You: ") == 2


def test_widget_sends_updates_and_clears_without_a_browser(client: anthropic.Anthropic) -> None:
    widget = conv.chat_widget(client, OPUS, suggestions=["Please introduce yourself."])
    widget.input.value = "Please introduce yourself."
    widget.send_button.click()
    assert widget.input.value == ""
    assert "I am Claude." in widget.transcript.value and COST in widget.transcript.value
    widget.suggestion_buttons[0].click()  # history now has 2 turns: not recorded, shown as a miss
    assert html_module.escape(conv.NOT_RECORDED) in widget.transcript.value
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Chat widget · transcript:\nYou: Please introduce yourself.")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == widget.transcript.value  # what views without widgets show
    widget.clear_button.click()
    assert widget.session.history == [] and "No messages yet" in widget.transcript.value


def test_enter_in_the_input_sends_and_a_new_widget_starts_empty(client: anthropic.Anthropic) -> None:
    widget = conv.chat_widget(client, OPUS, suggestions=["Please introduce yourself."])
    assert widget.session.history == [] and widget.session.entries == []
    widget.input.value = "Please introduce yourself."
    widget.input._handle_msg({"content": {"data": {"method": "custom", "content": {"event": "submit"}}}, "buffers": []})
    assert widget.input.value == "" and "I am Claude." in widget.transcript.value
    widget.input._handle_msg({"content": {"data": {"method": "custom", "content": {"event": "other"}}}, "buffers": []})
    assert len(widget.session.entries) == 1


# --- self-checks -----------------------------------------------------------------------------------

GOOD_REQUEST = {
    "model": HAIKU,
    "max_tokens": 300,
    "system": "You are a patient French tutor.",
    "messages": [u(check.FIRST_QUESTION), a(check.FIRST_ANSWER), u(check.NEW_QUESTION)],
}


def test_tutor_request_solution_passes() -> None:
    assert check.check_tutor_request(GOOD_REQUEST).ok
    blocks = dict(GOOD_REQUEST, system=[{"type": "text", "text": "You are a French teacher."}])
    assert check.check_tutor_request(blocks).ok


@pytest.mark.parametrize(
    "system",
    [
        "You teach French patiently to beginners.",
        "Patiently help a beginner learn French, one small step at a time.",
        "Tu es un professeur de français patient.",
        "You are an instructor of FRENCH for adults.",
    ],
)
def test_tutor_request_accepts_other_wordings_of_the_role(system: str) -> None:
    res = check.check_tutor_request(dict(GOOD_REQUEST, system=system))
    assert res.ok, res.problems


def with_(**changes: object) -> dict:
    return {**copy.deepcopy(GOOD_REQUEST), **changes}


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        ({"model": ..., "max_tokens": ..., "system": ..., "messages": ...}, "Replace each ..."),
        ("model=HAIKU", "Build a dict"),
        (with_(model=OPUS), "model should be HAIKU"),
        (with_(max_tokens=0), "max_tokens is required"),
        (with_(system=None), "top-level 'system'"),
        (with_(system="You are a tutor."), "never names French"),
        (with_(system="You teach patiently to beginners."), "never names French"),
        (with_(system=[{"type": "image"}]), "text blocks"),
        (with_(system=42), "string or a list of text blocks"),
        (with_(messages=...), "Replace the ... in messages"),
        (
            with_(messages=[{"role": "system", "content": "tutor"}, u(check.FIRST_QUESTION)]),
            "top-level system parameter",
        ),
        (with_(messages=[u(check.FIRST_QUESTION), a(check.FIRST_ANSWER)]), "end with the user's new message"),
        (with_(messages=[u(check.NEW_QUESTION)]), "should hold 3 turns"),
        (with_(messages=[u(check.FIRST_QUESTION), a("Merci."), u(check.NEW_QUESTION)]), "check.FIRST_ANSWER"),
        (with_(temperature=0.2), "Unexpected keys"),
    ],
)
def test_tutor_request_feedback_is_specific(request_: object, fragment: str) -> None:
    res = check.check_tutor_request(request_)
    assert not res.ok
    assert any(fragment in p for p in res.problems), res.problems


@pytest.mark.parametrize(
    "system", ["Speak French.", "You are a French chef.", "You are a professional French translator."]
)
def test_a_prompt_the_check_cannot_judge_gets_a_verdict_on_structure_and_the_rubric(system: str) -> None:
    """Prose is not graded (review 2026-12-08, V2): the ✅ names the structure and the note hands over the rubric."""
    res = check.check_tutor_request(with_(system=system))
    assert res.ok and res.title == "Your tutor request's structure"
    assert "cannot grade prose" in res.note and "a tutor of French" in res.note


def keep_recent(messages, max_messages):
    kept = messages[-max_messages:]
    while kept and kept[0]["role"] != "user":
        kept = kept[1:]
    return kept


def test_keep_recent_solution_passes_and_the_cases_are_valid() -> None:
    res = check.check_keep_recent(keep_recent)
    assert res.ok and "7 histories" in repr(res)
    for history, limit, want in check.TRIM_CASES:
        assert len(want) <= limit and want == history[len(history) - len(want) :]
        assert conv.conversation_problems(want) == []


def mutating(messages, max_messages):
    while len(messages) > max_messages or messages[0]["role"] != "user":
        messages.pop(0)
    return messages


@pytest.mark.parametrize(
    ("func", "fragment"),
    [
        (..., "Pass your function"),
        ("keep_recent", "Pass a function"),
        (lambda m, n: None, "returned None"),
        (lambda m, n: tuple(m[-n:]), "return a list"),
        (lambda m, n: 1 / 0, "raised ZeroDivisionError"),
        (lambda m: m, "raised TypeError"),
        (mutating, "changed the list it was given"),
        (lambda m, n: m, "at most 5 allowed"),
        (lambda m, n: m[-n:], "starts with an assistant turn"),
        (lambda m, n: m[:n] if n < len(m) else m, "keep the newest messages"),
        (lambda m, n: m[-1:], "Drop only what you must"),
    ],
)
def test_keep_recent_feedback_is_specific(func: object, fragment: str) -> None:
    res = check.check_keep_recent(func)
    assert not res.ok
    assert fragment in res.problems[0], res.problems


# --- the shipped recording holds the primer's requests exactly ----------------------------------------


def test_recording_holds_the_primer_requests_byte_for_byte() -> None:
    # The primer's requests name claude-opus-4-6; the recording holds them on the course's OPUS, so a model
    # switch changes that one field and nothing else.
    rec = load_recording(RECORDINGS_DIR / "02_system_prompts.json")
    bodies = {canonical_body(x.request.body) for x in rec.exchanges if x.request.path == "/v1/messages"}
    question = {"role": "user", "content": "What is your return policy?"}
    system = "You are a customer support agent. Reply politely and concisely."
    assert canonical_body({"model": OPUS, "max_tokens": 1024, "system": system, "messages": [question]}) in bodies
    first = {"role": "user", "content": "Please introduce yourself."}
    turn1 = {"model": OPUS, "max_tokens": 1024, "messages": [first]}
    assert canonical_body(turn1) in bodies
    by_label = {x.label: x for x in rec.exchanges}
    reply = by_label["primer chat turn 1"].response.body["content"][0]["text"]
    second = [first, {"role": "assistant", "content": reply}, {"role": "user", "content": "What are you good at?"}]
    assert by_label["primer chat turn 2"].request.body == {
        "model": OPUS,
        "max_tokens": 1024,
        "messages": second,
    }
    assert json.dumps(by_label["primer chat turn 2"].request.body["messages"]) == json.dumps(second)
