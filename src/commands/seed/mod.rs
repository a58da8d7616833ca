//! Realistic, deterministic demo data (`casebook seed`): customers known to several systems,
//! events from nine sources, cases in every status with RASA notes, resolutions and
//! follow-ups, and a team of agents with a lead and an admin. Each case is one of the stories
//! in `stories.toml`: the events that led to it are on the customer's timeline, its notes, root
//! cause and follow-up belong to it, and a waiting case's SLA clock stands where a support day
//! would have it right after seeding (most on time, some at risk, a few breached).
//!
//! The same seed and anchor time give the same rows, ids included; customer `i` depends only
//! on the seed and `i`, so a smaller run is a prefix of a larger one.

use chrono::{Duration, Timelike};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::agent::{Agent, Role};
use crate::domain::case::{
    default_sla, Case, CaseStatus, Channel, Note, NoteVisibility, Outcome, Priority, Resolution,
};
use crate::domain::customer::Identity;
use crate::domain::event::title_from_kind;
use crate::domain::followup::{FollowUp, FollowUpStatus};
use crate::domain::rasa::{RasaStep, StepEntry};
use crate::domain::time::{from_micros, to_micros, Timestamp};
use crate::store::changes::{record_change, Entity};
use crate::store::customers::NewCustomer;
use crate::store::events::NewEvent;
use crate::store::{Result, Store, StoreError};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub customers: usize,
    pub events_per_customer: usize,
    pub seed: u64,
    /// "Now" for the data: events lie before it, open cases and follow-ups around it.
    pub anchor: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub customers: usize,
    pub events: usize,
    pub cases: usize,
    pub followups: usize,
    pub agents: Vec<Agent>,
}

/// The seeded team: (name, role, teams).
const TEAM: &[(&str, Role, &[&str])] = &[
    ("anna", Role::Agent, &["support"]),
    ("bruno", Role::Agent, &["support"]),
    ("chiara", Role::Agent, &["support", "billing"]),
    ("dmitri", Role::Agent, &["billing"]),
    ("eszter", Role::Agent, &["support"]),
    ("lena", Role::Lead, &["support", "billing"]),
    ("admin", Role::Admin, &["support", "billing"]),
];

/// (display form, ASCII form for emails).
const FIRST: &[(&str, &str)] = &[
    ("Anna", "anna"),
    ("Marco", "marco"),
    ("Giulia", "giulia"),
    ("Luca", "luca"),
    ("Sofia", "sofia"),
    ("László", "laszlo"),
    ("Zsófia", "zsofia"),
    ("Bence", "bence"),
    ("Réka", "reka"),
    ("Dávid", "david"),
    ("Emma", "emma"),
    ("Noah", "noah"),
    ("Olivia", "olivia"),
    ("Liam", "liam"),
    ("Mia", "mia"),
    ("José", "jose"),
    ("Lucía", "lucia"),
    ("Mateo", "mateo"),
    ("Chloé", "chloe"),
    ("Louis", "louis"),
    ("Aiko", "aiko"),
    ("Haruto", "haruto"),
    ("Priya", "priya"),
    ("Arjun", "arjun"),
    ("Fatima", "fatima"),
    ("Omar", "omar"),
    ("Ingrid", "ingrid"),
    ("Lars", "lars"),
    ("Zoë", "zoe"),
    ("Kwame", "kwame"),
];
const LAST: &[(&str, &str)] = &[
    ("Rossi", "rossi"),
    ("Bianchi", "bianchi"),
    ("Ferrari", "ferrari"),
    ("Esposito", "esposito"),
    ("Nagy", "nagy"),
    ("Kovács", "kovacs"),
    ("Szabó", "szabo"),
    ("Tóth", "toth"),
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("García", "garcia"),
    ("Martínez", "martinez"),
    ("Dubois", "dubois"),
    ("Müller", "muller"),
    ("Schmidt", "schmidt"),
    ("Yamada", "yamada"),
    ("Sato", "sato"),
    ("Sharma", "sharma"),
    ("Haddad", "haddad"),
    ("Larsen", "larsen"),
    ("Mensah", "mensah"),
    ("O'Brien", "obrien"),
    ("Nowak", "nowak"),
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example", "post.example"];
const PRODUCTS: &[(&str, f64)] = &[
    ("Trail running shoes", 129.0),
    ("Rain jacket", 89.5),
    ("Espresso machine", 349.0),
    ("Wool socks (3-pack)", 19.9),
    ("Noise-cancelling headphones", 249.0),
    ("Yoga mat", 35.0),
    ("Smart thermostat", 199.0),
    ("Backpack 30L", 79.0),
    ("Cast-iron pan", 45.0),
    ("Desk lamp", 59.0),
];
const NPS_COMMENTS: &[(u8, &str)] = &[
    (10, "Fantastic service, the agent went out of their way."),
    (9, "Quick delivery and friendly support."),
    (8, "Good overall, the app could be faster."),
    (7, "Fine, nothing special."),
    (6, "Took three contacts to get my refund."),
    (3, "Nobody called me back as promised."),
    (1, "Charged twice and still waiting."),
];
const PLATFORMS: &[&str] = &["ios", "android", "web"];
const SUBJECTS: &[&str] = &[
    "Parcel marked delivered but not received",
    "Charged twice for one order",
    "Cannot log in after password reset",
    "Refund not received after return",
    "Wrong size delivered",
    "Subscription renewed unexpectedly",
    "App crashes when opening orders",
    "Invoice needs company VAT number",
    "Damaged item on arrival",
    "Question about warranty",
];

/// The demo's cases as stories (`stories.toml`): the events that led to each, what the
/// customer said, what the agent found, how it ended.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Story {
    subject: String,
    team: String,
    lead_up: Vec<LeadUp>,
    receive: String,
    appreciate: String,
    summarize: String,
    ask: String,
    note: String,
    resolution: String,
    why: Vec<String>,
    followup: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadUp {
    source: String,
    kind: String,
    title: String,
    /// How long before the case opened.
    hours: i64,
}

fn stories() -> &'static [Story] {
    #[derive(serde::Deserialize)]
    struct File {
        story: Vec<Story>,
    }
    static STORIES: std::sync::OnceLock<Vec<Story>> = std::sync::OnceLock::new();
    STORIES.get_or_init(|| {
        toml::from_str::<File>(include_str!("stories.toml")).expect("the demo's stories read (a test checks)").story
    })
}

