"""Authored recording for 08_prompt_caching: cache writes and reads of a long fictional statute.

The statute is notebooks/data/common_orchards_act.txt (written for the course). Usage follows the API's
rules for caching: `input_tokens` is only the uncached remainder, `cache_creation_input_tokens` the tokens
written up to the last breakpoint that was not yet cached, `cache_read_input_tokens` the tokens read back.
Sizes use the course's estimate (tools/authoring.py); the cached prefix of a breakpoint is the estimate of
the request cut off after that block, less the 8 tokens of per-request framing, which stay uncached.
"""

from __future__ import annotations

from typing import Any

from authoring import (
    ROOT,
    error_exchange,
    estimate_input_tokens,
    estimate_tokens,
    json_exchange,
    message,
    recording,
    usage,
)

from helpers.bill import VERBATIM
from helpers.models import HAIKU, OPUS, PRIMER_OPUS

DOC = (ROOT / "notebooks" / "data" / "common_orchards_act.txt").read_text(encoding="utf-8")
INTRO = "You are an AI assistant with deep expertise in law.\n\n"
EPHEMERAL = {"type": "ephemeral"}
FRAMING = 8  # per-request tokens of the estimate: never part of a cached prefix

TOOL = {
    "name": "lookup_parcel",
    "description": "Look up a parcel of a common orchard in the Registry: its steward, its declared harvest "
    "season and any closure notice in force.",
    "input_schema": {
        "type": "object",
        "properties": {"parcel": {"type": "string", "description": "The parcel number, e.g. CO-04"}},
        "required": ["parcel"],
    },
}


