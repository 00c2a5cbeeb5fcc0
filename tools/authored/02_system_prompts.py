"""Authored recording for 02_system_prompts: system prompts, the primer's chat(), a long conversation, the
models' context windows, top-level cache_control, trimming, summarizing and a chat widget.

The trimming and summarizing requests are derived by running the same code as the notebook's cells (copied
below: the notebook shows it, no helper holds it) with the authoring estimator as the token counter, so the
recording holds exactly the count_tokens requests the notebook's trim loop will send.
"""

from authoring import error_exchange, estimate_input_tokens, json_exchange, message_exchange, recording

from helpers.bill import VERBATIM
from helpers.models import HAIKU, OPUS, PRIMER_OPUS, model_info

# --- the notebook's trimming and summarizing code, unchanged ----------------------------------------------


def trim_to_budget(messages, budget, count):
    kept = list(messages)
    while (tokens := count(kept)) > budget:
        if len(kept) == 1:
            raise ValueError(f"the new message alone needs {tokens} tokens, over the budget of {budget}")
        kept = kept[2:]
    return kept, tokens


def split_history(messages, keep_turns):
    cut = max(0, len(messages) - (2 * keep_turns + 1))
    return messages[:cut], messages[cut:]


def as_transcript(messages):
    names = {"user": "User", "assistant": "Assistant"}
    return "\n\n".join(f"{names[m['role']]}: {m['content']}" for m in messages)


def with_summary(summary, recent):
    note = {"type": "text", "text": f"Summary of our conversation so far:\n{summary.strip()}"}
    first = {"role": "user", "content": [note, {"type": "text", "text": recent[0]["content"]}]}
    return [first, *recent[1:]]


# created_at: the release date where a model's page gives one (as notebook 09's recording has it), else an
# illustrative date; the rest of the entry comes from helpers.models, so a model switch changes it too.
_RELEASED = {"claude-haiku-5-5": "2026-10-07"}


def model_entry(model_id):
    """A Models API entry (SDK types/model_info.py) for `model_id`: its id, name and limits from helpers.models."""
    info = model_info(model_id)
    return {
        "type": "model",
        "id": info.id,
        "display_name": info.name,
        "created_at": _RELEASED.get(info.id, "2026-01-01") + "T00:00:00Z",
        "lifecycle": "active",
        "deprecated_at": None,
        "retires_at": None,
        "line": info.id.split("-")[1],
        "max_input_tokens": info.context_window,
        "max_tokens": info.max_output,
    }


# --- 1. The primer's system prompt, and the same question without one ----------------------------------

SUPPORT = "You are a customer support agent. Reply politely and concisely."
QUESTION = {"role": "user", "content": "What is your return policy?"}
PRIMER_SYSTEM = {"model": OPUS, "max_tokens": 1024, "system": SUPPORT, "messages": [QUESTION]}
NO_SYSTEM = {"model": OPUS, "max_tokens": 1024, "messages": [QUESTION]}

WITH_SYSTEM_REPLY = (
    "Thank you for reaching out! I'd be glad to help. Return terms depend on the item and when it was "
    "delivered, and I don't have the store's policy details in front of me. Could you share your order "
    "number or the item you'd like to return? I'll then confirm the return window and the next steps."
)
WITHOUT_SYSTEM_REPLY = (
    "I don't have a return policy of my own: I'm Claude, an AI assistant made by Anthropic, and I don't "
    "sell products or process orders.\n\n"
    "If you're asking about a particular store, its return policy is usually on its website (often linked "
    'as "Returns" or "Shipping & Returns" at the bottom of the page), on your receipt, or in your order '
    "confirmation email. Things worth checking:\n\n"
    "- **The return window**, often 14 to 30 days from delivery\n"
    "- **Condition**, for example unused and in the original packaging\n"
    "- **Proof of purchase**, a receipt or an order number\n"
    "- **How you're refunded**, to the original payment method or as store credit\n"
    "- **Exceptions**, such as final-sale items\n\n"
    "If you tell me which store or product you mean, I can help you work out what to look for or draft a "
    "return request."
)

# --- 2. System as text blocks ---------------------------------------------------------------------------

