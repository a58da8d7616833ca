"""What the OpenAPI document says in words and JSON Schema cannot: rules the contract fuzzing
run (tests/contract_fuzz.rs) keeps to when it draws requests.

- A cursor is opaque: only the `next_cursor` the server handed out is one. Drawn cursors are
  left out (the document says any other value is refused with 400 `invalid-cursor`).
- A report covers `from` before `to`, at most 366 days (said in the parameters' descriptions).
"""
from datetime import datetime, timedelta

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    if query and "cursor" in query:
        query = {k: v for k, v in query.items() if k != "cursor"}
    return query


def _time(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


@schemathesis.hook
def filter_query(ctx, query):
    operation = getattr(ctx, "operation", None)
    if not query or operation is None or operation.path != "/api/v1/reports/summary":
        return True
    now = datetime.now().astimezone()
    end = _time(query["to"]) if "to" in query else now
    start = _time(query["from"]) if "from" in query else (end - timedelta(days=7) if end else None)
    if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
        return True  # not a time: the server refuses it, as the document says
    return start < end and end - start <= timedelta(days=366)
