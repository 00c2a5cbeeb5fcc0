"""Conversations for 02_system_prompts: a validity check, a side-by-side view and a chat widget.

A conversation is the `messages` list of a Messages request: dicts with a `role` ("user" or "assistant")
and `content` (a string or a list of content blocks). The course keeps every history it builds valid:
it starts with a user turn and the roles alternate, which is what the models are trained on. Trimming and
summarizing a history are teaching logic, so notebook 02 writes them in its cells; this module only checks
a conversation (`conversation_problems`) and draws (`side_by_side`, the chat transcript). The chat
logic (`ChatSession.send`) is plain Python so tests drive it without a browser; `ChatWidget` only wires
it to ipywidgets, which are imported when a widget is built, never by the core.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .display import BORDER, MUTED, Card, markdown_html, message_html, message_text, usage_line

__all__ = [
    "ROLES",
    "NOT_RECORDED",
    "conversation_problems",
    "require_valid",
    "text_of",
    "side_by_side",
    "TranscriptEntry",
    "ChatSession",
    "transcript_text",
    "transcript_html",
    "ChatWidget",
    "chat_widget",
]

ROLES = ("user", "assistant")
# What a learner reads when replay has no answer: the gateway's own message names the closest recorded
# exchange and the first differing JSON path, which helps a developer but reads as a fault in a chat.
NOT_RECORDED = (
    "This message is not in the recording: replay mode answers only the recorded messages. "
    "To send anything, put your key in .env and set PRIMER_MODE=live (see 00_start_here.ipynb)."
)
_REPLAY_MISS = "is not in the recording"
ERROR = "var(--jp-error-color1, #cf222e)"
Message = dict[str, Any]


def _content_problem(content: Any) -> str | None:
    if isinstance(content, str):
        return None if content.strip() else "is empty"
    if isinstance(content, list):
        if not content:
            return "is an empty list of blocks"
        if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in content):
            return "must be a list of blocks, each a dict with a 'type'"
        return None
    return f"must be a string or a list of content blocks, got {type(content).__name__}"


def conversation_problems(messages: Any, *, must_end_with_user: bool = False) -> list[str]:
    """Everything that keeps `messages` from being a valid conversation, each in one sentence (empty if valid).

    Valid means: a non-empty list of {"role", "content"} dicts, roles only "user" and "assistant",
    starting with a user turn and alternating. With `must_end_with_user`, the last turn must be the
    user's too (a request that asks for a new answer rather than continuing a prefilled one).
    """
    if not isinstance(messages, (list, tuple)):
        return [f"messages must be a list of {{'role': ..., 'content': ...}} dicts, got {type(messages).__name__}."]
    if not messages:
        return ["messages is empty: a request needs at least one user turn."]
    problems: list[str] = []
    roles: list[str | None] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            problems.append(f"messages[{i}] must be a dict with 'role' and 'content', got {type(msg).__name__}.")
            roles.append(None)
            continue
        role = msg.get("role")
        roles.append(role if role in ROLES else None)
        if role == "system":
            problems.append(
                # A system message is refused in first place; newer models take one mid-conversation
                # (https://platform.claude.com/docs/en/build-with-claude/mid-conversation-system-messages,
                # SDK types/system_message_param.py), which the course does not rely on.
                f"messages[{i}] has role 'system': put the system prompt in the top-level system parameter "
                "(a system message is refused in first place; only newer models take one mid-conversation)."
            )
        elif role not in ROLES:
            problems.append(f"messages[{i}] has role {role!r}; only 'user' and 'assistant' are allowed.")
        if "content" not in msg:
            problems.append(f"messages[{i}] has no 'content'.")
        else:
            why = _content_problem(msg["content"])
            if why:
                problems.append(f"messages[{i}]['content'] {why}.")
    if roles[0] == "assistant":
        problems.append("messages[0] is an assistant turn: a conversation starts with a user turn.")
    for i in range(1, len(roles)):
        if roles[i] is not None and roles[i] == roles[i - 1]:
            problems.append(f"messages[{i - 1}] and messages[{i}] are both {roles[i]!r}: roles must alternate.")
    if must_end_with_user and roles[-1] == "assistant":
        problems.append(
            f"messages[{len(roles) - 1}] is an assistant turn: end with the user's new message "
            "(a final assistant turn is a prefill, which some models reject)."
        )
    return problems


def require_valid(messages: Any, *, must_end_with_user: bool = False) -> None:
    """Raise ValueError naming the first problem when `messages` is not a valid conversation."""
    problems = conversation_problems(messages, must_end_with_user=must_end_with_user)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"Not a valid conversation: {problems[0]}{more}")


def text_of(content: Any) -> str:
    """The text of a message's content: the string itself, or its text blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    raise TypeError(f"content must be a string or a list of blocks, got {type(content).__name__}")


