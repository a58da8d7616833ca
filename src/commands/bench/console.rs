//! `casebook bench console`: what drawing costs — the timeline frame at 160×48 with 1,000 and
//! with 100,000 events loaded, a keystroke through `update` to the next frame, the memory the
//! loaded timeline takes, and a keystroke in the command palette over a thousand entries. Drawn into ratatui's `TestBackend` (the work a frame does, without
//! a terminal's own speed).

use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::console::app::{update, App, Msg};
use crate::console::draw::draw;
use crate::console::mode::View;
use crate::console::theme::Theme;
use crate::domain::customer::Customer;
use crate::domain::event::Event;

#[derive(Args, Clone)]
pub struct ConsoleBenchArgs {
    /// Frames drawn per measurement
    #[arg(long, default_value_t = 2_000)]
    frames: usize,
}

const SOURCES: &[(&str, &str)] = &[
    ("shop", "order_placed"),
    ("billing", "payment_failed"),
    ("helpdesk", "ticket_message"),
    ("phone", "call_inbound"),
    ("survey", "nps_response"),
];

/// A timeline's rows as the console's list holds them.
fn rows(customer: Uuid, n: usize) -> Vec<crate::domain::event::TimelineRow> {
    events(customer, n).iter().map(crate::domain::event::TimelineRow::from).collect()
}

fn events(customer: Uuid, n: usize) -> Vec<Event> {
    let now = Utc::now();
    (0..n)
        .map(|i| {
            let (source, kind) = SOURCES[i % SOURCES.len()];
            Event {
                id: Uuid::now_v7(),
                customer_id: customer,
                source: source.into(),
                source_event_id: format!("{source}-{i}"),
                kind: kind.into(),
                ce_type: format!("com.example.{source}.{kind}"),
                occurred_at: now - chrono::Duration::minutes(i as i64 * 37),
                title: format!("{kind} number {i} for the customer"),
                body: Some("A line or two of what happened, as the source system said it.".into()),
                actor: Some("system".into()),
                data: RawValue::from_string(format!(r#"{{"n": {i}, "score": {}, "amount": 42.5}}"#, i % 11)).unwrap(),
                case_id: None,
                ingested_at: now,
            }
        })
        .collect()
}

fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Prints a measure; with `floor` (a p50 in ms), its p50 as a multiple of it. Its p50.
fn report(name: &str, mut lat: Vec<Duration>, floor: Option<f64>) -> f64 {
    lat.sort();
    let p50 = pct(&lat, 50.0);
    let ratio = floor.map(|f| format!("  {:.1}× the floor", p50 / f)).unwrap_or_default();
    println!(
        "{name:<40} p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms  ({} frames){ratio}",
        p50,
        pct(&lat, 99.0),
        pct(&lat, 100.0),
        lat.len()
    );
    p50
}

/// The floor: a frame that draws nothing at 160×48 — what every frame pays (the buffer swap and
/// its diff over 7,680 cells), measured in the same run as the console's frames.
fn floor(frames: usize) -> anyhow::Result<f64> {
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let mut lat = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        term.draw(|_| {})?;
        lat.push(t.elapsed());
    }
    Ok(report("floor: an empty frame", lat, None))
}

pub fn run(args: ConsoleBenchArgs) -> anyhow::Result<()> {
    let (theme, _) = Theme::load("default", None, false);
    println!("casebook bench console: timeline view at 160x48, {} frames each", args.frames);
    let floor = Some(floor(args.frames)?);
    for n in [1_000usize, 100_000] {
        let before = rss_kib();
        let customer = Customer::named(Uuid::now_v7(), "Bench Customer", Utc::now());
        let mut app = App::new("anna", "http://127.0.0.1:7878", Utc::now(), crate::console::app::Tz::local());
        app.stack.push(View::Timeline);
        app.timeline.customer = Some(customer.clone());
        app.timeline.loading = true;
        app.timeline.detail = true;
        update(
            &mut app,
            Msg::TimelinePage { customer: customer.id, result: Ok((rows(customer.id, n), None)), offline: false },
        );
        let after = rss_kib();
        let mut term = Terminal::new(TestBackend::new(160, 48))?;
        // Frames with the selection moving through the first screens and the last ones.
        let mut lat = Vec::with_capacity(args.frames);
        for i in 0..args.frames {
            if i == args.frames / 2 {
                update(&mut app, Msg::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE)));
            }
            let t = Instant::now();
            term.draw(|f| draw(f, &app, &theme))?;
            lat.push(t.elapsed());
        }
        report(&format!("frame, {n} events loaded"), lat, floor);
        // A keystroke: update, then the frame it causes.
        let mut lat = Vec::with_capacity(args.frames);
        let keys = [KeyCode::Char('j'), KeyCode::Char('k'), KeyCode::PageDown, KeyCode::PageUp];
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE)));
        for i in 0..args.frames {
            let t = Instant::now();
            update(&mut app, Msg::Key(KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE)));
            term.draw(|f| draw(f, &app, &theme))?;
            lat.push(t.elapsed());
        }
        report(&format!("keystroke to frame, {n} events"), lat, floor);
        // A filter change rebuilds the rows: the one step that walks the whole timeline.
        let t = Instant::now();
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)));
        term.draw(|f| draw(f, &app, &theme))?;
        println!("{:<40} {:>10.3} ms", format!("source filter change, {n} events"), t.elapsed().as_secs_f64() * 1000.0);
        if let (Some(b), Some(a)) = (before, after) {
            println!(
                "{:<40} {:>10.1} MiB",
                format!("memory for {n} loaded events"),
                a.saturating_sub(b) as f64 / 1024.0
            );
        }
    }
    typing_beside_a_timeline(&theme, args.frames, floor)?;
    palette_over_a_thousand_cases(&theme, args.frames, floor)?;
    Ok(())
}

