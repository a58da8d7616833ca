//! What the console's tests share: an agent's and a lead's scene (fixed times and ids, so that
//! snapshots are the same anywhere), and the screen a state draws, as text.

use chrono::{DateTime, Duration, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::app::{update, App, Tz};
use super::msg::Msg;
use super::theme::Theme;
use crate::domain::case::{Case, CaseStatus, Channel, Priority};
use crate::domain::event::Event;
use crate::domain::sla::SlaState;
use crate::wire::card::{CaseBrief, CustomerCard, EventBrief};
use crate::wire::leads::{AgentLoad, Figures, Queue, QueueCase, QueueCounts, QueueSort, QueueSummary};
use crate::wire::leads::{QueuesResponse, SummaryReport};

/// The screen `app` draws at `w`×`h`, one line per row, trailing blanks cut.
pub fn screen(app: &App, theme: &Theme, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::draw::draw(f, app, theme)).unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fixed scene: a fixed "now", fixed ids, UTC, so that snapshots are the same anywhere.
pub fn agent_scene() -> App {
    use crate::domain::case::{Case, CaseStatus, Channel, Priority};
    use crate::domain::followup::{FollowUp, FollowUpStatus};
    use crate::local::overlay::Synced;
    let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
    let id = |n: u128| Uuid::from_u128(n);
    let mut app = App::new("anna", "http://127.0.0.1:7878", now, Tz::default());
    let customer = crate::domain::customer::Customer {
        id: id(1),
        display_name: "Zoe Quintero".into(),
        emails: vec!["zoe.q@example.com".into()],
        phones: vec!["+393331234567".into()],
        external_ids: [("shop".to_string(), "C-77".to_string())].into_iter().collect(),
        identities: vec![],
        tier: None,
        tags: vec![],
        language: None,
        merged_into: None,
        created_at: now,
        updated_at: now,
    };
    let case = |n: u128, subject: &str, status, priority: Priority, hours: i64, waiting| {
        let opened = now - chrono::Duration::hours(hours);
        let (first, resolve) = crate::domain::sla::SlaPolicy::default_for(priority).due(opened);
        Synced {
            value: Case {
                id: id(n),
                customer_id: id(1),
                subject: subject.into(),
                channel: Channel::Phone,
                status,
                priority,
                queue: "general".into(),
                team: "support".into(),
                assignee_id: Some(id(9)),
                first_response_due: Some(first),
                resolution_due: Some(resolve),
                revision: 1,
                created_by: id(9),
                created_at: opened,
                updated_at: now,
                resolution: None,
                first_response_at: (status != CaseStatus::New).then_some(opened + chrono::Duration::minutes(10)),
                tags: vec![],
            },
            waiting,
        }
    };
    app.me_id = id(9);
    app.teams = vec!["support".into()];
    app.home.all = vec![
        case(10, "Parcel never arrived", CaseStatus::Open, Priority::Urgent, 2, true),
        case(11, "Charged twice for one order", CaseStatus::Pending, Priority::High, 30, false),
        case(12, "Invoice needs the company's VAT number", CaseStatus::New, Priority::Normal, 3, false),
        case(13, "Can I change the delivery address? 📦", CaseStatus::Open, Priority::Low, 50, false),
    ];
    app.home.customers.insert(id(1), customer.clone());
    app.home.subjects.insert(id(10), "Parcel never arrived".into());
    app.home.loaded = true;
    super::home::show_view(&mut app);
    app.home.selected = 0;
    app.home.followups = vec![Synced {
        value: FollowUp {
            id: id(20),
            customer_id: id(1),
            case_id: Some(id(10)),
            assignee_id: id(9),
            due_at: now - chrono::Duration::minutes(5),
            channel: Channel::Phone,
            note: "Call back about the parcel".into(),
            status: FollowUpStatus::Open,
            revision: 1,
            created_by: id(9),
            created_at: now,
            updated_at: now,
            done_at: None,
        },
        waiting: false,
    }];
    app.sync = Some(crate::client::sync::SyncStatus {
        connection: crate::client::sync::Connection::Offline,
        counts: crate::local::view::OutboxCounts { pending: 3, conflicts: 1, rejected: 0 },
        last_success: Some(now - chrono::Duration::minutes(12)),
        last_error: None,
        retry_at: None,
    });
    app.search.query = "zoe".into();
    app.search.results_for = "zoe".into();
    app.search.results = vec![customer.clone()];
    let events: Vec<Event> = [
        ("shop", "order_shipped", "Order #1042 shipped", r#"{"carrier": "DHL"}"#, 3),
        ("survey", "nps_response", "NPS 4/10", r#"{"score": 4}"#, 20),
        ("billing", "payment_failed", "Payment of €42.50 failed", r#"{"amount": 42.5}"#, 26),
        ("phone", "call_inbound", "Inbound call, 4m 10s", "{}", 50),
    ]
    .iter()
    .enumerate()
    .map(|(i, (source, kind, title, data, hours))| Event {
        id: id(100 + i as u128),
        customer_id: id(1),
        source: source.to_string(),
        source_event_id: format!("{source}-{i}"),
        kind: kind.to_string(),
        ce_type: format!("com.example.{source}.{kind}"),
        occurred_at: now - chrono::Duration::hours(*hours),
        title: title.to_string(),
        body: None,
        actor: None,
        data: RawValue::from_string(data.to_string()).unwrap(),
        case_id: if i == 0 { Some(id(10)) } else { None },
        ingested_at: now,
    })
    .collect::<Vec<Event>>();
    app.timeline.customer = Some(customer);
    app.timeline.loading = true;
    let rows = events.iter().map(crate::domain::event::TimelineRow::from).collect();
    update(&mut app, Msg::TimelinePage { customer: id(1), result: Ok((rows, None)), offline: false });
    // Their details read already (as after Enter on each).
    app.timeline.details = events.into_iter().map(|e| (e.id, e)).collect();
    let card = scene_card(&app.timeline.customer.clone().unwrap(), now);
    update(&mut app, Msg::Card { card: Box::new(card), offline: false });
    app
}

/// The scene customer's card, its facts computed by the built-in card rules.
fn scene_card(customer: &crate::domain::customer::Customer, now: DateTime<Utc>) -> CustomerCard {
    use crate::domain::card::{CardRules, Reading};
    use serde_json::json;
    let mut customer = customer.clone();
    customer.tier = Some("gold".into());
    customer.tags = vec!["vip".into()];
    customer.language = Some("it".into());
    let ago = |h: i64| now - Duration::hours(h);
    let readings = [
        Reading::Count(3),
        Reading::Rows(vec![(ago(80), json!({"total": 129.0})), (ago(900), json!({"total": "89.50"}))]),
        Reading::Count(0),
        Reading::Count(1),
        Reading::Count(0),
        Reading::Rows(vec![(ago(400), json!({"score": 4})), (ago(2000), json!({"score": 5}))]),
        Reading::Rows(vec![(ago(20), json!({"score": 4})), (ago(3000), json!({"score": 8}))]),
    ];
    let rules = CardRules::default();
    CustomerCard {
        customer,
        open_cases: 2,
        last_case: Some(CaseBrief {
            id: id(10),
            subject: "Parcel never arrived".into(),
            status: CaseStatus::Open,
            created_at: ago(2),
        }),
        last_event: Some(EventBrief {
            source: "shop".into(),
            kind: "order_shipped".into(),
            title: "Order #1042 shipped".into(),
            occurred_at: ago(3),
        }),
        facts: rules.facts.iter().zip(readings).map(|(r, reading)| r.fact(reading)).collect(),
        at: now,
    }
}

/// A fixed id.
pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn lead_scene() -> App {
    let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&Utc);
    let mut app = App::new("lena", "http://127.0.0.1:7878", now, Tz::default());
    app.lead_mode = true;
    app.teams = vec!["support".into(), "billing".into()];
    let counts = |waiting, breached, at_risk| QueueCounts {
        waiting,
        breached,
        at_risk,
        unassigned: 1,
        by_status: [("new".to_string(), 1), ("open".into(), waiting - 1)].into(),
        by_age: [("under_1h".to_string(), 1), ("over_3d".into(), waiting - 1)].into(),
    };
    let queue = |qid: &str, team: &str, c| QueueSummary {
        queue: Queue { id: qid.into(), name: qid.into(), team: team.into(), statuses: vec![], sort: QueueSort::Due },
        counts: c,
    };
    let load = |n: u128, name: &str, team: &str, waiting, breached| AgentLoad {
        agent_id: id(n),
        name: name.into(),
        teams: vec![team.into()],
        waiting,
        breached,
        at_risk: 0,
    };
    update(
        &mut app,
        Msg::Overview(Ok(Box::new(QueuesResponse {
            at: now,
            queues: vec![queue("general", "support", counts(12, 0, 2)), queue("billing", "billing", counts(9, 4, 1))],
            workload: vec![load(1, "anna", "billing", 8, 3), load(2, "bruno", "billing", 2, 0)],
            sla_policies: vec![],
        }))),
    );
    let case = |n: u128, subject: &str, hours: i64, sla| QueueCase {
        case: Case {
            id: id(n),
            customer_id: id(99),
            subject: subject.into(),
            channel: Channel::Phone,
            status: CaseStatus::Open,
            priority: Priority::High,
            queue: "billing".into(),
            team: "billing".into(),
            assignee_id: Some(id(1)),
            first_response_due: Some(now - Duration::hours(hours - 1)),
            resolution_due: Some(now - Duration::hours(hours - 8)),
            revision: 3,
            created_by: id(1),
            created_at: now - Duration::hours(hours),
            updated_at: now,
            resolution: None,
            first_response_at: None,
            tags: vec![],
        },
        sla,
    };
    app.lead.queue = Some("billing".into());
    update(
        &mut app,
        Msg::QueueCases {
            queue: "billing".into(),
            result: Ok(vec![
                case(10, "Charged twice for one order", 30, SlaState::Breached),
                case(11, "Invoice needs VAT number", 7, SlaState::AtRisk),
            ]),
        },
    );
    let mut total = Figures::default();
    (total.opened, total.resolved, total.median_handle_secs, total.sla_breaches) = (40, 31, Some(9_000), 5);
    total.outcomes =
        [("memorable".to_string(), 4), ("positive".into(), 15), ("negative".into(), 7), ("forgettable".into(), 5)]
            .into();
    total.rasa_completion_rate = Some(0.8);
    total.csat_average = Some(4.2);
    total.csat_responses = 12;
    total.nps = Some(35.0);
    total.nps_responses = 20;
    (total.reviews, total.quality_average, total.quality_previous) = (6, Some(86.4), Some(82.0));
    let daily = (0..7)
        .map(|d| crate::wire::leads::Day {
            day: (now - Duration::days(6 - d)).date_naive(),
            opened: [3, 8, 5, 9, 4, 6, 5][d as usize],
            resolved: 4,
            csat_average: (d % 3 != 0).then_some(3.5 + d as f64 * 0.2),
            csat_responses: 2,
            ..Default::default()
        })
        .collect();
    update(
        &mut app,
        Msg::Report(Ok(Box::new(SummaryReport {
            from: now - Duration::days(7),
            to: now,
            teams: vec![],
            total: total.clone(),
            by_queue: vec![crate::wire::leads::QueueFigures { queue: "billing".into(), figures: total.clone() }],
            by_agent: vec![crate::wire::leads::AgentFigures {
                agent_id: Some(id(1)),
                name: Some("anna".into()),
                figures: total,
            }],
            daily,
            root_causes: [
                ("carrier lost the parcel", 7, 3),
                ("expired card", 4, 6),
                ("address typo at checkout", 2, 0),
            ]
            .iter()
            .map(|(k, n, p)| crate::wire::leads::Ranked { key: k.to_string(), count: *n, previous: *p })
            .collect(),
            contact_reasons: [("parcel stuck at the depot", 9, 5), ("charged twice for order #", 5, 5)]
                .iter()
                .map(|(k, n, p)| crate::wire::leads::Ranked { key: k.to_string(), count: *n, previous: *p })
                .collect(),
            calibration: Some(0.86),
            calibrated_cases: 4,
        }))),
    );
    app
}

/// A review of `case` for the tests: every criterion of the built-in card at full marks, by
/// reviewer `id(2)` of agent `id(9)`, open, made at `at`; `percent` as given (0: failed).
pub fn review(n: u128, case: Uuid, percent: f64, at: DateTime<Utc>) -> crate::wire::reviews::Review {
    use crate::domain::scorecard::{default_scorecard, Answer, Score};
    crate::wire::reviews::Review {
        id: id(n),
        case_id: case,
        agent_id: Some(id(9)),
        reviewer_id: id(2),
        scorecard: "rasa".into(),
        scores: default_scorecard()
            .criteria
            .iter()
            .map(|c| Score { criterion: c.id.clone(), value: c.scale, comment: None })
            .collect(),
        coaching: None,
        percent,
        failed: percent == 0.0,
        answer: Answer::Open,
        created_at: at,
        answered_at: None,
    }
}

/// The agent's scene with the first case open in the case view, loaded, a RASA step done.
pub fn case_scene() -> App {
    let mut app = agent_scene();
    let case = app.home.cases.iter().find(|c| c.value.id == id(10)).unwrap().clone();
    app.open_case(case.value.id);
    let loaded = crate::local::view::LocalCase {
        case,
        notes: vec![],
        rasa: crate::domain::rasa::fold(&[crate::domain::rasa::StepEntry {
            step: crate::domain::rasa::RasaStep::Receive,
            notes: "\"It never came\"".into(),
            done: true,
            author_id: id(9),
            at: app.now,
        }]),
        followups: app.home.followups.clone(),
        unsettled: vec![],
    };
    let id = loaded.case.value.id;
    update(&mut app, Msg::Case { id, case: Some(Box::new(loaded)), drafts: Default::default() });
    app
}

/// Articles of a knowledge base, as the server would send them.
pub fn sample_articles() -> Vec<crate::domain::articles::Article> {
    let a = |slug: &str, text: &str| crate::domain::articles::parse_markdown(slug, text).expect("a sample article");
    vec![
        a(
            "parcel-stuck",
            "---\ntags: shipping, carrier\nlanguage: en\nurl: https://help.example.com/parcel-stuck\n---\n# A parcel stuck at the depot\n\nWhen the carrier's scan stops at the depot for two days, open a trace with the carrier and tell the customer when to expect news.\n\n## Steps\n\n1. Find the tracking number on the **order**.\n2. Open a trace in the carrier's portal.\n- Offer a reshipment after 5 working days.\n\n> Never promise a refund before the trace answers.\n",
        ),
        a(
            "refunds",
            "---\ntags: billing\n---\n# How refunds work\n\nA refund goes back to the card it was paid with within 5 working days.\n",
        ),
        a(
            "late-delivery-sorry",
            "# Saying sorry for a late delivery\n\nAcknowledge the wait first, then say what happens next and when. 📦\n",
        ),
    ]
}

/// The case scene with the knowledge base open over the case, its suggestions in.
pub fn knowledge_scene() -> App {
    let mut app = case_scene();
    let cmds = update(
        &mut app,
        Msg::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char('a'))),
    );
    assert!(matches!(cmds.as_slice(), [crate::console::msg::Cmd::SuggestArticles { .. }]), "{cmds:?}");
    let hits = sample_articles().iter().map(crate::domain::articles::ArticleHit::from).collect();
    update(
        &mut app,
        Msg::Articles {
            query: None,
            terms: vec!["parcel".into(), "stuck".into(), "depot".into()],
            result: Ok(hits),
            offline: false,
        },
    );
    app
}