def system(text: str = INTRO + DOC, marker: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": marker or EPHEMERAL}]


def ask(question: str, sys_blocks: list[dict[str, Any]], model: str = OPUS) -> dict[str, Any]:
    return {"model": model, "max_tokens": 1024, "system": sys_blocks,
            "messages": [{"role": "user", "content": question}]}


def prefix_tokens(body: dict[str, Any], path: str) -> int:
    """Estimated tokens of `body` up to and including the block at `path` ("system[0]", "messages[1].content[0]")."""
    cut: dict[str, Any] = {}
    if body.get("tools"):
        cut["tools"] = body["tools"]
    if path.startswith("tools["):
        cut["tools"] = body["tools"][: int(path[6:-1]) + 1]
    elif path.startswith("system["):
        cut["system"] = body["system"][: int(path[7:-1]) + 1]
    elif "." not in path:  # "messages[2]": the whole message (a plain-string content is one block)
        cut["system"] = body["system"]
        cut["messages"] = body["messages"][: int(path[9:-1]) + 1]
    else:
        cut["system"] = body["system"]
        i, j = (int(p.split("[")[1].rstrip("]")) for p in path.split("."))
        msgs = body["messages"]
        cut["messages"] = msgs[:i] + [dict(msgs[i], content=msgs[i]["content"][: j + 1])]
    return estimate_input_tokens(cut) - FRAMING


def answer(label: str, body: dict[str, Any], text: str, *, read: str | None = None, write: str | None = None,
           ttl: str = "5m") -> dict[str, Any]:
    """An exchange answering `body`: tokens through `read` come from the cache, then through `write` go into it."""
    total = estimate_input_tokens(body)
    got = prefix_tokens(body, read) if read else 0
    put = prefix_tokens(body, write) - got if write else 0
    out = max(1, estimate_tokens(text))
    use = usage(total - got - put, out, cache_read=got, model=body["model"],
                cache_write=put if ttl == "5m" else 0, cache_write_1h=put if ttl == "1h" else 0)
    return json_exchange(label, "/v1/messages", body, 200, message(body, text, seed=label, use=use))


def prose(text: str) -> str:
    """Paragraphs written wrapped in this file, as one line each (the way the API returns text)."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


# Section 2: automatic caching, a top-level cache_control on a conversation that grows.
AUTO_1 = "Who counts as a resident under Article 2?"
A_AUTO_1 = prose("""
Under Article 2(d) a resident is a person whose home is in the Lantern Valley, and also anyone who has lived
there for at least ninety days in the last twelve months. Nationality, owning property and registering anywhere
are not required.
""")
AUTO_2 = "Does a student who stays for one autumn term count?"
A_AUTO_2 = prose("""
Only once the ninety days are reached. A term of about twelve weeks passes ninety days in the valley before it
ends, so from then on, and for the rest of the twelve months that follow, the student is a resident under
Article 2(d) and may glean under Article 3. Before day ninety the student is a visitor.
""")


def automatic(turns: list[tuple[str, str | None]]) -> dict[str, Any]:
    """A request with one top-level cache_control: the system prompt a plain string, the conversation so far."""
    messages: list[dict[str, Any]] = []
    for question, reply in turns:
        messages.append({"role": "user", "content": question})
        if reply is not None:
            messages.append({"role": "assistant", "content": reply})
    return {"model": OPUS, "max_tokens": 1024, "cache_control": EPHEMERAL, "system": INTRO + DOC,
            "messages": messages}


PRIMER_QUESTION = "Please explain the interpretation of Article 3."

A_ARTICLE_3 = prose("""
Article 3 gives every resident a personal right to glean, that is, to gather windfall by hand, in any common
orchard during the harvest season and between sunrise and sunset. Read with the definitions in Article 2 and the
purpose clause in Article 1(3), it comes down to five points.

1. Who and when. "Resident" (Article 2(d)) covers anyone whose home is in the valley and anyone who has lived
there for ninety days of the last twelve months. The season is the one fixed for the parcel under Article 5.

2. How much. There is no fixed amount. The test is a quantity "reasonable for the needs of his or her
household", judged by the factors in paragraph (2): the size of the household, the windfall on the parcel that
day, the number of other gleaners, and any Council guidance. The same basketful can be reasonable on a quiet day
with heavy windfall and unreasonable on a crowded one. Guidance may not go below one week's needs for a
household of four (paragraph (6)), and under Article 23(3) taking more than the guidance suggests is not
conclusive.

3. What the fruit may be used for. Not a commercial purpose (paragraph (3)); but Article 2(j) excludes gifts and
charity sales, so a jar of jam for a neighbour or a cake stall at a school fair is lawful.

4. How and where. No climbing, ladders, shaking or cutting; no closed parcels; no trees reserved by a steward;
no vehicles other than mobility aids and pushchairs (paragraph (4)). Children under twelve glean only with an
adult, and their fruit counts towards their household (paragraph (5)).

5. Whose right it is. It is personal and cannot be sold or transferred. A resident may glean for another
household member only if that member is ill, disabled or a carer and consents (paragraph (7)); Article 20(3)
extends this to residents who cannot visit.

Where a phrase is open to more than one reading, Article 1(3) requires the reading that best keeps the orchards
productive, open and shared. Taking too much is not in itself an offence (Article 18(3)): the remedy is a
warning and, after two in a season, suspension.
""")

SECOND_QUESTION = "Please explain the interpretation of Article 9."
A_ARTICLE_9 = prose("""
Article 9 lets the Council close all or part of a parcel by a closure notice, but only for the four reasons in
paragraph (1): replanting or resting the parcel, controlling a disease or pest under Article 13, repairs, and
protecting nesting birds or bees. The list is closed, so a closure for any other reason, for instance to keep
fruit for a licence holder, would fall outside the power; Article 10(4) points the same way.

The notice must state the reason, the area and the day it ends, and may not run for more than one harvest
season, although a new notice may follow (paragraph (2)). It takes effect through publicity: it is posted at
every gate and entered in the Registry (paragraph (3), with Article 21(1) on how a notice is fixed).

While it is in force only stewards, Council officers and people working under their direction may enter the
closed area (paragraph (4)); anyone else commits an offence under Article 18(1)(c), with a fine up to level 1.
Paragraph (5) protects gleaners: where a parcel is closed for more than thirty days of a season, the Council
must open another parcel nearby for the same period where that is practical.

Read with Article 1(3), the power exists to protect the orchard, and a court would expect the reason, the area
and the length of a closure to be no wider than that purpose needs.
""")

MORE_QUESTIONS = [
    ("Who counts as a resident under Article 2?",
     "Under Article 2(d) a resident is a person whose home is in the Lantern Valley. The definition also "
     "includes anyone who has lived there for at least ninety days in the last twelve months, so seasonal "
     "workers and students who stay for a term qualify. Nationality, owning property and registering "
     "anywhere are not required."),
    ("Can a steward glean on the parcels they look after?",
     "Yes. A steward who is a resident has the same right under Article 3 as anyone else, with one limit: "
     "under Article 4(4) a steward may not glean on a parcel in his or her care during the first hour after "
     "sunrise, so that other residents have the first choice of the day's windfall. On other parcels there "
     "is no such limit."),
    ("May a food bank send people to glean for it?",
     "Yes, once it is registered with the Council. Article 19 lets a registered charity, food bank or "
     "community kitchen name up to three residents as its gleaners for a season. They may glean for it, in "
     "a quantity reasonable for the number of people it feeds in a week, on top of their own household's "
     "share, and must carry the Council's card. The fruit must be given away, or used in meals given away "
     "or sold at cost (Article 19(3))."),
    ("Is taking too much fruit an offence?",
     "No. Article 18(3) says that taking more than a reasonable quantity under Article 3 is not, by itself, "
     "an offence. The Council may give a written warning and, after two warnings in one season, suspend the "
     "person's right to glean for the rest of it, but only after giving seven days to explain (Article "
     "18(4)). Selling fruit without a licence is different: that is an offence under Article 18(1)(a)."),
    ("When does the harvest season start if the Council declares nothing?",
     "On 1 August. Under Article 5(2), where the Council has made no declaration for a parcel, the season "
     "runs from the first day of August to the last day of November. A declaration can set other dates, "
     "published at the gate and in the Registry at least three days ahead (Article 5(3)), and bad weather "
     "can move a season by up to twenty-one days (Article 5(6))."),
    ("Can I use a ladder to reach apples on a high branch?",
     "No. Article 3(4)(a) forbids gleaners to climb a tree, use a ladder, or shake, strike or cut a branch, "
     "and Article 8(2) keeps the Council's ladders for stewards and volunteers working under them. Fruit "
     "you can reach standing on the ground that comes away at a light touch counts as windfall under "
     "Article 2(g), so you may take that."),
    ("What happens if my usual parcel is closed for most of the season?",
     "A closure notice may last at most one harvest season (Article 9(2)). If your parcel is closed for "
     "more than thirty days of the season, Article 9(5) requires the Council, where practical, to open "
     "another parcel nearby to gleaning for the same period. The Registry records every closure notice in "
     "force (Article 6(1)), so check it for the parcel that has been opened."),
    ("Who may keep bees in a common orchard?",
     "Any resident, with the Council's written permission (Article 11(1)). Hives must stand at least twenty "
     "metres from any path and carry the beekeeper's Registry number, and honey may not be taken for a "
     "commercial purpose unless the permission says so (Article 11(3)). A Council member who keeps bees in "
     "a common orchard must declare it and may not vote on matters that concern those hives (Article "
     "24(4))."),
]

A_SHORT_ARTICLE_3 = prose("""
Article 3 gives each resident a personal right to glean in the common orchards during the harvest season, from
sunrise to sunset, in a quantity reasonable for the needs of the household. Whether a quantity is reasonable
depends on the factors in paragraph (2) and on any Council guidance, which may not go below a week's needs for a
household of four. Gleaned fruit may not be used for a commercial purpose; climbing, ladders, shaking branches,
closed parcels, reserved trees and vehicles are excluded; children under twelve need an adult; and the right
cannot be transferred, except to glean for an ill, disabled or caring household member.

Several terms it relies on, such as "resident", "windfall", "harvest season" and "commercial purpose", are
defined elsewhere in the Act, which I have not been given, so their exact scope would need checking against
those definitions.
""")

A_ARTICLE_3_AGAIN = prose("""
Article 3 sets out a personal right for every resident to glean windfall in any common orchard during the
harvest season, between sunrise and sunset.

The central phrase is "a quantity reasonable for the needs of his or her household". It is deliberately open:
paragraph (2) ties it to the household's size, the day's windfall, the number of gleaners and Council guidance,
and paragraph (6) sets a floor, since guidance cannot fix less than a week's needs for four people. Article
23(3) confirms that exceeding the guidance is not by itself unreasonable, and Article 18(3) makes over-gleaning
a matter for warnings and suspension rather than an offence.

The rest of the Article draws the edges: no commercial use (paragraph (3), read with the exclusions in Article
2(j)); no climbing, ladders, shaking, cutting, closed parcels, reserved trees or vehicles (paragraph (4));
children under twelve only with an adult (paragraph (5)); and no transfer of the right, except gleaning for an
ill, disabled or caring household member (paragraph (7)). Where any of this is ambiguous, Article 1(3) points to
the reading that keeps the orchards productive, open and shared.
""")

HELP_DESK_QUESTION = "Please explain the interpretation of Article 19."
A_ARTICLE_19 = prose("""
Article 19 extends gleaning beyond the household for charities. A charity, food bank or community kitchen
registered with the Council may name up to three residents as its gleaners for a season. Those gleaners keep
their own right under Article 3 and may, in addition, glean for the body, in a quantity reasonable for the
number of people it feeds in a week, judged with the same factors about the day's windfall and the other
gleaners (Article 3(2)(b) and (c)).

Paragraph (3) limits the use of the fruit: it must be given away or used in meals that are given away or sold at
no more than cost, and such a sale is expressly not a commercial purpose. The gleaners carry a Council card and
must show it to a steward on request, and the Council publishes the bodies' names but not the gleaners'. The
Article is an exception to the rule in Article 3(7) that no one may glean on behalf of another household.
""")

# Section 6.4: a burst of questions sent at once, before any cache entry exists, then two more after.
DESK_INTRO = "You answer volunteers' questions at the Common Orchards help desk, citing the Act.\n\n"
BURST = [
    ("May volunteers use the Council's ladders?",
     "Yes, if they work under a steward's direction: Article 8(2) keeps the Council's ladders for stewards and the "
     "volunteers working under them. Gleaners as such may not use ladders (Article 3(4)(a))."),
    ("Who do I tell about a diseased tree?",
     "The steward of the parcel. Under Article 13 the steward reports disease or pests to the Council, which may "
     "close the affected area by a closure notice under Article 9(1)."),
    ("Can volunteers glean at the end of a shift?",
     "Yes. Volunteering does not change a resident's own right under Article 3: at the end of a shift you may "
     "glean like anyone else, between sunrise and sunset, in a quantity reasonable for your household."),
]
AFTER_BURST = [
    ("Do volunteers need a Council card?",
     "Only those who glean for a registered charity under Article 19, who carry the Council's card and show it to "
     "a steward on request. Other volunteers need no card."),
    ("May a volunteer bring a dog onto a parcel?",
     "The Act does not forbid it. A steward may still ask for a dog to be kept on a lead where it disturbs "
     "gleaners or nesting birds, which Article 9(1) lets the Council protect."),
]


def desk(question: str) -> dict[str, Any]:
    return ask(question, system(DESK_INTRO + DOC), HAIKU)


TURN_1 = "I live in Brook Bend with my partner and our two children. How much may we glean?"
A_TURN_1 = prose("""
The Act sets no fixed amount. Under Article 3(1) your household of four may glean a quantity reasonable for its
needs, and Article 3(2) says that depends on the size of your household, how much windfall is on the parcel that
day, how many other gleaners are there, and any guidance the Council has published.

Guidance cannot fix less than what a household of four needs for one week (Article 3(6)), so you can count on at
least a week's worth for the four of you at a time. Until the Council publishes guidance, the steward judges
what is reasonable (Article 29(2)). Fruit your children gather counts towards your household's share (Article
3(5)).

