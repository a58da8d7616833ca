//! What the OpenAPI document says beyond what the handlers' types derive: the rules the server
//! checks that a Rust type does not carry — the text rule (no NUL, `domain::text`), the shape
//! of names and comma-separated lists in query parameters, whole-number limits, which
//! statuses a request may name, and the CloudEvents attributes. Applied once to the generated
//! document, so that what it allows the server takes, and what it forbids the server refuses
//! (checked by `tests/contract_fuzz.rs`, which fuzzes the API from this document).
//!
//! Rules that JSON Schema cannot state are said in descriptions: a cursor is opaque (pass the
//! `next_cursor` you were given), a report's `from` comes before its `to`; refusals that depend
//! on what is stored (a status move the state machine forbids, a stale revision, an unknown id)
//! answer 409 or 404.

use serde_json::{json, Map, Value};

/// Text without NUL: `domain::text`'s rule as a pattern (ECMA-262 and Python alike).
const NO_NUL: &str = "^[^\\u0000]*$";
/// Text without NUL that holds something besides white space.
const NO_NUL_NOT_BLANK: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";
/// A name (`domain::event::is_valid_name`): what teams, queues, sources and kinds are called.
const NAME: &str = "^[a-z0-9][a-z0-9_.-]{0,63}$";
/// A UUID as casebook writes them.
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/// An RFC 3339 time as `domain::time::parse_rfc3339` reads it.
const RFC3339: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/// A comma-separated list of `words` (spaces around each allowed, empty items skipped).
fn list_of(words: &[&str]) -> String {
    let one = format!(" *({})? *", words.join("|"));
    format!("^{one}(,{one})*$")
}

/// Applies the rules to the document (as JSON).
pub fn tighten(doc: &mut Value) {
    query_parameters(doc);
    request_bodies(doc);
    cloudevents(doc);
    text_rule(doc);
    webhook_kinds(doc);
}

/// A subscription's kinds: the known ones, or `*`.
fn webhook_kinds(doc: &mut Value) {
    let mut names: Vec<&str> = crate::wire::webhooks::OutKind::ALL.iter().map(|k| k.as_str()).collect();
    names.push(crate::wire::webhooks::ALL_KINDS);
    let kinds = doc
        .pointer_mut("/components/schemas/NewSubscription/properties/kinds")
        .expect("the OpenAPI document has NewSubscription.kinds");
    kinds["items"] = json!({"type": "string", "enum": names});
}

/// Text that holds something besides white space, without NUL, at most `max` characters.
fn not_blank(max: usize) -> Value {
    json!({"type": "string", "pattern": NO_NUL_NOT_BLANK, "maxLength": max})
}