POLICY = (
    "Return policy of Alder & Finch (home goods): unused items in their original packaging can be returned "
    "within 30 days of delivery for a full refund to the original payment method. Refunds are issued within "
    "5 business days of the return arriving. Sale items are final. Return shipping is free for damaged or "
    "faulty items; otherwise a $6 label fee is deducted from the refund."
)
SYSTEM_BLOCKS = [{"type": "text", "text": SUPPORT}]
POLICY_BLOCKS = [{"type": "text", "text": SUPPORT}, {"type": "text", "text": POLICY}]
POLICY_REPLY = (
    "Thanks for asking! At Alder & Finch, you can return unused items in their original packaging within "
    "30 days of delivery for a full refund to your original payment method. Refunds are issued within 5 "
    "business days of your return arriving. Please note that sale items are final. Return shipping is free "
    "for damaged or faulty items; for other returns, a $6 label fee is deducted from the refund. Is there "
    "an item you'd like to return?"
)
SYSTEM_ROLE = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": [{"role": "system", "content": SUPPORT}, QUESTION],
}
# Authored wording (the notebook says so): a system message in first place is refused; the live text may differ.
SYSTEM_ROLE_ERROR = (
    'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
    'not "system" as an input message role.'
)

# --- 3. The primer's chat() -----------------------------------------------------------------------------

INTRO = "Please introduce yourself."
INTRO_REPLY = (
    "Hello! I'm Claude, an AI assistant made by Anthropic. I can help with a wide range of tasks: answering "
    "questions, writing and editing, explaining ideas, analysing text and data, and writing or reviewing "
    "code. I aim to be helpful, honest and clear, and I'll tell you when I'm unsure about something. What "
    "can I help you with today?"
)
GOOD_AT = "What are you good at?"
GOOD_AT_REPLY = (
    "Quite a few things! Some of my strengths:\n\n"
    "- **Writing and editing**: drafts, summaries, rewrites in a different tone, proofreading\n"
    "- **Explaining**: breaking down technical or unfamiliar topics step by step\n"
    "- **Coding**: writing, reviewing and debugging code in many languages\n"
    "- **Analysis**: reading long documents, comparing options, pulling out the key points\n"
    "- **Brainstorming**: names, plans, outlines and alternatives\n\n"
    "I also have limits: I can't browse the web or see anything you haven't shared in this conversation, "
    "and I can make mistakes, so double-check facts that matter. Is there something you'd like to try?"
)

# --- 3b. A longer conversation: a gardening coach over eight turns --------------------------------------

COACH = "You are a friendly gardening coach. Keep each answer under 100 words."
GARDEN = [
    (
        "I want to grow vegetables on my balcony. It faces north and gets about three hours of direct sun "
        "in the morning. Where do I start?",
        "Great project! Three hours of morning sun on a north-facing balcony rules out sun-hungry crops, but "
        "leafy greens and herbs will do well. Start small: two or three large containers, a bag of good "
        "potting mix and a watering can. Check that your balcony can take the weight of wet soil, and that "
        "water can drain away without dripping onto the neighbours below. Then pick crops that like cool, "
        "bright shade. Would you like a shortlist?",
    ),
    (
        "Yes please: which vegetables cope with that little sun?",
        "Good candidates for your conditions:\n\n"
        "- Lettuce, especially loose-leaf types you can pick leaf by leaf\n"
        "- Spinach and chard\n"
        "- Rocket (arugula), which grows fast\n"
        "- Asian greens such as pak choi\n"
        "- Radishes, for quick roots\n"
        "- Peas, if you can give them something to climb\n\n"
        "Avoid fruiting crops like tomatoes, peppers and courgettes: they need far more light than your "
        "balcony gets. Start with lettuce and rocket; they are forgiving and give a harvest within weeks.",
    ),
    (
        "How big should the containers be for lettuce and spinach?",
        "Leafy greens have shallow roots, so width matters more than depth. Aim for containers at least "
        "20 cm (8 in) deep; a trough about 60 cm long holds six to eight lettuce or spinach plants. Wider "
        "pots hold moisture longer, which saves you watering. Whatever you choose needs drainage holes in "
        "the bottom. Lightweight plastic troughs or fabric grow bags are kinder to a balcony than "
        "terracotta, which is heavy and dries out quickly.",
    ),
    (
        "What potting mix should I buy?",
        "Buy a peat-free multipurpose potting mix made for containers, not garden soil: soil from the "
        "ground compacts in pots and drains badly. If the bag says it contains fertiliser, that feeds your "
        "plants for about six weeks; after that, a liquid feed every two weeks keeps leafy crops growing. "
        "Mixing in a handful of perlite per pot improves drainage. Refresh the top few centimetres each "
        "season rather than replacing everything.",
    ),
    (
        "How often should I water them?",
        "Check rather than follow a schedule: push a finger 2 to 3 cm into the mix and water when it feels "
        "dry at that depth. In warm weather that can mean daily; in cool, cloudy spells, every three or four "
        "days. Water the soil rather than the leaves, and keep going until water runs out of the drainage "
        "holes. Morning is the best time. Saucers under the pots help, but empty them so the roots don't "
        "sit in water.",
    ),
    (
        "Can I grow herbs alongside them? I cook a lot with parsley and mint.",
        "Yes, both are good choices. Parsley is happy in the same trough as your greens and keeps producing "
        "if you cut the outer stems first. Give mint a pot of its own: its roots spread fast and will crowd "
        "out everything else in a shared container. Chives are another easy herb to add. Pick herbs often; "
        "regular cutting keeps them bushy and stops them flowering too early.",
    ),
    (
        "When should I sow, if I live somewhere with mild winters?",
        "With mild winters you get two main windows. Sow lettuce, spinach, rocket and radishes from early "
        "spring, then again from late summer into autumn; greens often struggle in midsummer heat because "
        "they bolt. Sow small batches every two to three weeks rather than all at once, so you get a steady "
        "harvest instead of a glut. Peas go in early spring. Parsley can be sown in spring, and mint is "
        "easiest bought as a young plant.",
    ),
    (
        "How do I keep slugs away without chemicals?",
        "A few methods work well together. Raise pots on feet or a shelf: slugs find containers off the "
        "floor harder to reach. Stick copper tape around the rim of each pot. Check at dusk or after rain "
        "and pick off any you find. Keep the area tidy, because slugs hide under saucers and fallen leaves. "
        "Beer traps work too, sunk so the rim is level with the soil. Containers on a balcony are already "
        "far safer than a vegetable bed.",
    ),
]
NEXT = "Given how much sun I get, can I add tomatoes this year?"
BUDGET = 700