/// The demo team's knowledge base (`articles/*.md`): (file name, text).
const DEMO_ARTICLES: &[(&str, &str)] = &[
    ("card-declined", include_str!("articles/card-declined.md")),
    ("charged-twice", include_str!("articles/charged-twice.md")),
    ("damaged-item", include_str!("articles/damaged-item.md")),
    ("jelszo", include_str!("articles/jelszo.md")),
    ("parcel-stuck", include_str!("articles/parcel-stuck.md")),
    ("password-reset", include_str!("articles/password-reset.md")),
    ("refunds", include_str!("articles/refunds.md")),
    ("rimborso", include_str!("articles/rimborso.md")),
    ("warranty", include_str!("articles/warranty.md")),
];

fn demo_articles() -> Vec<crate::domain::articles::Article> {
    DEMO_ARTICLES
        .iter()
        .map(|(slug, text)| {
            crate::domain::articles::parse_markdown(slug, text).expect("the demo's articles read (a test checks)")
        })
        .collect()
}

/// The demo team's macros (`macros.toml`).
fn demo_macros() -> Vec<crate::domain::macros::Macro> {
    crate::domain::macros::parse_file(include_str!("macros.toml")).expect("the demo's macros read (a test checks)")
}

/// A story's text for one customer: `{order}`, `{product}`, `{amount}` filled in.
fn fill(text: &str, order: usize, product: &str, amount: f64) -> String {
    text.replace("{order}", &order.to_string())
        .replace("{product}", product)
        .replace("{amount}", &format!("{amount:.2}"))
}

/// How far into its SLA window a waiting case is right after seeding: seven in ten on time,
/// two at risk, one breached (a share of the window).
fn sla_share(rng: &mut ChaCha8Rng) -> f64 {
    match rng.gen_range(0..10) {
        0 => rng.gen_range(1.15..1.6),
        1 | 2 => rng.gen_range(0.78..0.95),
        _ => rng.gen_range(0.1..0.6),
    }
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(stream))
}

/// A UUIDv7 for time `t` with random bits from `rng`: deterministic, and ordered like real ids.
fn id_at(rng: &mut ChaCha8Rng, t: Timestamp) -> Uuid {
    let mut bytes = [0u8; 10];
    rng.fill(&mut bytes);
    uuid::Builder::from_unix_timestamp_millis(t.timestamp_millis().max(0) as u64, &bytes).into_uuid()
}

fn agents(opts: &SeedOptions) -> Vec<Agent> {
    let mut rng = rng_for(opts.seed, u64::MAX);
    let created = opts.anchor - Duration::days(400);
    TEAM.iter()
        .map(|(name, role, teams)| Agent {
            id: id_at(&mut rng, created),
            name: name.to_string(),
            role: *role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
            created_at: created,
        })
        .collect()
}

/// Everything generated for one customer.
struct CustomerData {
    customer: NewCustomer,
    events: Vec<NewEvent>,
    cases: Vec<Case>,
    notes: Vec<Note>,
    rasa: Vec<(Uuid, Uuid, StepEntry)>,
    followups: Vec<FollowUp>,
}

