"""Authored recording for 03_temperature: sampling parameters on SDK 2.x, a temperature experiment,
top_p, stop_sequences and one example per row of the primer's temperature table.

All requests go to claude-haiku-4-5 (the cheapest of the course's models that still accepts sampling
parameters). Sampled answers are the course's own illustrations of what varying temperature looks like;
they are not output of Claude. Identical requests are answered in recorded order (8 samples each).
"""

from authoring import error_exchange, message_exchange, recording

from helpers.models import HAIKU as MODEL


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


def build():
    ex = [
        error_exchange(
            "extra_body temperature on API version 2026-10-21",
            "/v1/messages",
            ask(GOLDFISH, temperature=1.0),
            400,
            "invalid_request_error",
            "temperature: Extra inputs are not permitted",
        ),
        message_exchange("temperature 0.2 on API version 2023-06-01", ask(GOLDFISH, temperature=0.2), "Bubbles"),
        message_exchange("temperature 0.2 again (cURL)", ask(GOLDFISH, temperature=0.2), "Bubbles"),
    ]
    for (name, prompt, t), answers in SAMPLES.items():
        for i, text in enumerate(answers, 1):
            ex.append(message_exchange(f"{name} at temperature {t} sample {i}", ask(prompt, temperature=t), text))
    ex += [
        message_exchange("top_p 0.5 alone", ask(FRUIT, top_p=0.5), "Apple"),
        error_exchange(
            "temperature and top_p together",
            "/v1/messages",
            ask(FRUIT, temperature=0.5, top_p=0.5),
            400,
            "invalid_request_error",
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        ),
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
        ex.append(message_exchange(f"guide: {task} at temperature {t}", ask(prompt, 200, temperature=t), text))
    return recording(
        ex,
        models=[MODEL],
        note=(
            "Sampled answers are the course's illustrations of temperature's effect (8 identical requests per "
            "temperature, answered in order). The 400 bodies follow the messages the API is reported to send: "
            "sampling fields on API version 2026-10-21, and temperature with top_p on the 4.5/4.6 models."
        ),
    )