AFTER_TRIM_REPLY = (
    "Tomatoes are real sun-lovers: to ripen a good crop they need six to eight hours of direct sun a day. "
    "How much direct sun does your balcony get? If it gets that much, choose a compact or cherry variety in "
    "a container of at least 30 litres, give it a sturdy stake and feed it weekly with a tomato fertiliser "
    "once it flowers. With much less sun, tomatoes grow leaves but very little fruit."
)
SUMMARIZER = (
    "Summarize this conversation for the assistant who will continue it. Keep every fact the user gave "
    "about their situation, and the advice already given. At most 80 words."
)
SUMMARY = (
    "The user is starting a container vegetable garden on a north-facing balcony with about three hours of "
    "direct morning sun. Advice so far: grow leafy greens, radishes, peas and herbs, and avoid sun-hungry "
    "fruiting crops such as tomatoes; use containers at least 20 cm deep with drainage holes; peat-free "
    "potting mix plus a liquid feed every two weeks; water when the top 2-3 cm is dry; parsley with the "
    "greens, mint in its own pot."
)
AFTER_SUMMARY_REPLY = (
    "Honestly, I'd hold off. With about three hours of morning sun, a tomato plant will grow leaves but set "
    "very little fruit; they need six to eight hours to crop well. If you'd like to try anyway, pick a dwarf "
    "cherry variety, put it in the brightest corner and treat it as an experiment. Your space is better "
    "spent on the greens and herbs that thrive there: perhaps a second trough of lettuce or some pak choi."
)

# --- 5. The widget's unrecorded message (answered by the gateway's miss message, not recorded) ----------


def _user(text):
    return {"role": "user", "content": text}


def _assistant(text):
    return {"role": "assistant", "content": text}


def _count_exchange(label, messages):
    body = {"model": OPUS, "messages": messages, "system": COACH}
    return json_exchange(label, "/v1/messages/count_tokens", body, 200, {"input_tokens": estimate_input_tokens(body)})