fn event(
    rng: &mut ChaCha8Rng,
    customer_id: Uuid,
    source: &str,
    source_event_id: String,
    kind: &str,
    at: Timestamp,
    data: Value,
) -> NewEvent {
    let title = data.get("title").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| title_from_kind(kind));
    let body = data.get("body").and_then(Value::as_str).map(str::to_string);
    let actor = data.get("actor").and_then(Value::as_str).map(str::to_string);
    NewEvent {
        id: id_at(rng, at),
        customer_id,
        source: source.into(),
        source_event_id,
        kind: kind.into(),
        ce_type: format!("com.example.{source}.{kind}"),
        occurred_at: at,
        title,
        body,
        actor,
        data,
        extensions: Default::default(),
        case_id: None,
        ingested_at: at,
    }
}

/// One source event of a random kind, with data as the source system would send it.
fn source_event(
    rng: &mut ChaCha8Rng,
    c: &NewCustomer,
    idx: usize,
    n: usize,
    at: Timestamp,
    agents: &[Agent],
) -> NewEvent {
    let roll = rng.gen_range(0..100);
    let sid = |s: &str| format!("{s}-{}-{n}", idx);
    let order_no = 100_000 + idx * 97 + n;
    match roll {
        0..=17 => {
            let (product, price) = *PRODUCTS.choose(rng).expect("products");
            let qty = rng.gen_range(1..=3);
            let kind =
                *["order_placed", "order_placed", "order_shipped", "order_delivered"].choose(rng).expect("kinds");
            let title = match kind {
                "order_placed" => format!("Order #{order_no} placed: {product} ×{qty}, €{:.2}", price * qty as f64),
                "order_shipped" => format!("Order #{order_no} shipped"),
                _ => format!("Order #{order_no} delivered"),
            };
            event(
                rng,
                c.id,
                "shop",
                sid("shop"),
                kind,
                at,
                json!({
                    "title": title, "order": order_no, "product": product, "quantity": qty, "total": price * qty as f64, "currency": "EUR"
                }),
            )
        }
        18..=22 => {
            let kind = *["return_requested", "refund_issued"].choose(rng).expect("kinds");
            let reason =
                *["wrong size", "damaged on arrival", "changed my mind", "late delivery"].choose(rng).expect("reasons");
            event(
                rng,
                c.id,
                "shop",
                sid("shop"),
                kind,
                at,
                json!({
                    "title": format!("{} for order #{order_no}", title_from_kind(kind)), "order": order_no, "reason": reason
                }),
            )
        }
        23..=34 => {
            let amount = rng.gen_range(900..25_000) as f64 / 100.0;
            let kind =
                *["invoice_issued", "payment_succeeded", "payment_succeeded", "payment_failed", "subscription_renewed"]
                    .choose(rng)
                    .expect("kinds");
            let title = match kind {
                "payment_failed" => format!("Payment of €{amount:.2} failed: card declined"),
                "payment_succeeded" => format!("Payment of €{amount:.2} received"),
                "invoice_issued" => format!("Invoice INV-{order_no} issued, €{amount:.2}"),
                _ => format!("Subscription renewed, €{amount:.2}"),
            };
            event(
                rng,
                c.id,
                "billing",
                sid("billing"),
                kind,
                at,
                json!({"title": title, "amount": amount, "currency": "EUR"}),
            )
        }
        35..=46 => {
            let kind = *["ticket_opened", "message_in", "message_out", "ticket_closed"].choose(rng).expect("kinds");
            let subject = *SUBJECTS.choose(rng).expect("subjects");
            let body = match kind {
                "message_in" => Some(format!("Hello, {}. Can you help?", subject.to_lowercase())),
                "message_out" => Some("Thanks for reaching out, we are looking into it.".to_string()),
                _ => None,
            };
            event(
                rng,
                c.id,
                "helpdesk",
                sid("helpdesk"),
                kind,
                at,
                json!({
                    "title": format!("Ticket T-{order_no}: {subject}"), "body": body, "ticket": format!("T-{order_no}"),
                    "actor": if kind == "message_in" { c.display_name.clone() } else { agents[n % agents.len()].name.clone() }
                }),
            )
        }
        47..=56 => {
            let secs = rng.gen_range(40..1500);
            let dir = if rng.gen_bool(0.8) { "Inbound" } else { "Outbound" };
            event(
                rng,
                c.id,
                "phone",
                sid("phone"),
                "call_ended",
                at,
                json!({
                    "title": format!("{dir} call, {}m {:02}s", secs / 60, secs % 60), "duration_seconds": secs, "direction": dir.to_lowercase(),
                    "actor": agents[n % agents.len()].name
                }),
            )
        }
        57..=64 => {
            let kind = *["chat_started", "message_in", "chat_ended"].choose(rng).expect("kinds");
            event(
                rng,
                c.id,
                "chat",
                sid("chat"),
                kind,
                at,
                json!({
                    "title": match kind { "message_in" => "Chat message", "chat_started" => "Chat started on the website", _ => "Chat ended" },
                    "body": if kind == "message_in" { Some("Is my order on its way? 📦") } else { None }
                }),
            )
        }
        65..=70 => {
            let kind = *["email_in", "email_out"].choose(rng).expect("kinds");
            event(
                rng,
                c.id,
                "email",
                sid("email"),
                kind,
                at,
                json!({
                    "title": if kind == "email_in" { "Email: Question about my invoice" } else { "Email: Your invoice, corrected" },
                    "body": "Full message in the mail archive."
                }),
            )
        }
        71..=78 => {
            if rng.gen_bool(0.5) {
                let (score, comment) = *NPS_COMMENTS.choose(rng).expect("comments");
                event(
                    rng,
                    c.id,
                    "survey",
                    sid("survey"),
                    "nps_response",
                    at,
                    json!({
                        "title": format!("NPS {score}/10"), "score": score, "body": comment, "survey": "quarterly-nps"
                    }),
                )
            } else {
                let score = *[1, 2, 3, 4, 4, 5, 5, 5].choose(rng).expect("scores");
                event(
                    rng,
                    c.id,
                    "survey",
                    sid("survey"),
                    "csat_response",
                    at,
                    json!({
                        "title": format!("CSAT {score}/5 after support contact"), "score": score
                    }),
                )
            }
        }
        _ => {
            let kind =
                *["login", "feature_used", "feature_used", "error_shown", "plan_changed"].choose(rng).expect("kinds");
            let title = match kind {
                "login" => "Signed in to the app".to_string(),
                "feature_used" => format!(
                    "Used {}",
                    ["order tracking", "wish list", "returns portal", "saved cards"].choose(rng).expect("f")
                ),
                "error_shown" => "Error E-502 shown on checkout".to_string(),
                _ => "Plan changed to Plus".to_string(),
            };
            let platform = PLATFORMS.choose(rng).copied();
            event(rng, c.id, "product", sid("product"), kind, at, json!({"title": title, "platform": platform}))
        }
    }
}

