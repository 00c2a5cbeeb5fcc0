"""Self-checks for 03_temperature: pick sampling settings for three tasks, predict stop reasons."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from . import Result, result, unfilled

__all__ = [
    "TASKS",
    "DEFAULT_TEMPERATURE",
    "check_settings",
    "StopCase",
    "STOP_CASES",
    "STOP_REASONS",
    "check_stop_reasons",
]

# task name -> (what the task is, lowest and highest temperature that suits it, why)
TASKS: dict[str, tuple[str, float, float, str]] = {
    "ticket_router": (
        "label each incoming support e-mail as billing, bug or other",
        0.0,
        0.2,
        "classification wants the most likely label every time, so temperature 0.0 (the primer's row for analysis "
        "and classification says 0.0; this check also accepts up to 0.2, which is the course's allowance)",
    ),
    "help_chat": (
        "answer customers' product questions in a friendly chat",
        0.3,
        0.7,
        "a chat should be accurate but not robotic, so 0.3 to 0.7 (the primer's row for chatbots and Q&A)",
    ),
    "launch_taglines": (
        "brainstorm twenty different taglines for a product launch",
        0.8,
        1.0,
        "brainstorming wants variety between calls, so 0.8 to 1.0 (the primer's row for creative writing)",
    ),
}


# What the API uses when a request sends no temperature (docs: 0 to 1, default 1).
DEFAULT_TEMPERATURE = 1.0


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_settings(settings: Any) -> Result:
    """Exercise 1: for each task in TASKS, the extra_body you would send, e.g. {"temperature": 0.5}.

    `{}` (temperature left out) is judged as the API's default, 1.0: right for brainstorming, wrong where the
    primer's row is lower."""
    title = "Your sampling settings"
    if not isinstance(settings, dict):
        return result(title, ["Give a dict mapping each task name to the extra_body you would send."])
    problems: list[str] = []
    notes: list[str] = []
    for name, (task, low, high, why) in TASKS.items():
        value = settings.get(name, Ellipsis)
        if unfilled(value):
            problems.append(f"{name}: replace ... with the extra_body dict for this task: {{'temperature': <0 to 1>}}.")
            continue
        if _is_number(value):
            problems.append(f"{name}: send it as a dict, {{'temperature': {value}}}, because it goes in extra_body.")
            continue
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a dict like {{'temperature': 0.5}}, got {value!r}.")
            continue
        if "temperature" in value and "top_p" in value:
            problems.append(
                f"{name}: set temperature or top_p, not both: Haiku 4.5 and Sonnet 4.6 answer a 400 when both are sent."
            )
            continue
        unknown = set(value) - {"temperature", "top_p", "top_k"}
        if unknown:
            problems.append(f"{name}: only sampling settings belong here; unexpected {sorted(unknown)}.")
            continue
        other = sorted(set(value) & {"top_p", "top_k"})
        if other:
            problems.append(
                f"{name}: {other[0]} is a sampling setting too, but this exercise is about temperature; set "
                "{'temperature': ...} alone."
            )
            continue
        left_out = "temperature" not in value
        t = value.get("temperature", DEFAULT_TEMPERATURE)  # {} sends nothing: the API's default applies
        if left_out and not low <= t <= high:
            problems.append(
                f"{name} ({task}): {{}} sends no temperature, so the default {DEFAULT_TEMPERATURE} applies, and that "
                f"does not suit it; {why}. Set {{'temperature': ...}} on the pinned client."
            )
        elif left_out:
            notes.append(f"{name}: no temperature sends the default {DEFAULT_TEMPERATURE}, which suits it; {why}.")
        elif not _is_number(t):
            problems.append(f"{name}: temperature must be a number from 0 to 1, got {t!r}.")
        elif not 0 <= t <= 1:
            problems.append(f"{name}: {t} is outside the API's range; temperature runs from 0 to 1.")
        elif not low <= t <= high:
            problems.append(f"{name} ({task}): {t} does not suit it; {why}.")
        else:
            notes.append(f"{name}: {why}.")
    extra = set(settings) - set(TASKS)
    if extra:
        problems.append(f"Unexpected task names {sorted(extra)}; use {sorted(TASKS)}.")
    return result(title, problems, " ".join(notes))


STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)


@dataclass(frozen=True)
class StopCase:
    """One request, and the text the model would write if nothing stopped it."""

    prompt: str
    max_tokens: int
    stop_sequences: tuple[str, ...]
    would_write: str
    tokens: int  # how many tokens `would_write` takes, so max_tokens can be compared
    answer: str
    why: str


STOP_CASES: dict[str, StopCase] = {
    "a": StopCase(
        prompt="List three colours, one per line.",
        max_tokens=100,
        stop_sequences=("\n",),
        would_write="Red\nGreen\nBlue",
        tokens=5,
        answer="stop_sequence",
        why="the newline after 'Red' matches the stop sequence, so the text is just 'Red'",
    ),
    "b": StopCase(
        prompt="Explain photosynthesis in one paragraph.",
        max_tokens=5,
        stop_sequences=(),
        would_write="Photosynthesis is how plants turn light into sugar. ...",
        tokens=80,
        answer="max_tokens",
        why="5 tokens run out long before the paragraph ends",
    ),
    "c": StopCase(
        prompt="Say hello.",
        max_tokens=100,
        stop_sequences=("###",),
        would_write="Hello! How can I help you today?",
        tokens=9,
        answer="end_turn",
        why="'###' never appears, so the model finishes on its own",
    ),
    "d": StopCase(
        prompt="What is the capital of France?",
        max_tokens=3,
        stop_sequences=(".",),
        would_write="Paris is the capital of France.",
        tokens=7,
        answer="max_tokens",
        why="the '.' would come at about the 7th token, but max_tokens ends generation after 3: whichever comes "
        "first wins",
    ),
}


def check_stop_reasons(predictions: Any) -> Result:
    """Exercise 2: the stop_reason each request in STOP_CASES comes back with."""
    title = "Your stop_reason predictions"
    if not isinstance(predictions, dict):
        return result(title, ["Give a dict mapping each case letter to a stop_reason, e.g. {'a': 'end_turn', ...}."])
    problems: list[str] = []
    for letter, case in STOP_CASES.items():
        got = predictions.get(letter, Ellipsis)
        if unfilled(got):
            problems.append(f"Case {letter}: replace ... with a stop_reason such as 'end_turn'.")
        elif not isinstance(got, str) or got.strip().lower() not in STOP_REASONS:
            problems.append(f"Case {letter}: {got!r} is not a stop_reason; the API uses {', '.join(STOP_REASONS)}.")
        elif got.strip().lower() != case.answer:
            problems.append(f"Case {letter}: not {got!r}; {case.why}.")
    extra = set(predictions) - set(STOP_CASES)
    if extra:
        problems.append(f"Unexpected case letters {sorted(extra)}; the cases are {sorted(STOP_CASES)}.")
    note = "stop_sequence when a stop sequence appears, max_tokens when the budget runs out first, else end_turn."
    return result(title, problems, note)
