"""Self-checks for 02_system_prompts: build a request with a system prompt and a history; write a trimming function."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from ..conversations import conversation_problems, text_of
from ..models import HAIKU
from . import Result, result, unfilled

__all__ = [
    "FIRST_QUESTION",
    "FIRST_ANSWER",
    "NEW_QUESTION",
    "RUBRIC",
    "check_tutor_request",
    "TRIM_CASES",
    "check_keep_recent",
]

FIRST_QUESTION = "How do I say thank you in French?"
FIRST_ANSWER = 'You say "merci". For example: "Merci pour le café." (Thank you for the coffee.)'
NEW_QUESTION = "And how do I say thank you very much?"


# A program cannot judge whether prose makes Claude a good French tutor: word stems passed "You are a French
# chef who teaches cooking classes" and "You are a patient tutor. Never use French." (review 2026-12-08, V2).
# So the check tests only what it can (a system prompt is there, in a valid shape, and names French) and
# shows RUBRIC for the rest; its verdict says it covers the request's structure, not the prompt's quality.
_WORD = re.compile(r"\w+")
_SUBJECT = ("french", "français", "francais")
RUBRIC = (
    "The wording is yours to judge; the check cannot grade prose. Rubric: (1) it gives Claude a role, a tutor "
    "of French; (2) it says how to teach (patient, the student's level, which language explains); (3) nothing "
    "in it contradicts the role (a chef, 'never use French')."
)


def _system_problems(system: Any) -> list[str]:
    if system is None:
        return ["Add a top-level 'system' key: the tutor's role belongs in the system prompt."]
    if isinstance(system, list):
        if not system or not all(isinstance(b, dict) and b.get("type") == "text" for b in system):
            return ["As a list, system must hold text blocks: [{'type': 'text', 'text': '...'}]."]
        text = "".join(str(b.get("text", "")) for b in system)
    elif isinstance(system, str):
        text = system
    else:
        return [f"system must be a string or a list of text blocks, got {type(system).__name__}."]
    if not text.strip():
        return ["The system prompt is empty."]
    if not any(w.startswith(_SUBJECT) for w in _WORD.findall(text.casefold())):
        return ["The system prompt never names French: say what the tutor teaches."]
    return []


def check_tutor_request(request: Any) -> Result:
    """Exercise 1: a request for HAIKU with a French-tutor system prompt, the earlier exchange and the new question."""
    title = "Your tutor request's structure"
    if isinstance(request, dict) and request and all(unfilled(v) for v in request.values()):
        return result(title, ["Replace each ... with a value: model, max_tokens, system and messages."])
    if not isinstance(request, dict):
        return result(title, ["Build a dict with the keyword arguments you would pass to messages.create()."])
    problems: list[str] = []
    if request.get("model") != HAIKU:
        problems.append(f"model should be HAIKU ({HAIKU!r}), got {request.get('model')!r}.")
    mt = request.get("max_tokens")
    if isinstance(mt, bool) or not isinstance(mt, int) or mt < 1:
        problems.append(f"max_tokens is required: a positive int, got {mt!r}.")
    problems += _system_problems(request.get("system"))
    messages = request.get("messages")
    if unfilled(messages):
        problems.append("Replace the ... in messages with the conversation so far.")
        return result(title, problems)
    structure = conversation_problems(messages, must_end_with_user=True)
    problems += structure
    if not structure:
        want = [("user", FIRST_QUESTION), ("assistant", FIRST_ANSWER), ("user", NEW_QUESTION)]
        if len(messages) != len(want):
            problems.append(
                f"messages should hold {len(want)} turns (the first question, the tutor's answer, the new "
                f"question), got {len(messages)}."
            )
        else:
            names = {FIRST_QUESTION: "FIRST_QUESTION", FIRST_ANSWER: "FIRST_ANSWER", NEW_QUESTION: "NEW_QUESTION"}
            for i, (msg, (role, text)) in enumerate(zip(messages, want, strict=True)):
                if text_of(msg["content"]) != text:
                    problems.append(f"messages[{i}] ({role}) should be check.{names[text]}, got {msg['content']!r}.")
    extra = set(request) - {"model", "max_tokens", "system", "messages"}
    if extra:
        problems.append(f"Unexpected keys for this task: {sorted(extra)}.")
    return result(
        title, problems, f"Every request carries the whole history; the system prompt stays separate. {RUBRIC}"
    )


def _u(n: int) -> dict[str, str]:
    return {"role": "user", "content": f"question {n}"}


def _a(n: int) -> dict[str, str]:
    return {"role": "assistant", "content": f"answer {n}"}


_SEVEN = [_u(1), _a(1), _u(2), _a(2), _u(3), _a(3), _u(4)]
_FOUR = [_u(1), _a(1), _u(2), _a(2)]

# (history, max_messages, expected): the newest messages, at most max_messages, starting with a user turn.
TRIM_CASES: list[tuple[list[dict[str, str]], int, list[dict[str, str]]]] = [
    (_SEVEN, 7, _SEVEN),
    (_SEVEN, 100, _SEVEN),
    (_SEVEN, 5, _SEVEN[2:]),
    (_SEVEN, 4, _SEVEN[4:]),
    (_SEVEN, 2, _SEVEN[6:]),
    (_SEVEN, 1, _SEVEN[6:]),
    (_FOUR, 3, _FOUR[2:]),
]


def _describe(messages: Any) -> str:
    if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
        return "[" + ", ".join(f"{m.get('role')}: {m.get('content')!r}" for m in messages) + "]"
    return repr(messages)


def check_keep_recent(func: Any) -> Result:
    """Exercise 2: keep_recent(messages, max_messages) keeps the newest messages, starting with a user turn."""
    title = "Your keep_recent"
    if unfilled(func):
        return result(title, ["Pass your function: check.check_keep_recent(keep_recent)."])
    if not callable(func):
        return result(title, [f"Pass a function, got {type(func).__name__}."])
    problems: list[str] = []
    call: Callable[..., Any] = func
    same_list: str | None = None
    for history, limit, want in TRIM_CASES:
        given = copy.deepcopy(history)
        case = f"keep_recent(<{len(history)} messages>, {limit})"
        try:
            got = call(given, limit)
        except Exception as e:  # the learner's code: report whatever it raised
            problems.append(f"{case} raised {type(e).__name__}: {e}")
            break
        if given != history:
            problems.append(f"{case} changed the list it was given: build a new list (slicing) instead.")
            break
        if got is None:
            problems.append(f"{case} returned None: return the list of messages you keep.")
            break
        if not isinstance(got, list):
            problems.append(f"{case} returned a {type(got).__name__}; return a list.")
            break
        if got == want:
            if got is given and same_list is None:
                same_list = case  # reported only if nothing else is wrong: the spec asks for a new list
            continue
        if len(got) > limit:
            problems.append(f"{case} returned {len(got)} messages: at most {limit} allowed.")
        elif got and isinstance(got[0], dict) and got[0].get("role") == "assistant":
            problems.append(
                f"{case} starts with an assistant turn: drop it too, so the conversation starts with a user turn."
            )
        elif got != history[len(history) - len(got) :]:
            problems.append(f"{case} returned {_describe(got)}: keep the newest messages, in their order.")
        else:
            problems.append(
                f"{case} kept {len(got)} messages; {len(want)} fit ({_describe(want)}). Drop only what you must."
            )
        break
    if not problems and same_list is not None:
        problems.append(f"{same_list} returned the list it was given: return a new list (a slice is one).")
    return result(title, problems, f"All {len(TRIM_CASES)} histories trimmed correctly.")
