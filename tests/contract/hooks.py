"""What the OpenAPI document says in words and JSON Schema cannot: rules the contract fuzzing
run (tests/contract_fuzz.rs) keeps to when it draws requests.

- A cursor is opaque: only the `next_cursor` the server handed out is one. Drawn cursors are
  left out (the document says any other value is refused with 400 `invalid-cursor`).
- A time is a real date: the document's pattern lets 31 February through.
- A report covers `from` before `to`, at most 366 days (said in the parameters' descriptions).
- A hook's `mapping` is a TOML text the server reads (README.md says how): drawn text is
  replaced by a mapping that reads.
- A webhook subscription's `url` must reach a public address (said in its description): a
  drawn URL is replaced by one on a public name.
"""
import re
from datetime import datetime, timedelta, timezone

import schemathesis

SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


@schemathesis.hook
def map_query(ctx, query):
    if query and "cursor" in query:
        query = {k: v for k, v in query.items() if k != "cursor"}
    return query


def _time(value):
    """The time, None when it is not one the document allows, "unreadable" when it has the
    document's shape but is no date (31 February) or one Python cannot count with (year 0)."""
    text = str(value)
    if not SHAPE.match(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return "unreadable"


@schemathesis.hook
def filter_query(ctx, query):
    operation = getattr(ctx, "operation", None)
    if not query or operation is None:
        return True
    times = {name: _time(query[name]) for name in ("from", "to", "due_before") if name in query}
    if "unreadable" in times.values():
        return False
    if operation.path not in ("/api/v1/reports/summary", "/api/v1/reports/cases") or None in times.values():
        return True  # not a time at all: the server refuses it, as the document says
    end = times.get("to") or datetime.now(timezone.utc)
    start = times.get("from") or end - timedelta(days=7)
    return start < end and end - start <= timedelta(days=366)


MAPPING = """source = "erp"
[verify]
scheme = "hmac-sha256"
header = "X-Signature"
[event]
id = "id"
type = "type"
subject = "customer"
"""


RULE = """
[when]
kind = "payment_failed"

[[then]]
do = "tag_customer"
tag = "payment-risk"
"""


# ECMA-262's \s (what the document's patterns mean), which Python's \s is not quite.
WS_CHARS = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
WS = f"[{WS_CHARS}]"


@schemathesis.hook
def map_body(ctx, body):
    operation = getattr(ctx, "operation", None)
    if operation is not None and operation.path == "/api/v1/hooks/{name}" and operation.method.upper() == "PUT":
        if isinstance(body, dict) and isinstance(body.get("mapping"), str):
            body = dict(body, mapping=MAPPING)
    if operation is not None and operation.path == "/api/v1/rules/{name}" and operation.method.upper() == "PUT":
        if isinstance(body, dict) and isinstance(body.get("definition"), str):
            body = dict(body, definition=RULE)
    if operation is not None and operation.path == "/api/v1/macros" and operation.method.upper() == "POST":
        # Only a body the schema allows is made one the server takes; a schema-violating one
        # (a negative test) is left as drawn.
        known = {"name", "title", "text", "language", "step", "set_status", "follow_up"}
        enums = {"step": {"receive", "appreciate", "summarize", "ask"},
                 "set_status": {"new", "open", "pending", "resolved", "closed"}}
        if (isinstance(body, dict) and set(body) <= known
                and all(isinstance(body.get(k), str) for k in ("name", "title", "text"))
                and all(body.get(k) is None or isinstance(body.get(k), str) for k in ("language", "follow_up"))
                and all(body.get(k) is None or (isinstance(body.get(k), str) and body.get(k) in allowed)
                        for k, allowed in enums.items())
                and re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", body["name"])):
            body = dict(name=body["name"], title="Fuzzed macro", text="Hi {customer.first_name}", language="en",
                        step="ask", set_status="pending", follow_up="1d")
    if operation is not None and operation.path == "/api/v1/schedules" and operation.method.upper() == "POST":
        # A schema-valid schedule gets a week that checks (intervals in order, not overlapping).
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if (isinstance(body, dict) and isinstance(body.get("name"), str) and isinstance(body.get("timezone"), str)
                and isinstance(body.get("week", {}), dict)
                and all(isinstance(body.get("week", {}).get(d, []), list) for d in days)
                and set(body.get("week", {})) <= set(days)):
            body = dict(body, week={"mon": ["09:00-12:30", "13:30-18:00"], "sat": []})
    if operation is not None and operation.path == "/api/v1/cases/{id}/reviews" and operation.method.upper() == "POST":
        # Scores that fit the scorecard: every criterion once, within its scale.
        if isinstance(body, dict) and isinstance(body.get("scores"), list) and set(body) <= {"scores", "coaching"}:
            criteria = ("receive", "appreciate", "summarize", "ask", "resolution", "outcome", "follow_up")
            body = dict(body, scores=[{"criterion": c, "value": 1} for c in criteria])
    if operation is not None and operation.path == "/api/v1/reviews/{id}/answer" and operation.method.upper() == "PUT":
        if isinstance(body, dict) and body.get("state") == "disputed":
            body = dict(body, criterion="ask", reason="the notes show three questions")
    if operation is not None and operation.path == "/api/v1/webhooks" and operation.method.upper() == "POST":
        # Only a URL the schema allows is made one that reaches a public address; one drawn to
        # break the schema (too long, not a URL) is left as drawn.
        url = body.get("url") if isinstance(body, dict) else None
        if (isinstance(url, str) and len(url) <= 2000
                and re.fullmatch(f"{WS}*[Hh][Tt][Tt][Pp][Ss]?://[^{WS_CHARS}/?#@]+([/?][^{WS_CHARS}#]*)?{WS}*", url)):
            body = dict(body, url="https://hooks.example.invalid/casebook")
    return body