fn customer_data(opts: &SeedOptions, idx: usize, agents: &[Agent]) -> CustomerData {
    let mut rng = rng_for(opts.seed, idx as u64);
    let (first, first_ascii) = *FIRST.choose(&mut rng).expect("names");
    let (last, last_ascii) = *LAST.choose(&mut rng).expect("names");
    let display_name = format!("{first} {last}");
    let email = format!("{first_ascii}.{last_ascii}{idx}@{}", DOMAINS[idx % DOMAINS.len()]);
    let phone = match idx % 4 {
        0 => format!("+39 3{:02} {:07}", rng.gen_range(20..99), idx % 10_000_000),
        1 => format!("+36 30 {:07}", idx % 10_000_000),
        2 => format!("+44 7{:03} {:06}", rng.gen_range(100..999), idx % 1_000_000),
        _ => format!("+1 415 {:07}", idx % 10_000_000),
    };
    let created = opts.anchor - Duration::days(rng.gen_range(200..900));
    let customer_id = id_at(&mut rng, created);
    let identities = vec![
        Identity::email(email),
        Identity::phone(crate::domain::customer::normalize_phone(&phone).expect("generated phones are valid")),
        Identity::external("shop", &format!("C-{}", 10_000 + idx)),
        Identity::external("billing", &format!("ACCT-{:06}", 500_000 + idx * 7)),
        Identity::external("helpdesk", &format!("U{}", 70_000 + idx)),
    ];
    let tier = ["standard", "standard", "standard", "plus", "premium"].choose(&mut rng).map(|s| s.to_string());
    let mut tags = Vec::new();
    if rng.gen_bool(0.08) {
        tags.push("vip".to_string());
    }
    if rng.gen_bool(0.1) {
        tags.push("churn-risk".to_string());
    }
    if idx % 11 == 0 {
        tags.push("b2b".to_string());
    }
    let customer = NewCustomer { id: customer_id, display_name, tier, tags, identities, created_at: created };

    // Source events, spread over the last 540 days.
    let span = 540 * 24 * 3600;
    let mut events: Vec<NewEvent> = (0..opts.events_per_customer)
        .map(|n| {
            let at = opts.anchor - Duration::seconds(rng.gen_range(60..span));
            source_event(&mut rng, &customer, idx, n, at, agents)
        })
        .collect();

    // One case for every third customer, statuses in turn so that every status appears.
    let mut cases = Vec::new();
    let mut notes = Vec::new();
    let mut rasa = Vec::new();
    let mut followups = Vec::new();
    if idx % 3 == 0 {
        let story = &stories()[(idx / 3) % stories().len()];
        // Worked by someone of the story's team.
        let workers: Vec<&Agent> = agents.iter().filter(|a| a.role != Role::Admin && a.in_team(&story.team)).collect();
        let status = CaseStatus::ALL[(idx / 3) % CaseStatus::ALL.len()];
        // Priorities and SLA standing vary independently of the status.
        let k = idx / 3;
        let priority =
            [Priority::Low, Priority::Normal, Priority::Normal, Priority::High, Priority::Urgent][(k + k / 5) % 5];
        let channel = [Channel::Phone, Channel::Chat, Channel::Email, Channel::Phone][idx % 4];
        let assignee = workers[(idx / 3) % workers.len()];
        let (product, price) = PRODUCTS[idx % PRODUCTS.len()];
        let order_no = 200_000 + idx * 13;
        let fill = |t: &str| fill(t, order_no, product, price);
        let (first_due, resolve_due) = default_sla(priority);
        // Waiting cases opened so that their clocks stand where the demo wants them (now is
        // the anchor); the others within the last two weeks.
        let active = status.is_active();
        let opened = if active {
            let share = sla_share(&mut rng);
            let window = if status == CaseStatus::New { first_due } else { resolve_due };
            let elapsed = Duration::seconds((window.num_seconds() as f64 * share) as i64);
            // Taken up (open, pending) in time: opened at least that long ago.
            let taken_up = if status == CaseStatus::New { Duration::zero() } else { first_due * 3 / 4 };
            opts.anchor - elapsed.max(taken_up + Duration::minutes(1))
        } else {
            opts.anchor - Duration::minutes(rng.gen_range(60..(14 * 24 * 60)))
        };
        let case_id = id_at(&mut rng, opened);
        let subject = fill(&story.subject);
        for (n, l) in story.lead_up.iter().enumerate() {
            let at = opened - Duration::hours(l.hours) - Duration::minutes(rng.gen_range(0..50));
            let data = json!({"title": fill(&l.title), "order": order_no, "product": product, "amount": price});
            events.push(event(&mut rng, customer_id, &l.source, format!("story-{idx}-{n}"), &l.kind, at, data));
        }
        let done_steps = match status {
            CaseStatus::New => 0,
            CaseStatus::Open => 2,
            CaseStatus::Pending => 3,
            _ => {
                if idx % 7 == 0 {
                    3
                } else {
                    4
                }
            }
        };
        let step_notes = [fill(&story.receive), fill(&story.appreciate), fill(&story.summarize), fill(&story.ask)];
        for (i, step) in RasaStep::ALL.iter().enumerate().take(done_steps) {
            let at = opened + Duration::minutes(i as i64 + 1);
            rasa.push((
                id_at(&mut rng, at),
                case_id,
                StepEntry { step: *step, notes: step_notes[i].clone(), done: true, author_id: assignee.id, at },
            ));
        }
        let note_at = opened + Duration::minutes(6);
        if status != CaseStatus::New {
            notes.push(Note {
                id: id_at(&mut rng, note_at),
                case_id,
                author_id: assignee.id,
                body: fill(&story.note),
                visibility: NoteVisibility::Internal,
                created_at: note_at,
            });
        }
        let resolved = matches!(status, CaseStatus::Resolved | CaseStatus::Closed);
        let outcome = Outcome::ALL[(idx / 15) % Outcome::ALL.len()];
        let resolved_at = opened + Duration::minutes(rng.gen_range(10..240)).min(opts.anchor - opened);
        let resolution = resolved.then(|| Resolution {
            summary: fill(&story.resolution),
            root_cause: story.why.iter().map(|w| fill(w)).collect(),
            outcome,
            rasa_incomplete_reason: (done_steps < 4).then(|| "Customer had to leave the call early".to_string()),
            resolved_by: assignee.id,
            resolved_at,
        });
        let updated = if resolved { resolved_at } else { note_at.min(opts.anchor) };
        // Closed cases were taken up between a quarter and 1.25 times the first-response window
        // (one in five missed it); waiting ones within three quarters of it.
        let first_response = (status != CaseStatus::New).then(|| {
            let share = if active { 3 } else { idx % 5 + 1 };
            let at = (opened + first_due * share as i32 / 4).min(opts.anchor);
            if resolved {
                at.min(resolved_at)
            } else {
                at
            }
        });
        let case = Case {
            id: case_id,
            customer_id,
            subject: subject.clone(),
            channel,
            status,
            priority,
            queue: if story.team == "billing" { "billing".into() } else { "general".into() },
            team: story.team.clone(),
            assignee_id: if status == CaseStatus::New && idx % 2 == 0 { None } else { Some(assignee.id) },
            first_response_due: Some(opened + first_due),
            resolution_due: Some(opened + resolve_due),
            revision: 1 + done_steps as i64 + i64::from(resolved),
            created_by: assignee.id,
            created_at: opened,
            updated_at: updated,
            resolution,
            first_response_at: first_response,
            tags: vec![],
        };
        let mut activity = |kind: &str, at: Timestamp, title: String, body: Option<String>| {
            let mut e = event(&mut rng, customer_id, "casebook", format!("{case_id}:{kind}"), kind, at, json!({}));
            e.title = title;
            e.body = body;
            e.actor = Some(assignee.name.clone());
            e.case_id = Some(case_id);
            e.ce_type = format!("dev.casebook.{kind}");
            e
        };
        events.push(activity("case_opened", opened, format!("Case opened: {subject}"), None));
        if let Some(r) = &case.resolution {
            events.push(activity(
                "case_resolved",
                r.resolved_at,
                format!("Case resolved ({}): {subject}", r.outcome),
                Some(r.summary.clone()),
            ));
            if matches!(r.outcome, Outcome::Negative | Outcome::Forgettable) {
                let due = r.resolved_at + Duration::minutes(10);
                // Follow-ups done on time, done late, and still open (overdue or upcoming).
                let (fstatus, done_at) = match idx % 4 {
                    0 => (FollowUpStatus::Done, Some(due - Duration::minutes(2))),
                    1 => (FollowUpStatus::Done, Some(due + Duration::hours(5))),
                    _ => (FollowUpStatus::Open, None),
                };
                followups.push(FollowUp {
                    id: id_at(&mut rng, r.resolved_at),
                    customer_id,
                    case_id: Some(case_id),
                    assignee_id: assignee.id,
                    due_at: due,
                    channel: Channel::Phone,
                    note: fill(&story.followup),
                    status: fstatus,
                    revision: if done_at.is_some() { 2 } else { 1 },
                    created_by: assignee.id,
                    created_at: r.resolved_at,
                    updated_at: done_at.unwrap_or(r.resolved_at),
                    done_at,
                });
            }
        }
        cases.push(case);
    }
    CustomerData { customer, events, cases, notes, rasa, followups }
}