/// One CloudEvent in structured mode as `cloudevents::parse_event` reads it; a batch is an
/// array of anything, each item standing or falling on its own (a refused item is answered
/// `rejected` in its place, never the whole batch).
fn cloudevents(doc: &mut Value) {
    let ws = "[\\t\\n\\r ]*";
    let event = json!({
        "type": "object",
        "description": "A CloudEvent 1.0 in structured JSON mode. It must say which customer it is about: `subject` (their id in the source system), or the extensions `customeremail`, `customerphone` or `casebookcustomer`.",
        "required": ["specversion", "id", "source", "type"],
        "properties": {
            "specversion": {"type": "string", "enum": ["1.0"]},
            "id": not_blank(256),
            "source": {"type": "string", "maxLength": 1024, "pattern": format!("^{ws}([^\\u0000]*[/:])?[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}[/:]*{ws}$"),
                "description": "A plain source name (`shop`) or a URI ending in one (`/acme/shop`, `urn:acme:shop`)."},
            "type": {"type": "string", "maxLength": 1024, "pattern": format!("^{ws}([^\\u0000]*\\.)?[A-Za-z0-9][A-Za-z0-9_-]{{0,63}}{ws}$"),
                "description": "Its last dot-separated part is the kind (`com.acme.shop.order_placed` → `order_placed`)."},
            "time": {"type": ["string", "null"], "format": "date-time"},
            "subject": {"type": ["string", "null"], "pattern": NO_NUL_NOT_BLANK, "maxLength": 256},
            "datacontenttype": {"type": ["string", "null"], "pattern": NO_NUL_NOT_BLANK},
            "dataschema": {"type": ["string", "null"], "pattern": NO_NUL_NOT_BLANK},
            "data_base64": {"type": "string", "description": "Binary data, base64; instead of `data`."},
            "data": {"description": "Any JSON value; its `title`, `body` and `actor` strings are what the timeline shows. No string or key in it may hold NUL."},
            "customeremail": {"type": "string", "pattern": format!("^{ws}[^@\\s\\u0000-\\u001f\\u007f-\\u009f]+@[^@.\\s\\u0000-\\u001f\\u007f-\\u009f]+(\\.[^@.\\s\\u0000-\\u001f\\u007f-\\u009f]+)+{ws}$"), "maxLength": 254},
            "customerphone": {"type": "string", "pattern": format!("^{ws}\\+?[0-9 ()./-]*([0-9][ ()./-]*){{5,20}}{ws}$")},
            "customername": not_blank(1000),
            "casebookcustomer": {"type": "string", "format": "uuid"},
            "casebookcase": {"type": "string", "format": "uuid"}
        },
        "propertyNames": {"pattern": "^([a-z0-9]{1,20}|data_base64)$"},
        "additionalProperties": {"type": ["string", "number", "boolean"], "pattern": NO_NUL},
        "not": {"required": ["data", "data_base64"]},
        "anyOf": (["subject", "customeremail", "customerphone", "casebookcustomer"]
            .map(|a| json!({"required": [a], "properties": {a: {"type": "string"}}})))
    });
    doc["components"]["schemas"]["CloudEvent"] = event;
    let content = doc
        .pointer_mut("/paths/~1api~1v1~1events/post/requestBody/content")
        .expect("the OpenAPI document has POST /api/v1/events");
    content["application/cloudevents+json"]["schema"] = json!({"$ref": "#/components/schemas/CloudEvent"});
    content["application/cloudevents-batch+json"]["schema"] = json!({"type": "array", "maxItems": crate::wire::cloudevents::MAX_BATCH_EVENTS,
        "items": {"description": "A CloudEvent (see `CloudEvent`); anything else is answered `rejected` in its place"}});
}

fn param_schema(doc: &mut Value, path: &str, name: &str, schema: Value) {
    let Some(ops) = doc.pointer_mut(&format!("/paths/{}", path.replace('~', "~0").replace('/', "~1"))) else {
        panic!("the OpenAPI document has no path {path}")
    };
    let mut found = false;
    for op in ops.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
        for p in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            if p["name"] == name && p["in"] == "query" {
                p["schema"] = schema.clone();
                found = true;
            }
        }
    }
    assert!(found, "the OpenAPI document has no query parameter {name} on {path}");
}

fn limit(max: u32) -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": max})
}

fn pattern(p: &str) -> Value {
    json!({"type": "string", "pattern": p})
}

fn cursor() -> Value {
    json!({"type": "string", "description": "Opaque: the `next_cursor` of the previous page, unchanged. Any other value is refused (400 `invalid-cursor`)."})
}