def build():
    ex = [
        message_exchange("primer system prompt", PRIMER_SYSTEM, WITH_SYSTEM_REPLY),
        message_exchange("return policy without a system prompt", NO_SYSTEM, WITHOUT_SYSTEM_REPLY),
    ]
    for label, system in (
        ("count tokens: system as a string", SUPPORT),
        ("count tokens: system as blocks", SYSTEM_BLOCKS),
    ):
        body = {"model": OPUS, "system": system, "messages": [QUESTION]}
        ex.append(
            json_exchange(label, "/v1/messages/count_tokens", body, 200, {"input_tokens": estimate_input_tokens(body)})
        )
    ex.append(
        message_exchange(
            "system as blocks with the policy",
            {"model": OPUS, "max_tokens": 1024, "system": POLICY_BLOCKS, "messages": [QUESTION]},
            POLICY_REPLY,
        )
    )
    ex.append(
        error_exchange(
            "system role in messages", "/v1/messages", SYSTEM_ROLE, 400, "invalid_request_error", SYSTEM_ROLE_ERROR
        )
    )

    # The primer's chat(): the SDK sends the whole history each time.
    turn1 = [_user(INTRO)]
    turn2 = [*turn1, _assistant(INTRO_REPLY), _user(GOOD_AT)]
    ex.append(
        message_exchange("primer chat turn 1", {"model": OPUS, "max_tokens": 1024, "messages": turn1}, INTRO_REPLY)
    )
    ex.append(
        message_exchange("primer chat turn 2", {"model": OPUS, "max_tokens": 1024, "messages": turn2}, GOOD_AT_REPLY)
    )

    # Eight turns with the coach.
    history = []
    for n, (question, answer) in enumerate(GARDEN, 1):
        history.append(_user(question))
        body = {"model": OPUS, "max_tokens": 1024, "system": COACH, "messages": list(history)}
        ex.append(message_exchange(f"garden turn {n}", body, answer))
        history.append(_assistant(answer))
    pending = [*history, _user(NEXT)]

    # Turn 8 again with top-level cache_control: the prefix is under OPUS's minimum (helpers.models), so the
    # API caches nothing and says so only through zero cache counts in usage.
    last = {"model": OPUS, "max_tokens": 1024, "system": COACH, "messages": history[:-1]}
    ex.append(
        message_exchange(
            "garden turn 8 with top-level cache_control",
            {**last, "cache_control": {"type": "ephemeral"}},
            GARDEN[-1][1],
        )
    )

    # The context windows, from the Models API (as the SDK's client.models.retrieve asks for them).
    for model_id in (OPUS, HAIKU):
        entry = model_entry(model_id)
        ex.append(json_exchange(f"retrieve {model_id}", f"/v1/models/{model_id}", None, 200, entry, method="GET"))

    # Trimming: the notebook's count() calls count_tokens once per candidate; record each one.
    counted = []

    def count(messages):
        label = "count: history + next question" if not counted else f"count: trim candidate {len(counted)}"
        counted.append(_count_exchange(label, messages))
        return estimate_input_tokens({"system": COACH, "messages": messages})

    trimmed, _ = trim_to_budget(pending, BUDGET, count)
    ex += counted
    ex.append(
        message_exchange(
            "answer after trimming",
            {"model": OPUS, "max_tokens": 1024, "system": COACH, "messages": trimmed},
            AFTER_TRIM_REPLY,
        )
    )

    # Summarizing: one extra call (to Haiku) over the old turns, then the recent turns with the summary.
    old, recent = split_history(pending, keep_turns=2)
    ex.append(
        message_exchange(
            "summarize the old turns",
            {"model": HAIKU, "max_tokens": 300, "system": SUMMARIZER, "messages": [_user(as_transcript(old))]},
            SUMMARY,
        )
    )
    compacted = with_summary(SUMMARY, recent)
    ex.append(_count_exchange("count: with the summary", compacted))
    ex.append(
        message_exchange(
            "answer after summarizing",
            {"model": OPUS, "max_tokens": 1024, "system": COACH, "messages": compacted},
            AFTER_SUMMARY_REPLY,
        )
    )

    # The primer's own code, verbatim (claude-opus-4-6, legacy): only tests/test_primer_verbatim.py sends these,
    # no notebook cell, so the VERBATIM suffix keeps them out of the course's bill. Appended last, so the
    # exchanges above keep their rate-limit headers.
    verbatim_system = {**PRIMER_SYSTEM, "model": PRIMER_OPUS}
    ex.append(message_exchange(f"primer system prompt{VERBATIM}", verbatim_system, WITH_SYSTEM_REPLY))
    for n, (messages, reply) in enumerate(((turn1, INTRO_REPLY), (turn2, GOOD_AT_REPLY)), 1):
        body = {"model": PRIMER_OPUS, "max_tokens": 1024, "messages": messages}
        ex.append(message_exchange(f"primer chat turn {n}{VERBATIM}", body, reply))
    return recording(
        ex,
        models=[OPUS, HAIKU, PRIMER_OPUS],
        note="The chat widget's recorded turns are the primer's two chat() requests.",
    )
