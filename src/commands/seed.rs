//! Realistic, deterministic demo data (`casebook seed`): customers known to several systems,
//! events from nine sources, cases in every status with RASA notes, resolutions and
//! follow-ups, and a team of agents with a lead and an admin.
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
        let workers: Vec<&Agent> = agents.iter().filter(|a| a.role != Role::Admin).collect();
        let status = CaseStatus::ALL[(idx / 3) % CaseStatus::ALL.len()];
        let priority =
            [Priority::Low, Priority::Normal, Priority::Normal, Priority::High, Priority::Urgent][(idx / 3) % 5];
        let channel = [Channel::Phone, Channel::Chat, Channel::Email, Channel::Phone][idx % 4];
        let assignee = workers[(idx / 3) % workers.len()];
        let opened = opts.anchor - Duration::minutes(rng.gen_range(5..(14 * 24 * 60)));
        let case_id = id_at(&mut rng, opened);
        let subject = SUBJECTS[(idx / 3) % SUBJECTS.len()].to_string();
        let (first_due, resolve_due) = default_sla(priority);
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
        let step_notes = [
            format!("Customer says: \"{}. I need this sorted today.\"", subject),
            "Thanked them for their patience and for the details.".to_string(),
            format!("Summarised: {} — they want a fix or a refund.", subject.to_lowercase()),
            "Asked for the order number and a photo; they sent both.".to_string(),
        ];
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
                body: "Checked the courier portal: the parcel scan stops at the depot.".into(),
                visibility: NoteVisibility::Internal,
                created_at: note_at,
            });
        }
        let resolved = matches!(status, CaseStatus::Resolved | CaseStatus::Closed);
        let outcome = Outcome::ALL[(idx / 15) % Outcome::ALL.len()];
        let resolved_at = opened + Duration::minutes(rng.gen_range(10..240)).min(opts.anchor - opened);
        let resolution = resolved.then(|| Resolution {
            summary: "Reshipped the order with express delivery and refunded the shipping fee.".into(),
            root_cause: vec![
                "The parcel was lost at the depot".into(),
                "The courier skipped the scan on arrival".into(),
            ],
            outcome,
            rasa_incomplete_reason: (done_steps < 4).then(|| "Customer had to leave the call early".to_string()),
            resolved_by: assignee.id,
            resolved_at,
        });
        let updated = if resolved { resolved_at } else { note_at.min(opts.anchor) };
        // Taken up between a quarter and 1.25 times the first-response window: one case in five
        // misses it.
        let first_response = (status != CaseStatus::New).then(|| {
            let at = (opened + first_due * (idx % 5 + 1) as i32 / 4).min(opts.anchor);
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
            queue: if idx % 2 == 0 { "general".into() } else { "billing".into() },
            team: if idx % 2 == 0 { "support".into() } else { "billing".into() },
            assignee_id: if status == CaseStatus::New && idx % 2 == 0 { None } else { Some(assignee.id) },
            first_response_due: Some(opened + first_due),
            resolution_due: Some(opened + resolve_due),
            revision: 1 + done_steps as i64 + i64::from(resolved),
            created_by: assignee.id,
            created_at: opened,
            updated_at: updated,
            resolution,
            first_response_at: first_response,
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
                    note: "Call back to check the reshipment arrived and apologise again.".into(),
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
    Ok(report)
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
