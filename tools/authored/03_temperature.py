"""Authored recording for 03_temperature: today's form without sampling parameters (prompting for variety,
structured output and effort on Opus 4.6), then the escape hatch for older models (sampling parameters on
API version 2023-06-01), a temperature experiment, top_p, stop_sequences and one example per row of the
primer's temperature table.

Every request that carries a sampling parameter is recorded twice, told apart by `match_headers`: pinned to
`anthropic-version: 2023-06-01` it is answered as the API answers that version, and with the version the
installed SDK sends by default (a client's public `default_headers`) it gets
the 400 that version gives, so replay answers the unpinned request as live does.

The sampling requests go to claude-haiku-4-5 (the cheapest of the course's models that still accepts
sampling parameters). Sampled answers are the course's own illustrations of what varying temperature looks
like; they are not output of Claude. Identical requests are answered in recorded order (8 samples each).
"""

import json

import anthropic
from authoring import error_exchange, message_exchange, recording

from helpers.models import OPUS
from helpers.models import PRIMER_HAIKU as MODEL  # legacy on purpose: the lesson samples with temperature

ANTHROPIC_API_VERSION = anthropic.Anthropic(api_key="unused").default_headers["anthropic-version"]
PINNED = {"anthropic-version": "2023-06-01"}
DEFAULT = {"anthropic-version": ANTHROPIC_API_VERSION}
SAMPLING = ("temperature", "top_p", "top_k")


def ask(prompt, max_tokens=50, **extra):
    return {"model": MODEL, "max_tokens": max_tokens, "messages": [{"role": "user", "content": prompt}], **extra}


GOLDFISH = "Suggest a name for a pet goldfish. Reply with the name only."
FRUIT = "Name a fruit. Reply with one word."
SLOGAN = "Write a one-line slogan for a neighbourhood bakery. Reply with the slogan only."
LIST = "List five fruits that grow on trees as a numbered list, one per line, with no introduction."

# (prompt name, prompt, temperature) -> the 8 answers, in the order they are served.
SAMPLES = {
    ("fruit", FRUIT, 0.0): ["Apple"] * 8,
    ("fruit", FRUIT, 0.5): ["Apple", "Apple", "Mango", "Apple", "Banana", "Apple", "Mango", "Apple"],
    ("fruit", FRUIT, 1.0): ["Mango", "Kiwi", "Apple", "Pomegranate", "Blueberry", "Mango", "Lychee", "Banana"],
    ("slogan", SLOGAN, 0.0): [
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, right around the corner.",
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, just around the corner.",
        "Baked fresh every morning, just around the corner.",
    ],
    ("slogan", SLOGAN, 0.5): [
        "Baked fresh every morning, just around the corner.",
        "Warm bread, friendly faces, right on your street.",
        "Baked fresh every morning, just around the corner.",
        "Your neighbourhood's daily dose of fresh-baked joy.",
        "Baked fresh every morning, just around the corner.",
        "Warm bread, friendly faces, right on your street.",
        "Fresh from our oven to your table, every morning.",
        "Baked fresh every morning, just around the corner.",
    ],
    ("slogan", SLOGAN, 1.0): [
        "Rise and shine: the street's best loaves are already out of the oven.",
        "Crumbs worth crossing the road for.",
        "Warm bread, friendly faces, right on your street.",
        "Where the whole block comes for its morning crust.",
        "Flour, butter and a little neighbourly love.",
        "Knead something good? We're two doors down.",
        "Baked fresh every morning, just around the corner.",
        "Our ovens wake up before you do, so breakfast is always ready when you are.",
    ],
}

GUIDE = [
    (
        "classification",
        0.0,
        "Classify this support message as billing, bug or other. Reply with the label only.\n\n"
        "Message: I was charged twice for my subscription this month.",
        "billing",
    ),
    (
        "chat",
        0.5,
        "I have twenty minutes, three eggs, some spinach and a bit of cheese. What could I make for dinner?",
        "A spinach and cheese omelette fits nicely. Wilt the spinach in a hot pan for a minute, pour in the "
        "beaten eggs, scatter the cheese over once the edges set, then fold and serve. It takes about ten "
        "minutes, which leaves time for toast or a quick salad on the side.",
    ),
    (
        "creative writing",
        1.0,
        "Write a two-line poem about a lighthouse keeper's cat.",
        "She guards the lamp with half-closed eyes,\nand counts the ships like passing flies.",
    ),
]