/// Customers written per transaction.
const CUSTOMERS_PER_BATCH: usize = 100;

/// Writes the seeded agents (if missing) and `opts.customers` customers with their data.
/// Running it again with the same options adds nothing twice: events are unique per source
/// id, and customers already present are skipped.
pub async fn seed(store: &Store, opts: &SeedOptions, mut progress: impl FnMut(usize)) -> Result<SeedReport> {
    let team = agents(opts);
    let mut report = SeedReport::default();
    {
        let mut tx = store.begin_write().await?;
        for a in &team {
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM agents WHERE name = $1")
                .bind(a.name.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                crate::store::agents::insert_agent_row(&mut tx, a).await?;
            }
        }
        tx.commit().await?;
    }
    // The queues the cases land in, and the SLA policies (the built-in ones, stored).
    for (id, name, team) in [("general", "General", "support"), ("billing", "Billing", "billing")] {
        use crate::domain::case::CaseStatus::*;
        let queue = crate::store::queues::Queue {
            id: id.into(),
            name: name.into(),
            team: team.into(),
            statuses: vec![New, Open, Pending],
            sort: crate::store::queues::QueueSort::Due,
        };
        store.put_queue(&queue).await?;
    }
    for p in crate::domain::case::Priority::ALL {
        store.set_sla_policy(crate::domain::sla::SlaPolicy::default_for(*p)).await?;
    }
    // The team's macros (a database seeded before keeps any it has of the same name changed).
    for m in demo_macros() {
        store.put_macro(&m).await.map_err(|e| StoreError::Corrupt(format!("demo macro {}: {e}", m.name)))?;
    }
    // The knowledge base (replacing articles of the same slug).
    for a in demo_articles() {
        let slug = a.slug.clone();
        store.put_article(a).await.map_err(|e| StoreError::Corrupt(format!("demo article {slug}: {e}")))?;
    }
    // Use the agents as stored (a database seeded before keeps its ids).
    for a in &team {
        report.agents.push(
            store
                .agent_by_name(&a.name)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("agent {} vanished", a.name)))?,
        );
    }
    let workers = report.agents.clone();
    let mut start = 0;
    while start < opts.customers {
        let end = (start + CUSTOMERS_PER_BATCH).min(opts.customers);
        let batch: Vec<CustomerData> = (start..end).map(|i| customer_data(opts, i, &workers)).collect();
        let ids: Vec<Uuid> = batch.iter().map(|d| d.customer.id).collect();
        let existing = store.customers_by_ids(&ids).await?;
        let fresh: Vec<&CustomerData> =
            batch.iter().filter(|d| !existing.iter().any(|c| c.id == d.customer.id)).collect();
        let mut tx = store.begin_write().await?;
        let customers: Vec<NewCustomer> = fresh.iter().map(|d| d.customer.clone()).collect();
        crate::store::customers::insert_customers(&mut tx, &customers).await?;
        let events: Vec<NewEvent> = fresh.iter().flat_map(|d| d.events.iter().cloned()).collect();
        report.events += crate::store::events::insert_events(&mut tx, &events).await?.len();
        // Case work goes into the change feed too, so that a console starting from an empty
        // copy pulls it.
        for d in &fresh {
            let customer = Some(d.customer.id);
            for c in &d.cases {
                crate::store::cases::insert_case_row(&mut tx, c).await?;
                record_change(&mut tx, Entity::Case, c.id, Some(c.id), customer, c).await?;
            }
            for n in &d.notes {
                crate::store::cases::insert_note_row(&mut tx, n).await?;
                record_change(&mut tx, Entity::Note, n.id, Some(n.case_id), customer, n).await?;
            }
            for (id, case_id, e) in &d.rasa {
                crate::store::cases::insert_rasa_row(&mut tx, *id, *case_id, e).await?;
                let body = crate::store::cases::rasa_entry_body(*id, *case_id, e);
                record_change(&mut tx, Entity::RasaEntry, *id, Some(*case_id), customer, &body).await?;
            }
            for f in &d.followups {
                crate::store::followups::insert_followup_row(&mut tx, f).await?;
                record_change(&mut tx, Entity::Followup, f.id, f.case_id, customer, f).await?;
            }
            report.cases += d.cases.len();
            report.followups += d.followups.len();
        }
        tx.commit().await?;
        report.customers += fresh.len();
        progress(end);
        start = end;
    }
    // The billing team's office hours: its waiting cases' clocks count only them from now on.
    let hours = demo_schedule();
    store.put_schedule(&hours).await.map_err(|e| StoreError::Corrupt(format!("demo schedule: {e}")))?;
    store
        .assign_schedule(crate::store::schedules::Scope::Team, "billing", Some(&hours.name))
        .await
        .map_err(|e| StoreError::Corrupt(format!("demo schedule: {e}")))?;
    Ok(report)
}