def side_by_side(left: Any, right: Any, left_title: str, right_title: str) -> Card:
    """Two responses next to each other (HTML), or one after the other (plain text), with their costs."""
    esc = html.escape
    cols = "".join(
        f'<div style="flex:1;min-width:280px"><div style="font-weight:600">{esc(title)}</div>{message_html(msg)}</div>'
        for title, msg in ((left_title, left), (right_title, right))
    )
    text = f"── {left_title} ──\n{message_text(left)}\n\n── {right_title} ──\n{message_text(right)}"
    return Card(text, f'<div style="display:flex;gap:12px;flex-wrap:wrap">{cols}</div>')


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a chat transcript: what the user sent and either the reply (with its cost) or the error."""

    user: str
    reply: str = ""
    cost: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def __str__(self) -> str:
        if not self.ok:
            return f"You: {self.user}\n⚠ {self.error}"
        return f"You: {self.user}\nClaude: {self.reply}\n  ({self.cost})"


@dataclass
class ChatSession:
    """The widget's logic: a conversation with one model that survives failed requests.

    `send(text)` appends the user's turn, calls `client.messages.create` with the whole history and
    returns a TranscriptEntry. On an API error the user's turn is taken back, so the history stays valid,
    and the entry carries the error message; a replay miss gets one plain line (`NOT_RECORDED`) instead of
    the gateway's diagnosis of which recorded request came closest.
    """

    client: Any
    model: str
    max_tokens: int = 1024
    system: str | list[dict[str, Any]] | None = None
    history: list[Message] = field(default_factory=list)
    entries: list[TranscriptEntry] = field(default_factory=list)

    def send(self, text: Any) -> TranscriptEntry:
        """Send one user message; never raises for API errors or empty input."""
        import anthropic

        if not isinstance(text, str) or not text.strip():
            entry = TranscriptEntry(str(text) if text is not None else "", error="Type a message first.")
            self.entries.append(entry)
            return entry
        self.history.append({"role": "user", "content": text})
        kwargs: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, "messages": list(self.history)}
        if self.system is not None:
            kwargs["system"] = self.system
        try:
            response = self.client.messages.create(**kwargs)
        except anthropic.APIStatusError as e:
            self.history.pop()
            message = e.api_message or str(e)
            entry = TranscriptEntry(text, error=NOT_RECORDED if _REPLAY_MISS in message else message)
        except anthropic.APIConnectionError as e:
            self.history.pop()
            entry = TranscriptEntry(text, error=f"{e.message} Is the course gateway running (helpers.setup)?")
        else:
            reply = "".join(b.text for b in response.content if b.type == "text")
            self.history.append({"role": "assistant", "content": reply})
            entry = TranscriptEntry(text, reply=reply, cost=usage_line(response.usage, response.model))
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        """Forget the conversation and the transcript."""
        self.history.clear()
        self.entries.clear()


def transcript_text(entries: Sequence[TranscriptEntry]) -> str:
    """The transcript as plain text (what a notebook stores as the widget's text form)."""
    if not entries:
        return "(no messages yet)"
    return "\n\n".join(str(e) for e in entries)


def transcript_html(entries: Sequence[TranscriptEntry]) -> str:
    """The transcript as HTML: the user's turns, replies with their cost, errors in red, newest in view.

    The scrolling box is a reversed flex column around one block of entries: a browser keeps such a box
    scrolled to its end, so each new transcript shows its newest entry without any script.
    """
    esc = html.escape
    if not entries:
        return f'<div style="color:{MUTED};font-style:italic">No messages yet: type one below and press Enter.</div>'
    rows = []
    for e in entries:
        rows.append(f'<div style="margin-top:8px"><b>You:</b> {esc(e.user)}</div>')
        if e.ok:
            rows.append(
                f'<div style="margin-left:12px"><b>Claude:</b>{markdown_html(e.reply)}</div>'
                f'<div style="margin-left:12px;color:{MUTED};font-size:12px">{esc(e.cost)}</div>'
            )
        else:
            rows.append(
                f'<div style="margin-left:12px;color:{ERROR};border-left:3px solid {ERROR};padding-left:6px">'
                f"⚠ {esc(e.error)}</div>"
            )
    return (
        # line-height: ipywidgets' HTML widget inherits its 28 px control height, which double-spaces text.
        '<div style="font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;max-width:900px;max-height:420px;'
        "overflow-y:auto;display:flex;flex-direction:column-reverse;"
        f'border:1px solid {BORDER};border-radius:6px;padding:4px 12px 8px"><div>{"".join(rows)}</div></div>'
    )


class ChatWidget:
    """An ipywidgets chat over a ChatSession: transcript, input (Enter sends), Send, Clear, a button per suggestion."""

    def __init__(self, session: ChatSession, suggestions: Sequence[str] = ()):
        import ipywidgets as w

        self.session = session
        self.transcript = w.HTML(transcript_html(session.entries))
        self.input = w.Text(placeholder="Type a message and press Enter", layout=w.Layout(width="60%"))
        # Enter: the Text view sends a "submit" message (what the deprecated on_submit listened to).
        self.input.on_msg(lambda _, content, __: self._send_input() if content.get("event") == "submit" else None)
        self.send_button = w.Button(description="Send", button_style="primary")
        self.clear_button = w.Button(description="Clear")
        self.send_button.on_click(lambda _: self._send_input())
        self.clear_button.on_click(lambda _: self.clear())
        self.suggestion_buttons = []
        for text in suggestions:
            button = w.Button(description=text, tooltip="send this recorded message", layout=w.Layout(width="auto"))
            button.on_click(lambda _, text=text: self.send(text))
            self.suggestion_buttons.append(button)
        rows = [self.transcript, w.HBox([self.input, self.send_button, self.clear_button])]
        if self.suggestion_buttons:
            rows.append(w.HBox([w.Label("Recorded:"), *self.suggestion_buttons]))
        self.box = w.VBox(rows)

    def send(self, text: str) -> TranscriptEntry:
        """Send `text` as if typed, update the transcript and return its entry."""
        entry = self.session.send(text)
        self.transcript.value = transcript_html(self.session.entries)
        return entry

    def _send_input(self) -> None:
        text, self.input.value = self.input.value, ""
        self.send(text)

    def clear(self) -> None:
        self.session.clear()
        self.transcript.value = transcript_html(self.session.entries)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The widget view for Jupyter; a readable transcript for everything that cannot render widgets.
        data = dict(self.box._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = "Chat widget · transcript:\n" + transcript_text(self.session.entries)
        data["text/html"] = transcript_html(self.session.entries)
        return data


def chat_widget(
    client: Any, model: str, *, max_tokens: int = 1024, system: Any = None, suggestions: Sequence[str] = ()
) -> ChatWidget:
    """A ChatWidget over a new ChatSession with these request settings."""
    return ChatWidget(ChatSession(client, model, max_tokens, system), suggestions)
