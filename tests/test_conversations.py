"""helpers.conversations and helpers.checks.conversations: validity, trimming, summarizing, the chat logic and
widget (driven without a browser, against a gateway on loopback), the self-checks, and the shipped recording."""

from __future__ import annotations

import copy
import json

import anthropic
import pytest
from fake_upstream import message as api_message

from helpers import conversations as conv
from helpers.checks import conversations as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import canonical_body, load_recording
from helpers.models import HAIKU, OPUS


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


# --- trimming --------------------------------------------------------------------------------------


def test_trim_keeps_everything_within_budget() -> None:
    calls: list[int] = []
    out = conv.trim_to_budget(HISTORY, 100, lambda m: calls.append(len(m)) or by_length(m))
    assert out.messages == HISTORY and out.dropped == 0 and out.tokens == 14
    assert calls == [7]


def test_trim_drops_oldest_pairs_and_stays_valid() -> None:
    original = copy.deepcopy(HISTORY)
    seen: list[int] = []

    def count(messages: list[dict]) -> int:
        seen.append(len(messages))
        return by_length(messages)

    out = conv.trim_to_budget(HISTORY, 6, count)
    assert out.messages == HISTORY[4:] and out.dropped == 4 and out.tokens == 6
    assert seen == [7, 5, 3]  # counted once per candidate, oldest pair dropped each time
    assert conv.conversation_problems(out.messages, must_end_with_user=True) == []
    assert HISTORY == original  # the input is not changed


def test_trim_down_to_the_newest_message() -> None:
    out = conv.trim_to_budget(HISTORY, 2, by_length)
    assert out.messages == [u("q4")] and out.dropped == 6


def test_trim_refuses_when_the_newest_message_alone_is_over_budget() -> None:
    with pytest.raises(ValueError, match="newest message alone needs 2 tokens, over the budget of 1"):
        conv.trim_to_budget(HISTORY, 1, by_length)


