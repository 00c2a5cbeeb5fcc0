"""Authored recording for 07_batches: the primer's batch (create, polls, results), a batch with one
invalid request (an errored result line), a canceled batch and a list() page.

Batch objects follow the API's shape (shared/api-facts.md): request_counts other than `processing`
stay 0 until the batch ends, and `results_url` is null until then. Succeeded messages carry
usage.service_tier "batch"; their usage is estimated like every authored recording's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from authoring import estimate_input_tokens, estimate_tokens, json_exchange, make_id, message, recording, usage

from helpers.bill import VERBATIM
from helpers.models import OPUS, PRIMER_OPUS, model_info

API = "https://api.anthropic.com"


def params(prompt: str, max_tokens: int = 1024) -> dict:
    return {"model": OPUS, "max_tokens": max_tokens, "messages": [{"role": "user", "content": prompt}]}


# The primer's batch, unchanged.
PRIMER_REQUESTS = [
    {"custom_id": "request-1", "params": params("Tell me about Tokyo.")},
    {"custom_id": "request-2", "params": params("Tell me about London.")},
]
# One request is invalid: max_tokens above the model's 128K output limit. Create accepts it;
# the error arrives as that request's result once the batch has ended.
MISTAKE_REQUESTS = [
    {"custom_id": "request-3", "params": params("Tell me about Paris.")},
    {"custom_id": "request-4", "params": params("Tell me everything about Cairo.", max_tokens=200_000)},
]
CANCEL_REQUESTS = [
    {"custom_id": "nairobi", "params": params("Tell me about Nairobi.")},
    {"custom_id": "lima", "params": params("Tell me about Lima.")},
    {"custom_id": "sydney", "params": params("Tell me about Sydney.")},
]

ANSWERS = {
    "request-1": (
        "Tokyo is the capital of Japan and the heart of the largest metropolitan area in the world, home to "
        "about 37 million people. It began as Edo, a small castle town that became the seat of the Tokugawa "
        'shoguns in 1603, and was renamed Tokyo ("eastern capital") when the emperor moved there in 1868. '
        "The city was rebuilt twice in the twentieth century: after the Great Kanto earthquake of 1923 and "
        "after the air raids of 1945.\n\n"
        "Today it is a city of contrasts. The neon streets of Shinjuku and Shibuya are a short walk from quiet "
        "shrines such as Meiji Jingu, its trains are known for running to the minute, and districts from "
        "Asakusa to Akihabara each have a character of their own. Would you like suggestions for a visit, or "
        "more about its history?"
    ),
    "request-2": (
        "London is the capital of the United Kingdom and one of the world's great financial and cultural "
        "centers, with about nine million people in Greater London. The Romans founded it as Londinium around "
        "AD 50 at a crossing of the River Thames, and it has been a leading city ever since, surviving the "
        "Great Fire of 1666 and the Blitz of 1940-41.\n\n"
        "Visitors come for the Tower of London, Westminster Abbey, the Houses of Parliament and St Paul's "
        "Cathedral, and for free national museums such as the British Museum and the National Gallery. Its "
        "neighbourhoods range from the City, the old financial core, to the markets of Camden and the green "
        "space of Hyde Park. Is there a part of London you would like to know more about?"
    ),
    "request-3": (
        "Paris, the capital of France, lies on the Seine and has about two million residents in the city "
        "itself and more than twelve million in its metropolitan area. It grew from a settlement of the "
        "Parisii tribe on the Ile de la Cite, became the seat of French kings, and was reshaped in the 1850s "
        "and 1860s by Baron Haussmann's wide boulevards.\n\n"
        "It is known for the Eiffel Tower, the Louvre, Notre-Dame, its cafes and its fashion houses, and it "
        "is one of the most visited cities in the world. Would you like to hear about a particular district "
        "or period?"
    ),
    "nairobi": (
        "Nairobi is the capital of Kenya and one of the largest cities in East Africa, with over four million "
        "people. It was founded in 1899 as a depot on the railway from Mombasa to Uganda, and its name comes "
        'from a Maasai phrase meaning "cool water". Today it is a regional hub for business, technology and '
        "international organizations, including the headquarters of the UN Environment Programme.\n\n"
        "Unusually for a capital, it has a national park on its edge, where giraffes, lions and rhinos can "
        "be seen against the skyline. Would you like to know more about its history or about visiting?"
    ),
}
# The API's message names the request's own model and its output limit (helpers.models), so it follows OPUS.
_CAIRO = MISTAKE_REQUESTS[1]["params"]
CAIRO_ERROR = (
    f"max_tokens: {_CAIRO['max_tokens']} > {model_info(_CAIRO['model']).max_output}, which is the maximum "
    f"allowed number of output tokens for {_CAIRO['model']}"
)


def stamp(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")  # as 2026 batches send it


def batch_object(
    batch_id: str,
    status: str,
    counts: dict[str, int],
    created: datetime,
    *,
    ended: datetime | None = None,
    cancel_initiated: datetime | None = None,
) -> dict:
    """A MessageBatch body in the field order of the real 2026 captures (tests/fixtures/real/batch_*.json)."""
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {
            "processing": counts.get("processing", 0),
            "succeeded": counts.get("succeeded", 0),
            "errored": counts.get("errored", 0),
            "canceled": counts.get("canceled", 0),
            "expired": counts.get("expired", 0),
        },
        "ended_at": stamp(ended),
        "created_at": stamp(created),
        "expires_at": stamp(created + timedelta(hours=24)),
        "archived_at": None,
        "cancel_initiated_at": stamp(cancel_initiated),
        "results_url": f"{API}/v1/messages/batches/{batch_id}/results" if status == "ended" else None,
    }


def succeeded(request: dict, seed: str) -> dict:
    body = request["params"]
    text = ANSWERS[request["custom_id"]]
    use = usage(estimate_input_tokens(body), estimate_tokens(text), service_tier="batch", model=body["model"])
    return {
        "custom_id": request["custom_id"],
        "result": {"type": "succeeded", "message": message(body, text, seed=seed, use=use)},
    }


def errored(custom_id: str, kind: str, text: str) -> dict:
    return {
        "custom_id": custom_id,
        "result": {"type": "errored", "error": {"type": "error", "error": {"type": kind, "message": text}}},
    }


def canceled(custom_id: str) -> dict:
    return {"custom_id": custom_id, "result": {"type": "canceled"}}


def results_exchange(label: str, batch_id: str, lines: list[dict]) -> dict:
    # content-type (application/x-jsonl) and content-disposition come from authoring.complete_headers.
    return {
        "label": label,
        "request": {"method": "GET", "path": f"/v1/messages/batches/{batch_id}/results"},
        "response": {"status": 200, "headers": {"request-id": make_id("req_", label)}, "lines": lines},
    }


def retrieve(label: str, batch: dict) -> dict:
    return json_exchange(label, f"/v1/messages/batches/{batch['id']}", None, 200, batch, method="GET")


def ex_body(exchanges: list[dict], label: str) -> dict:
    """The response body of the exchange labelled `label`."""
    return next(e["response"]["body"] for e in exchanges if e["label"] == label)


def build():
    ex = []

    # 1. The primer's batch: created, polled four times while in progress (the first by a results()
    #    call made too early), then ended; results() retrieves once more before it reads the JSONL.
    a = make_id("msgbatch_", "primer batch")
    t0 = datetime(2026, 11, 24, 9, 0, 5, 218044, tzinfo=timezone.utc)
    running = batch_object(a, "in_progress", {"processing": 2}, t0)
    done = batch_object(
        a, "ended", {"succeeded": 2}, t0, ended=t0 + timedelta(minutes=3, seconds=47, microseconds=386869)
    )
    ex.append(
        json_exchange("primer batch: create", "/v1/messages/batches", {"requests": PRIMER_REQUESTS}, 200, running)
    )
    for n in range(1, 5):
        ex.append(retrieve(f"primer batch: retrieve {n} (in_progress)", running))
    for n in range(5, 7):
        ex.append(retrieve(f"primer batch: retrieve {n} (ended)", done))
    ex.append(
        results_exchange(
            "primer batch: results",
            a,
            [
                succeeded(PRIMER_REQUESTS[1], "primer batch request-2"),  # any order: request-2 came back first
                succeeded(PRIMER_REQUESTS[0], "primer batch request-1"),
            ],
        )
    )

    # 2. A batch with one invalid request: accepted at create, errored in the results.
    b = make_id("msgbatch_", "mistake batch")
    t1 = datetime(2026, 11, 24, 9, 5, 11, 402730, tzinfo=timezone.utc)
    running = batch_object(b, "in_progress", {"processing": 2}, t1)
    done = batch_object(
        b, "ended", {"succeeded": 1, "errored": 1}, t1, ended=t1 + timedelta(seconds=88, microseconds=715295)
    )
    ex.append(
        json_exchange("mistake batch: create", "/v1/messages/batches", {"requests": MISTAKE_REQUESTS}, 200, running)
    )
    ex.append(retrieve("mistake batch: retrieve 1 (in_progress)", running))
    for n in range(2, 4):
        ex.append(retrieve(f"mistake batch: retrieve {n} (ended)", done))
    ex.append(
        results_exchange(
            "mistake batch: results",
            b,
            [
                errored("request-4", "invalid_request_error", CAIRO_ERROR),
                succeeded(MISTAKE_REQUESTS[0], "mistake batch request-3"),
            ],
        )
    )

    # 3. A canceled batch: one request had finished before the cancel took effect.
    c = make_id("msgbatch_", "cancel batch")
    t2 = datetime(2026, 11, 24, 9, 8, 20, 771364, tzinfo=timezone.utc)
    cancel_at = t2 + timedelta(seconds=10, microseconds=318788)
    running = batch_object(c, "in_progress", {"processing": 3}, t2)
    canceling = batch_object(c, "canceling", {"processing": 3}, t2, cancel_initiated=cancel_at)
    done = batch_object(
        c,
        "ended",
        {"succeeded": 1, "canceled": 2},
        t2,
        cancel_initiated=cancel_at,
        ended=t2 + timedelta(seconds=37, microseconds=684237),
    )
    ex.append(
        json_exchange("cancel batch: create", "/v1/messages/batches", {"requests": CANCEL_REQUESTS}, 200, running)
    )
    ex.append(json_exchange("cancel batch: cancel", f"/v1/messages/batches/{c}/cancel", None, 200, canceling))
    ex.append(retrieve("cancel batch: retrieve 1 (canceling)", canceling))
    for n in range(2, 4):
        ex.append(retrieve(f"cancel batch: retrieve {n} (ended)", done))
    ex.append(
        results_exchange(
            "cancel batch: results",
            c,
            [
                canceled("lima"),
                succeeded(CANCEL_REQUESTS[0], "cancel batch nairobi"),
                canceled("sydney"),
            ],
        )
    )

    # 4. list(): newest first, one page.
    listed = [done, ex_body(ex, "mistake batch: retrieve 3 (ended)"), ex_body(ex, "primer batch: retrieve 6 (ended)")]
    page = {"data": listed, "has_more": False, "first_id": listed[0]["id"], "last_id": listed[-1]["id"]}
    ex.append(json_exchange("list batches", "/v1/messages/batches?limit=3", None, 200, page, method="GET"))

    # 5. The primer's own code, verbatim (claude-opus-4-6, legacy): only tests/test_primer_verbatim.py sends it,
    #    no notebook cell, so the VERBATIM suffix keeps it out of the course's bill. Its polling loop finds the
    #    batch in progress once (the test stands in for time.sleep(60)), then ended; results() retrieves once more.
    verbatim = [{**r, "params": {**r["params"], "model": PRIMER_OPUS}} for r in PRIMER_REQUESTS]
    v = make_id("msgbatch_", f"primer batch{VERBATIM}")
    t3 = datetime(2026, 11, 24, 9, 12, 40, 530918, tzinfo=timezone.utc)
    running = batch_object(v, "in_progress", {"processing": 2}, t3)
    done = batch_object(
        v, "ended", {"succeeded": 2}, t3, ended=t3 + timedelta(minutes=2, seconds=5, microseconds=91443)
    )
    ex.append(
        json_exchange(f"primer batch: create{VERBATIM}", "/v1/messages/batches", {"requests": verbatim}, 200, running)
    )
    ex.append(retrieve(f"primer batch: retrieve 1 (in_progress){VERBATIM}", running))
    for n in range(2, 4):
        ex.append(retrieve(f"primer batch: retrieve {n} (ended){VERBATIM}", done))
    ex.append(
        results_exchange(
            f"primer batch: results{VERBATIM}",
            v,
            [succeeded(r, f"primer batch {r['custom_id']}{VERBATIM}") for r in verbatim],
        )
    )

    return recording(
        ex,
        models=[OPUS, PRIMER_OPUS],
        note=(
            "Batch objects, timestamps and result lines are authored in the shapes the API documents; "
            'succeeded results carry usage.service_tier "batch".'
        ),
    )