fn query_parameters(doc: &mut Value) {
    use crate::domain::case::{CaseStatus, Priority};
    use crate::domain::followup::FollowUpStatus;
    use crate::domain::sla::SlaState;
    use crate::store::queues::QueueSort;
    let names = |all: &[&str]| pattern(&list_of(all));
    let statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|s| s.as_str()).collect();
    let fu_statuses: Vec<&str> = FollowUpStatus::ALL.iter().map(|s| s.as_str()).collect();
    let one_of = |all: Vec<&str>| pattern(&format!("^ *({})? *$", all.join("|")));
    let optional_id = pattern(&format!("^ *({UUID})? *$"));
    let assignee = pattern(&format!("^ *(me|none|{UUID})? *$"));
    let name_list = pattern("^ *([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63})? *(, *([a-zA-Z0-9][a-zA-Z0-9_.-]{0,63})? *){0,19}$");
    let time =
        json!({"type": "string", "pattern": RFC3339, "description": "An RFC 3339 time, e.g. 2026-11-01T00:00:00Z."});

    let p = "/api/v1/customers";
    param_schema(doc, p, "q", json!({"type": "string", "maxLength": crate::domain::customer::MAX_QUERY_CHARS}));
    param_schema(doc, p, "limit", limit(100));
    param_schema(doc, p, "cursor", cursor());
    param_schema(doc, p, "ids", pattern(&format!("^ *({UUID} *(, *{UUID} *){{0,99}})?$")));

    param_schema(doc, "/api/v1/customers/{id}/duplicates", "limit", limit(50));
    param_schema(
        doc,
        "/api/v1/reviews",
        "case_ids",
        pattern(&format!("^ *({UUID} *(, *{UUID} *){{0,{}}})?$", crate::server::routes::reviews::MAX_CASE_IDS - 1)),
    );

    let language = pattern("^ *([a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*)? *$");
    let p = "/api/v1/articles";
    param_schema(doc, p, "q", json!({"type": "string", "maxLength": crate::domain::articles::MAX_QUERY_CHARS}));
    param_schema(doc, p, "language", language.clone());
    param_schema(doc, p, "limit", limit(100));
    param_schema(doc, p, "match", pattern("^ *(all|any)? *$"));
    let p = "/api/v1/cases/{id}/articles";
    param_schema(doc, p, "language", language);
    param_schema(doc, p, "limit", limit(20));

    for p in ["/api/v1/customers/{id}/timeline", "/api/v1/customers/{id}/timeline/rows"] {
        param_schema(doc, p, "limit", limit(200));
        param_schema(doc, p, "cursor", cursor());
        param_schema(doc, p, "source", name_list.clone());
        param_schema(doc, p, "kind", name_list.clone());
    }

    let p = "/api/v1/cases";
    param_schema(doc, p, "status", names(&statuses));
    param_schema(doc, p, "priority", names(&priorities));
    param_schema(doc, p, "assignee", assignee.clone());
    param_schema(doc, p, "customer_id", optional_id.clone());
    param_schema(doc, p, "limit", limit(200));
    param_schema(doc, p, "cursor", cursor());

    let p = "/api/v1/followups";
    param_schema(doc, p, "assignee", pattern(&format!("^ *(me|{UUID})? *$")));
    param_schema(doc, p, "status", names(&fu_statuses));
    param_schema(doc, p, "customer_id", optional_id.clone());
    param_schema(doc, p, "case_id", optional_id);
    param_schema(doc, p, "due_before", time.clone());
    param_schema(doc, p, "limit", limit(200));
    param_schema(doc, p, "cursor", cursor());

    let p = "/api/v1/queues/{id}/cases";
    param_schema(doc, p, "status", names(&statuses));
    param_schema(doc, p, "sla", one_of(SlaState::ALL.iter().map(|s| s.as_str()).collect()));
    param_schema(doc, p, "assignee", assignee);
    param_schema(doc, p, "sort", one_of(QueueSort::ALL.iter().map(|s| s.as_str()).collect()));
    param_schema(doc, p, "limit", limit(200));
    param_schema(doc, p, "cursor", cursor());

    let p = "/api/v1/reports/summary";
    param_schema(doc, p, "from", time.clone());
    param_schema(doc, p, "to", time.clone());
    let p = "/api/v1/reports/cases";
    param_schema(doc, p, "from", time.clone());
    param_schema(doc, p, "to", time);
    let figures: Vec<&str> = crate::wire::leads::ReportFigure::ALL.iter().map(|f| f.as_str()).collect();
    param_schema(doc, p, "figure", pattern(&format!("^ *({}) *$", figures.join("|"))));
    param_schema(doc, p, "agent", pattern(&format!("^ *(none|{UUID})? *$")));

    param_schema(doc, "/api/v1/reviews/mine", "limit", limit(200));

    let p = "/api/v1/sync/pull";
    param_schema(doc, p, "limit", limit(1000));
    param_schema(doc, p, "cursor", cursor());
}

fn schema_mut<'a>(doc: &'a mut Value, name: &str) -> &'a mut Map<String, Value> {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("the OpenAPI document has no schema {name}"))
}

fn property<'a>(doc: &'a mut Value, schema: &str, field: &str) -> &'a mut Value {
    schema_mut(doc, schema)
        .get_mut("properties")
        .and_then(|p| p.get_mut(field))
        .unwrap_or_else(|| panic!("the OpenAPI schema {schema} has no property {field}"))
}