If Brook Bend (parcel CO-04) is where you glean, Schedule 2 gives the usual windows for its pears (September to
October) and medlars (late October to December).
""")

TURN_2 = "May our eight-year-old glean on her own while I wait at the gate?"
A_TURN_2 = prose("""
No. Under Article 3(5) a child under twelve may glean only in the company of an adult, and waiting at the gate
would not be keeping her company among the trees: you need to be with her while she gleans. The exception in
Article 14(3) covers only school or youth group visits supervised by that group's adults.
""")

FEW_SHOT = [
    ("May I use a ladder?", "Article 3(4)(a)"),
    ("When does the season start?", "Article 5"),
    ("Who appoints stewards?", "Article 4(1)"),
    ("Can I keep bees?", "Article 11"),
]


def conversation_turn(turns: list[tuple[str, str | None]]) -> dict[str, Any]:
    """The conversation request as the notebook's ask() builds it: the last two user turns carry a breakpoint."""
    messages: list[dict[str, Any]] = []
    for question, reply in turns:
        messages.append({"role": "user", "content": [{"type": "text", "text": question, "cache_control": EPHEMERAL}]})
        if reply is not None:
            messages.append({"role": "assistant", "content": reply})
    return {"model": OPUS, "max_tokens": 1024, "tools": [TOOL], "system": system(), "messages": messages}