/// The command palette with 1,000 cases on home (over a thousand entries): each keystroke
/// matches every entry again, then the frame it causes (160x48). Typed, then erased, over and
/// over, so that queries of every length are measured.
fn palette_over_a_thousand_cases(theme: &Theme, frames: usize, floor: Option<f64>) -> anyhow::Result<()> {
    let now = Utc::now();
    let me = crate::domain::agent::Agent::new("anna", crate::domain::agent::Role::Agent, &["support"], now);
    let mut app = App::new("anna", "http://127.0.0.1:7878", now, crate::console::app::Tz::local());
    let subjects = ["Parcel stuck at the depot", "Charged twice", "Cannot log in", "Refund not received", "Wrong size"];
    for i in 0..1_000 {
        let req =
            crate::casework::NewCaseRequest::new(Uuid::now_v7(), &format!("{} #{i}", subjects[i % subjects.len()]));
        let case = crate::domain::case::new_case(&me, Uuid::now_v7(), &req, now).map_err(|e| anyhow::anyhow!("{e}"))?;
        app.home.cases.push(crate::local::overlay::Synced { value: case, waiting: false });
    }
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)));
    let entries = app.palette.as_ref().map(|p| p.entries.len()).unwrap_or(0);
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let query = "refund 42";
    let mut lat = Vec::with_capacity(frames);
    for i in 0..frames {
        let typed = app.palette.as_ref().map(|p| p.query.chars().count()).unwrap_or(0);
        let key = if (i / query.len()) % 2 == 0 {
            KeyCode::Char(query.chars().nth(typed % query.len()).unwrap_or('x'))
        } else {
            KeyCode::Backspace
        };
        let t = Instant::now();
        update(&mut app, Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        term.draw(|f| draw(f, &app, theme))?;
        lat.push(t.elapsed());
    }
    report(&format!("palette keystroke, {entries} entries"), lat, floor);
    Ok(())
}

/// Typing a note in a case with the customer's 10,000-event timeline beside it: each key goes
/// through `update` into the text area, then the frame it causes (160x48).
fn typing_beside_a_timeline(theme: &Theme, frames: usize, floor: Option<f64>) -> anyhow::Result<()> {
    let now = Utc::now();
    let me = crate::domain::agent::Agent::new("anna", crate::domain::agent::Role::Agent, &["support"], now);
    let customer = Customer::named(Uuid::now_v7(), "Bench Customer", now);
    let req = crate::casework::NewCaseRequest::new(customer.id, "Parcel never arrived");
    let case = crate::domain::case::new_case(&me, Uuid::now_v7(), &req, now).map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = case.id;
    let mut app = App::new("anna", "http://127.0.0.1:7878", now, crate::console::app::Tz::local());
    app.timeline.customer = Some(customer.clone());
    app.timeline.loading = true;
    update(
        &mut app,
        Msg::TimelinePage { customer: customer.id, result: Ok((rows(customer.id, 10_000), None)), offline: false },
    );
    app.open_case(id);
    let local = crate::local::view::LocalCase {
        case: crate::local::overlay::Synced { value: case, waiting: false },
        notes: vec![],
        rasa: crate::domain::rasa::fold(&[]),
        followups: vec![],
        unsettled: vec![],
    };
    update(&mut app, Msg::Case { id, case: Some(Box::new(local)), drafts: Default::default() });
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    term.draw(|f| draw(f, &app, theme))?;
    let text = "The customer says the parcel never came and nobody answered the phone. ";
    let mut lat = Vec::with_capacity(frames);
    for (i, c) in text.chars().cycle().take(frames).enumerate() {
        let key = if i % 80 == 79 { KeyCode::Enter } else { KeyCode::Char(c) };
        let t = Instant::now();
        update(&mut app, Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        term.draw(|f| draw(f, &app, theme))?;
        lat.push(t.elapsed());
    }
    report("typing a note, 10000 events beside", lat, floor);
    Ok(())
}