/// Text fields with a length limit, as `domain::required_text` and `optional_text` count it
/// (characters, after trimming).
fn max_chars(doc: &mut Value, schema: &str, field: &str, max: usize) {
    let p = property(doc, schema, field);
    p["maxLength"] = json!(max);
}

fn request_bodies(doc: &mut Value) {
    use crate::domain::case::{MAX_NOTE_CHARS, MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS, MAX_WHYS, MAX_WHY_CHARS};
    use crate::domain::followup::MAX_FOLLOWUP_NOTE_CHARS;
    use crate::domain::rasa::MAX_STEP_NOTES_CHARS;

    max_chars(doc, "NewCaseRequest", "subject", MAX_SUBJECT_CHARS);
    max_chars(doc, "NewNoteRequest", "body", MAX_NOTE_CHARS);
    max_chars(doc, "RasaStepRequest", "notes", MAX_STEP_NOTES_CHARS);
    max_chars(doc, "NewFollowUpRequest", "note", MAX_FOLLOWUP_NOTE_CHARS);
    max_chars(doc, "PatchFollowUpRequest", "note", MAX_FOLLOWUP_NOTE_CHARS);
    max_chars(doc, "ResolutionInput", "rasa_incomplete_reason", MAX_SUMMARY_CHARS);
    {
        let s = property(doc, "ResolutionInput", "summary");
        *s = json!({"type": "string", "minLength": 1, "pattern": "\\S", "maxLength": MAX_SUMMARY_CHARS,
            "description": "What was done: not empty or only spaces."});
    }
    {
        let s = property(doc, "ResolutionInput", "root_cause");
        s["maxItems"] = json!(MAX_WHYS);
        s["items"]["maxLength"] = json!(MAX_WHY_CHARS);
        s["description"] = json!("The chain of whys, first to last; blank ones are left out.");
    }
    *property(doc, "ResolutionInput", "status") = json!({"type": ["string", "null"], "enum": ["resolved", "closed", null],
        "description": "`resolved` (the default) or `closed`."});
    *property(doc, "NewCaseRequest", "status") = json!({"type": ["string", "null"], "enum": ["new", "open", "pending", null],
        "description": "`new` (default), `open` or `pending`."});
    for field in ["queue", "team"] {
        let p = property(doc, "NewCaseRequest", field);
        p["pattern"] = json!("^ *[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63} *$");
    }
    property(doc, "PatchCaseRequest", "queue")["pattern"] = json!("^ *[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63} *$");
    // A follow-up belongs to a case or, without one, to a customer.
    schema_mut(doc, "NewFollowUpRequest").insert(
        "anyOf".into(),
        json!([
            {"required": ["case_id"], "properties": {"case_id": {"type": "string", "format": "uuid"}}},
            {"required": ["customer_id"], "properties": {"customer_id": {"type": "string", "format": "uuid"}}}
        ]),
    );
    {
        let teams = property(doc, "NewAgentRequest", "teams");
        teams["items"] = json!({"type": "string", "pattern": "^ *[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63} *$"});
        let name = property(doc, "NewAgentRequest", "name");
        name["pattern"] = json!("^ *[A-Za-z0-9._-]{1,64} *$");
    }
    property(doc, "NewIngestTokenRequest", "source")["pattern"] = json!(NAME);
    max_chars(doc, "NewReviewRequest", "coaching", crate::server::routes::reviews::MAX_COACHING_CHARS);
    // A schedule: an IANA zone by name, intervals as HH:MM-HH:MM (that each ends after it
    // starts and that a day's do not overlap is said in words: hooks.py draws ones that do).
    {
        let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
        *property(doc, "ScheduleSpec", "timezone") = json!({"type": "string", "enum": zones});
        let interval = json!({"type": "string",
            "pattern": "^ *([01][0-9]|2[0-3]):[0-5][0-9] *- *(([01][0-9]|2[0-3]):[0-5][0-9]|24:00) *$",
            "description": "HH:MM-HH:MM, ending after it starts (24:00 ends the day); a day's intervals do not overlap."});
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            property(doc, "WeekSpec", day)["items"] = interval.clone();
        }
    }
    {
        use crate::domain::articles::{MAX_BODY_BYTES, MAX_SUMMARY_CHARS, MAX_TAGS, MAX_TITLE_CHARS};
        *property(doc, "Article", "title") = not_blank(MAX_TITLE_CHARS);
        max_chars(doc, "Article", "summary", MAX_SUMMARY_CHARS);
        let body = property(doc, "Article", "body");
        body["maxLength"] = json!(MAX_BODY_BYTES / 4);
        body["description"] = json!("The article, Markdown: up to 200,000 bytes (UTF-8).");
        let tags = property(doc, "Article", "tags");
        tags["maxItems"] = json!(MAX_TAGS);
        tags["items"] = json!({"type": "string", "pattern": "^ *#*[a-zA-Z0-9][a-zA-Z0-9_.-]{0,31} *$"});
        property(doc, "Article", "language")["pattern"] = json!("^ *[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})* *$");
        property(doc, "Article", "url")["pattern"] =
            json!("^ *https?://[a-zA-Z0-9.-]{1,253}(/[^\\s\\u0000]{0,1700})? *$");
    }
    param_schema(doc, "/api/v1/hook-failures", "hook", json!({"type": "string", "pattern": NAME}));
    // A hook: a shipped mapping or one's own (a TOML text the server reads: see README.md), and
    // a name for it.
    property(doc, "PutHookRequest", "preset")["enum"] =
        json!(crate::integrations::mapping::PRESETS.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    schema_mut(doc, "PutHookRequest").insert(
        "oneOf".into(),
        json!([
            {"required": ["preset"], "properties": {"preset": {"type": "string"}}},
            {"required": ["mapping"], "properties": {"mapping": {"type": "string"}}}
        ]),
    );
    for p in doc
        .pointer_mut("/paths/~1api~1v1~1hooks~1{name}/put/parameters")
        .and_then(Value::as_array_mut)
        .expect("PUT /api/v1/hooks/{name} has parameters")
    {
        if p["name"] == "name" {
            p["schema"] = json!({"type": "string", "pattern": NAME});
        }
    }

    // Revisions and sequence numbers count from 1 (`domain::positive`).
    for (schema, field) in [
        ("BulkChange", "revision"),
        ("PatchCaseRequest", "revision"),
        ("ResolutionInput", "revision"),
        ("PatchFollowUpRequest", "revision"),
        ("Operation", "seq"),
    ] {
        property(doc, schema, field)["minimum"] = json!(1);
    }
    property(doc, "PushRequest", "operations")["maxItems"] = json!(crate::server::routes::sync::MAX_PUSH_OPERATIONS);
    *property(doc, "Operation", "payload") = json!({"description": "The operation's fields, as the `*Payload` schema of its kind says. An operation whose payload does not fit is answered `rejected` in its place; the others go on."});
    // One token, or every token of one agent.
    schema_mut(doc, "RevokeRequest").insert(
        "oneOf".into(),
        json!([
            {"required": ["token"], "properties": {"token": {"type": "string"}}},
            {"required": ["agent_id"], "properties": {"agent_id": {"type": "string"}}}
        ]),
    );
}

/// Every free-text string the server reads refuses NUL: say so on each one that has no
/// stricter pattern of its own.
fn text_rule(doc: &mut Value) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let is_string = match map.get("type") {
                    Some(Value::String(t)) => t == "string",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                    _ => false,
                };
                if is_string && !map.contains_key("format") && !map.contains_key("enum") {
                    match map.get("pattern").and_then(Value::as_str) {
                        None => {
                            map.insert("pattern".into(), json!(NO_NUL));
                        }
                        Some("\\S") => {
                            map.insert("pattern".into(), json!(NO_NUL_NOT_BLANK));
                        }
                        Some(_) => {}
                    }
                }
                for x in map.values_mut() {
                    walk(x);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        walk(paths);
    }
    // Problem documents may quote what was sent, NUL and all: the rule is for what is read. A
    // pushed operation is answered in its place whatever it holds (an unknown kind, NUL in its
    // payload: `rejected`, and the device's later operations go on), so it takes any text.
    for (name, schema) in doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut).into_iter().flatten() {
        if !matches!(name.as_str(), "Problem" | "FieldError" | "Operation") {
            walk(schema);
        }
    }
}