@pytest.mark.parametrize("budget", [0, -5, 1.5, True, "700", None])
def test_trim_rejects_bad_budgets(budget: object) -> None:
    with pytest.raises(ValueError, match="budget must be an integer"):
        conv.trim_to_budget(HISTORY, budget, by_length)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [([u("q"), a("done")], "prefill"), ([a("x"), u("q")], "starts with a user turn"), ([], "empty")],
)
def test_trim_rejects_invalid_conversations(messages: list[dict], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        conv.trim_to_budget(messages, 10, by_length)


@pytest.mark.parametrize("bad", [None, -1, "12", 3.0, False])
def test_trim_rejects_a_counter_that_does_not_return_a_count(bad: object) -> None:
    with pytest.raises(ValueError, match="count\\(\\) must return a token count"):
        conv.trim_to_budget(HISTORY, 5, lambda m: bad)  # type: ignore[arg-type,return-value]


# --- summarizing -----------------------------------------------------------------------------------


def test_split_history_keeps_the_last_turns_and_the_new_message() -> None:
    old, recent = conv.split_history(HISTORY, keep_turns=1)
    assert old == HISTORY[:4] and recent == HISTORY[4:]
    assert conv.split_history(HISTORY, 0) == (HISTORY[:6], HISTORY[6:])
    assert conv.split_history(HISTORY, 10) == ([], HISTORY)
    for part in conv.split_history(HISTORY, 2):
        assert conv.conversation_problems(part) == []


@pytest.mark.parametrize("keep", [-1, 1.0, None, True])
def test_split_history_rejects_bad_counts(keep: object) -> None:
    with pytest.raises(ValueError, match="keep_turns must be an integer >= 0"):
        conv.split_history(HISTORY, keep)  # type: ignore[arg-type]


def test_split_history_needs_a_pending_user_message() -> None:
    with pytest.raises(ValueError, match="prefill"):
        conv.split_history(HISTORY[:-1], 1)


def test_as_transcript() -> None:
    blocks = {"role": "assistant", "content": [{"type": "text", "text": "Hi there."}]}
    assert conv.as_transcript([u("Hello"), blocks]) == "User: Hello\n\nAssistant: Hi there."
    with pytest.raises(ValueError):
        conv.as_transcript([{"role": "system", "content": "x"}])


def test_with_summary_merges_into_the_first_user_turn() -> None:
    recent = HISTORY[4:]
    out = conv.with_summary("  The user likes tea.  ", recent)
    assert out[0]["role"] == "user"
    assert out[0]["content"] == [
        {"type": "text", "text": "Summary of our conversation so far:\nThe user likes tea."},
        {"type": "text", "text": "q3"},
    ]
    assert out[1:] == recent[1:]
    assert conv.conversation_problems(out, must_end_with_user=True) == []
    assert recent[0] == u("q3")  # the input is not changed


def test_with_summary_keeps_existing_blocks() -> None:
    first = {"role": "user", "content": [{"type": "text", "text": "q"}, {"type": "text", "text": "more"}]}
    out = conv.with_summary("S", [first])
    assert [b["text"] for b in out[0]["content"]] == ["Summary of our conversation so far:\nS", "q", "more"]


@pytest.mark.parametrize("summary", ["", "   ", None, 5])
def test_with_summary_rejects_empty_summaries(summary: object) -> None:
    with pytest.raises(ValueError, match="summary must be non-empty text"):
        conv.with_summary(summary, HISTORY[4:])  # type: ignore[arg-type]


def test_with_summary_rejects_a_recent_part_that_starts_with_the_assistant() -> None:
    with pytest.raises(ValueError, match="starts with a user turn"):
        conv.with_summary("S", HISTORY[3:])


# --- side by side ----------------------------------------------------------------------------------


def message_dict(text: str, model: str = OPUS) -> dict:
    return api_message(text, model, tokens_in=10, tokens_out=4)


def test_side_by_side_shows_both_with_titles_and_costs_and_escapes_html() -> None:
    card = conv.side_by_side(message_dict("left <b>"), message_dict("right"), "A & B", "C")
    assert "── A & B ──" in repr(card) and "── C ──" in repr(card)
    assert repr(card).count("$0.000150") == 2
    html = card._repr_html_()
    assert "A &amp; B" in html and "left &lt;b&gt;" in html and "display:flex" in html


# --- chat logic, against a gateway on loopback ------------------------------------------------------

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
    assert entry.ok and entry.reply == "I am Claude." and entry.cost == "10 in + 4 out tokens · $0.000150"
    assert session.history == [u("Please introduce yourself."), a("I am Claude.")]
    assert str(entry) == "You: Please introduce yourself.\nClaude: I am Claude.\n  (10 in + 4 out tokens · $0.000150)"


def test_send_passes_the_system_prompt(client: anthropic.Anthropic) -> None:
    entry = conv.ChatSession(client, OPUS, max_tokens=50, system="Be brief.").send("Hi")
    assert entry.ok and entry.reply == "Hello."


def test_unrecorded_input_shows_the_gateway_message_and_takes_the_turn_back(client: anthropic.Anthropic) -> None:
    session = conv.ChatSession(client, OPUS)
    session.send("Please introduce yourself.")
    entry = session.send("Tell me a joke.")
    assert not entry.ok and entry.reply == "" and entry.cost == ""
    assert entry.error.startswith("Course gateway (replay)")
    assert "PRIMER_MODE=live" in entry.error
    assert session.history == [u("Please introduce yourself."), a("I am Claude.")]
    assert str(entry).startswith("You: Tell me a joke.\n⚠ Course gateway (replay)")


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
    assert "fine &amp; dandy" in html and "$0.000030" in html and "&lt;miss&gt;" in html and "#cf222e" in html
    assert conv.transcript_text(entries).count("You: ") == 2


def test_widget_sends_updates_and_clears_without_a_browser(client: anthropic.Anthropic) -> None:
    widget = conv.chat_widget(client, OPUS, suggestions=["Please introduce yourself."])
    widget.input.value = "Please introduce yourself."
    widget.send_button.click()
    assert widget.input.value == ""
    assert "I am Claude." in widget.transcript.value and "$0.000150" in widget.transcript.value
    widget.suggestion_buttons[0].click()  # history now has 2 turns: not recorded, shown as a miss
    assert "Course gateway (replay)" in widget.transcript.value
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Chat widget · transcript:\nYou: Please introduce yourself.")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    widget.clear_button.click()
    assert widget.session.history == [] and "No messages yet" in widget.transcript.value


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
        (with_(system="You are a tutor."), "mention 'French'"),
        (with_(system="Speak French."), "a tutor (or teacher)"),
        (with_(system=[{"type": "image"}]), "text blocks"),
        (with_(system=42), "string or a list of text blocks"),
        (with_(messages=...), "Replace the ... in messages"),
        (
            with_(messages=[{"role": "system", "content": "tutor"}, u(check.FIRST_QUESTION)]),
            "no system role in messages",
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
    rec = load_recording(RECORDINGS_DIR / "02_system_prompts.json")
    bodies = {canonical_body(x.request.body) for x in rec.exchanges if x.request.path == "/v1/messages"}
    question = {"role": "user", "content": "What is your return policy?"}
    system = "You are a customer support agent. Reply politely and concisely."
    assert (
        canonical_body({"model": "claude-opus-4-6", "max_tokens": 1024, "system": system, "messages": [question]})
        in bodies
    )
    first = {"role": "user", "content": "Please introduce yourself."}
    turn1 = {"model": "claude-opus-4-6", "max_tokens": 1024, "messages": [first]}
    assert canonical_body(turn1) in bodies
    by_label = {x.label: x for x in rec.exchanges}
    reply = by_label["primer chat turn 1"].response.body["content"][0]["text"]
    second = [first, {"role": "assistant", "content": reply}, {"role": "user", "content": "What are you good at?"}]
    assert by_label["primer chat turn 2"].request.body == {
        "model": "claude-opus-4-6",
        "max_tokens": 1024,
        "messages": second,
    }
    assert json.dumps(by_label["primer chat turn 2"].request.body["messages"]) == json.dumps(second)