def refused(label, body):
    """The 400 API version ANTHROPIC_API_VERSION gives any sampling field (the first one the body names)."""
    field = next(k for k in body if k in SAMPLING)
    return error_exchange(
        f"{label} on API version {ANTHROPIC_API_VERSION}",
        "/v1/messages",
        body,
        400,
        "invalid_request_error",
        f"{field}: Extra inputs are not permitted",
        match_headers=DEFAULT,
    )


IDEAS = (
    "Suggest five names for a pet goldfish. Make each one different in style: one classic, one funny, "
    "one from mythology, one from food and one that is a single syllable. One per line, names only."
)
IDEAS_TEXT = "Goldie\nSir Swims-a-Lot\nPoseidon\nNoodle\nFin"
TICKET = (
    "Classify this support message as billing, bug or other.\n\n"
    "Message: I was charged twice for my subscription this month."
)
LABEL_SCHEMA = {
    "type": "object",
    "properties": {"label": {"type": "string", "enum": ["billing", "bug", "other"]}},
    "required": ["label"],
    "additionalProperties": False,
}


def today():
    """Requests without sampling parameters, on the course's Opus 4.6, in the SDK's default API version."""
    ideas = {"model": OPUS, "max_tokens": 100, "messages": [{"role": "user", "content": IDEAS}]}
    label = {
        "model": OPUS,
        "max_tokens": 50,
        "messages": [{"role": "user", "content": TICKET}],
        "output_config": {"effort": "low", "format": {"type": "json_schema", "schema": LABEL_SCHEMA}},
    }
    return [
        message_exchange("variety from the prompt", ideas, IDEAS_TEXT),
        message_exchange("a label from a schema, low effort", label, json.dumps({"label": "billing"})),
    ]


def build():
    ex = today()
    goldfish_1 = ask(GOLDFISH, temperature=1.0)
    goldfish = ask(GOLDFISH, temperature=0.2)
    ex += [
        refused("extra_body temperature 1.0", goldfish_1),
        refused("extra_body temperature 0.2", goldfish),
        message_exchange("temperature 0.2 on API version 2023-06-01", goldfish, "Bubbles", match_headers=PINNED),
        message_exchange("temperature 0.2 again (cURL)", goldfish, "Bubbles", match_headers=PINNED),
    ]
    for (name, prompt, t), answers in SAMPLES.items():
        body = ask(prompt, temperature=t)
        for i, text in enumerate(answers, 1):
            label = f"{name} at temperature {t} sample {i}"
            ex.append(message_exchange(label, body, text, match_headers=PINNED))
        ex.append(refused(f"{name} at temperature {t}", body))
    top_p = ask(FRUIT, top_p=0.5)
    both = ask(FRUIT, temperature=0.5, top_p=0.5)
    top_k = ask(FRUIT, top_k=5)
    ex += [
        message_exchange("top_p 0.5 alone", top_p, "Apple", match_headers=PINNED),
        refused("top_p 0.5 alone", top_p),
        message_exchange("top_k 5", top_k, "Apple", match_headers=PINNED),
        refused("top_k 5", top_k),
        error_exchange(
            "temperature and top_p together",
            "/v1/messages",
            both,
            400,
            "invalid_request_error",
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
            match_headers=PINNED,
        ),
        refused("temperature and top_p together", both),
        message_exchange(
            "stop at the second list item",
            ask(LIST, 100, stop_sequences=["\n2."]),
            "1. Apple",
            stop_reason="stop_sequence",
            stop_sequence="\n2.",
        ),
        message_exchange("the whole list", ask(LIST, 100), "1. Apple\n2. Orange\n3. Mango\n4. Cherry\n5. Avocado"),
    ]
    for task, t, prompt, text in GUIDE:
        body = ask(prompt, 200, temperature=t)
        ex.append(message_exchange(f"guide: {task} at temperature {t}", body, text, match_headers=PINNED))
        ex.append(refused(f"guide: {task} at temperature {t}", body))
    return recording(
        ex,
        models=[OPUS, MODEL],
        note=(
            "Sampled answers are the course's illustrations of temperature's effect (8 identical requests per "
            "temperature, answered in order). Requests with sampling fields are recorded twice, by "
            "match_headers: for anthropic-version 2023-06-01 as that version answers them, and for "
            f"{ANTHROPIC_API_VERSION} (the installed SDK's default) with the 400 the docs' versioning page "
            "describes, in the message text public reports show ('temperature: Extra inputs are not "
            "permitted'; the top_p and top_k texts follow the same template). The temperature-with-top_p 400 "
            "follows the message reported for the 4.5/4.6 models."
        ),
    )