/// The billing team's office hours (`billing-hours.toml`).
fn demo_schedule() -> crate::domain::schedule::ScheduleSpec {
    toml::from_str(include_str!("billing-hours.toml")).expect("the demo's schedule reads (a test checks)")
}

/// The default anchor: now, to the minute.
pub fn default_anchor() -> Timestamp {
    let now = crate::domain::time::now();
    from_micros(to_micros(now.with_second(0).unwrap_or(now).with_nanosecond(0).unwrap_or(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(n: usize) -> SeedOptions {
        SeedOptions {
            customers: n,
            events_per_customer: 30,
            seed: 7,
            anchor: crate::domain::time::parse_rfc3339("2026-01-15T12:00:00Z").unwrap(),
        }
    }

    #[test]
    fn the_demo_schedule_reads() {
        let spec = demo_schedule();
        let hours = spec.schedule().unwrap();
        assert_eq!(hours.name, "billing-hours");
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        let a = agents(&opts(3));
        let x = customer_data(&opts(3), 2, &a);
        let y = customer_data(&opts(300), 2, &a);
        assert_eq!(x.customer.id, y.customer.id);
        assert_eq!(x.customer.display_name, y.customer.display_name);
        assert_eq!(
            x.events.iter().map(|e| e.id).collect::<Vec<_>>(),
            y.events.iter().map(|e| e.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_demo_tells_stories_whose_parts_belong_together() {
        // Every story reads, names a known team, and leaves no placeholder unfilled.
        assert!(stories().len() >= 12);
        let o = opts(200);
        let a = agents(&o);
        let data: Vec<CustomerData> = (0..200).map(|i| customer_data(&o, i, &a)).collect();
        let cases: Vec<(&CustomerData, &Case)> =
            data.iter().flat_map(|d| d.cases.iter().map(move |c| (d, c))).collect();
        let mut subjects: Vec<&str> = cases.iter().map(|(_, c)| c.subject.as_str()).collect();
        subjects.sort();
        subjects.dedup();
        assert!(subjects.len() * 2 >= cases.len(), "{} distinct subjects of {} cases", subjects.len(), cases.len());
        for (d, c) in &cases {
            assert!(!c.subject.contains('{'), "{}", c.subject);
            assert!(["support", "billing"].contains(&c.team.as_str()));
            // Its assignee is in its team.
            let who = a.iter().find(|x| Some(x.id) == c.assignee_id);
            assert!(who.is_none_or(|w| w.in_team(&c.team)), "{} for {:?}", c.team, who.map(|w| &w.name));
            // The note and the timeline before it tell the same story.
            for n in d.notes.iter().filter(|n| n.case_id == c.id) {
                assert!(!n.body.contains('{'), "{}", n.body);
            }
            let before: Vec<&NewEvent> = d
                .events
                .iter()
                .filter(|e| e.source_event_id.starts_with("story-") && e.occurred_at < c.created_at)
                .collect();
            assert!(!before.is_empty(), "the events that led to “{}” are on the timeline", c.subject);
        }
        // A billing story has billing events before it: a declined card before the case about it.
        let (d, c) = cases.iter().find(|(_, c)| c.subject.starts_with("Card declined")).unwrap();
        assert!(d.events.iter().any(|e| e.kind == "payment_failed" && e.occurred_at < c.created_at));
        // Right after seeding, most waiting cases are on time, some at risk, a few breached.
        let now = o.anchor;
        let waiting: Vec<&Case> = cases.iter().map(|(_, c)| *c).filter(|c| c.status.is_active()).collect();
        let count = |s: crate::domain::sla::SlaState| {
            waiting.iter().filter(|c| crate::domain::sla::sla_state(c, now) == s).count()
        };
        let (ok, risk, late) = (
            count(crate::domain::sla::SlaState::Ok),
            count(crate::domain::sla::SlaState::AtRisk),
            count(crate::domain::sla::SlaState::Breached),
        );
        eprintln!("waiting cases right after seeding: {ok} on time, {risk} at risk, {late} breached; {} distinct subjects of {} cases", subjects.len(), cases.len());
        assert!(
            ok > risk + late && risk > 0 && late > 0 && late <= waiting.len() / 5,
            "ok {ok}, at risk {risk}, breached {late}"
        );
        assert!(
            waiting.iter().any(|c| c.priority == Priority::Urgent)
                && waiting.iter().any(|c| c.priority == Priority::Low)
        );
    }

    #[test]
    fn the_demo_articles_read() {
        let a = demo_articles();
        assert!(a.len() >= 8 && a.iter().all(|a| a.url.is_some() && !a.summary.is_empty()));
        for lang in ["en", "it", "hu"] {
            assert!(a.iter().any(|a| a.language.as_deref() == Some(lang)), "an article in {lang}");
        }
    }

    /// Seeded into a real store, the knowledge base answers the stories' subjects with the
    /// article written for them.
    #[tokio::test]
    async fn the_demo_articles_fit_the_stories() {
        use crate::domain::articles::{search_terms, Match, MAX_TERMS};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
        seed(&store, &opts(2), |_| {}).await.unwrap();
        let mut answered = 0;
        for story in stories() {
            let hits =
                store.articles(&search_terms(&story.subject, MAX_TERMS), Match::Any, Some("en"), 3).await.unwrap();
            answered += usize::from(!hits.is_empty());
            let expected = match story.subject.as_str() {
                "Parcel stuck at the depot for four days" => "parcel-stuck",
                "Cannot log in after a password reset" => "password-reset",
                "Card declined twice on the subscription renewal" => "card-declined",
                "Charged twice for order #{order}" => "charged-twice",
                "{product} arrived damaged" => "damaged-item",
                _ => continue,
            };
            assert_eq!(hits.first().map(|h| h.slug.as_str()), Some(expected), "{}: {hits:?}", story.subject);
        }
        assert!(answered * 4 >= stories().len() * 3, "{answered} of {} stories have an article", stories().len());
    }

    #[test]
    fn the_demo_macros_read() {
        let m = demo_macros();
        assert!(m.len() >= 6 && m.iter().any(|m| m.step.is_some()) && m.iter().any(|m| m.follow_up.is_some()));
        for lang in ["en", "it", "hu"] {
            assert!(m.iter().any(|m| m.language.as_deref() == Some(lang)), "a macro in {lang}");
        }
    }

    #[test]
    fn covers_sources_and_statuses() {
        let o = opts(60);
        let a = agents(&o);
        let data: Vec<CustomerData> = (0..60).map(|i| customer_data(&o, i, &a)).collect();
        let mut sources: Vec<&str> = data.iter().flat_map(|d| d.events.iter().map(|e| e.source.as_str())).collect();
        sources.sort();
        sources.dedup();
        assert!(sources.len() >= 8, "{sources:?}");
        for s in CaseStatus::ALL {
            assert!(data.iter().any(|d| d.cases.iter().any(|c| c.status == *s)), "no {s} case");
        }
        assert!(data.iter().any(|d| !d.followups.is_empty()));
        for d in &data {
            for e in &d.events {
                assert!(e.occurred_at <= o.anchor);
            }
        }
    }
}