def few_shot_request() -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for question, article in FEW_SHOT:
        messages.append({"role": "user", "content": question})
        block = {"type": "text", "text": article, "cache_control": EPHEMERAL}
        messages.append({"role": "assistant", "content": [block]})
    messages.append({"role": "user", "content": "Who may borrow a basket?"})
    return {
        "model": OPUS,
        "max_tokens": 50,
        "system": [{"type": "text", "text": "Name the article of the Common Orchards Act that answers the question.",
                    "cache_control": EPHEMERAL}],
        "messages": messages,
    }


def article_3() -> str:
    return DOC[DOC.index("ARTICLE 3.") : DOC.index("ARTICLE 4.")]


def build():
    exchanges = [
        answer("automatic caching, turn 1: cache write", automatic([(AUTO_1, None)]), A_AUTO_1, write="messages[0]"),
        answer("automatic caching, turn 2: turn 1 read", automatic([(AUTO_1, A_AUTO_1), (AUTO_2, None)]), A_AUTO_2,
               read="messages[0]", write="messages[2]"),
        answer("primer request: cache write", ask(PRIMER_QUESTION, system()), A_ARTICLE_3, write="system[0]"),
        answer("second question: cache read", ask(SECOND_QUESTION, system()), A_ARTICLE_9, read="system[0]"),
    ]
    for n, (question, text) in enumerate(MORE_QUESTIONS, start=3):
        exchanges.append(answer(f"question {n}: cache read", ask(question, system()), text, read="system[0]"))
    exchanges += [
        answer("below the minimum: not cached", ask(PRIMER_QUESTION, system(INTRO + article_3())), A_SHORT_ARTICLE_3),
        answer("one character changed: cache miss",
               ask(PRIMER_QUESTION, system(INTRO + DOC.replace("as at 1 March 2031", "as at 2 March 2031"))),
               A_ARTICLE_3_AGAIN, write="system[0]"),
        *[answer(f"burst {n}: sent at once, cache write", desk(q), a, write="system[0]")
          for n, (q, a) in enumerate(BURST, start=1)],
        *[answer(f"after the burst {n}: cache read", desk(q), a, read="system[0]")
          for n, (q, a) in enumerate(AFTER_BURST, start=1)],
        answer("1-hour TTL on Haiku: cache write",
               ask(HELP_DESK_QUESTION, system(marker={"type": "ephemeral", "ttl": "1h"}), HAIKU),
               A_ARTICLE_19, write="system[0]", ttl="1h"),
        answer("conversation turn 1: tools, system and turn cached", conversation_turn([(TURN_1, None)]), A_TURN_1,
               write="messages[0].content[0]"),
        answer("conversation turn 2: earlier turns read", conversation_turn([(TURN_1, A_TURN_1), (TURN_2, None)]),
               A_TURN_2, read="messages[0].content[0]", write="messages[2].content[0]"),
        error_exchange("five breakpoints", "/v1/messages", few_shot_request(), 400, "invalid_request_error",
                       "A maximum of 4 blocks with cache_control may be provided. Found 5."),
        # The primer's own code, verbatim (claude-opus-4-6, legacy), with the notebook's very_long_legal_document
        # (the primer leaves it undefined): only tests/test_primer_verbatim.py sends it, no notebook cell, so the
        # VERBATIM suffix keeps it out of the course's bill.
        answer(f"primer request: cache write{VERBATIM}", ask(PRIMER_QUESTION, system(), PRIMER_OPUS), A_ARTICLE_3,
               write="system[0]"),
    ]
    return recording(
        exchanges,
        models=[OPUS, HAIKU, PRIMER_OPUS],
        note="The long document is the course's own fictional statute, notebooks/data/common_orchards_act.txt. "
        "Cache fields follow the API's rules: input_tokens is only the uncached remainder.",
    )
