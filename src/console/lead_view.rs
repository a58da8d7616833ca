//! Drawing lead mode: queues in trouble first with each agent's load, a queue's cases with their
//! SLA state and the reassign/priority pickers, the report (outcome mix as bars, daily volume and
//! CSAT as sparklines), and the closed cases to review.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::app::App;
use super::lead::{Picker, PERIODS};
use super::theme::Theme;
use super::view::{block, relative, window_start};
use crate::domain::case::Priority;
use crate::domain::sla::SlaState;

fn sla_slot(s: SlaState) -> &'static str {
    match s {
        SlaState::Ok => "sla.ok",
        SlaState::AtRisk => "sla.at_risk",
        SlaState::Breached => "sla.breached",
    }
}

fn message_line(msg: &Option<(bool, String)>, theme: &Theme) -> Option<Line<'static>> {
    msg.as_ref().map(|(err, text)| Line::styled(text.clone(), theme.fg(if *err { "ui.error" } else { "ui.success" })))
}

/// A bar of `value` out of `max` in `width` cells.
fn bar(value: i64, max: i64, width: usize) -> String {
    let cells = if max <= 0 { 0 } else { ((value.max(0) as f64 / max as f64) * width as f64).round() as usize };
    "█".repeat(cells.min(width))
}

pub fn draw_queues(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let [top, bottom] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas::<2>(area);
    let b = block("Queues · trouble first · Enter opens · L closed cases · P report · r recount", theme, true);
    let inner = b.inner(top);
    frame.render_widget(b, top);
    let mut lines = Vec::new();
    if let Some(e) = &l.overview_error {
        lines.push(Line::styled(format!("Could not count the queues: {e}"), theme.fg("ui.error")));
    } else if l.overview.is_none() {
        lines.push(Line::styled("Counting…", theme.fg("ui.text_muted")));
    }
    if l.overview.is_some() {
        lines.push(Line::styled(
            format!(
                "{:<18}{:<10}{:>8}{:>10}{:>9}{:>8}   {:>5} {:>5} {:>5} {:>5} {:>5}",
                "queue", "team", "waiting", "BREACHED", "at risk", "nobody", "<1h", "1-4h", "4-24h", "1-3d", ">3d"
            ),
            theme.fg("ui.text_muted"),
        ));
    }
    let queues = l.sorted_queues();
    let h = inner.height.saturating_sub(1) as usize;
    for (i, q) in queues.iter().enumerate().skip(window_start(l.queue_selected, h.max(1))).take(h) {
        let c = &q.counts;
        let name_style = if i == l.queue_selected { theme.selection() } else { theme.fg("ui.text") };
        let age = |k: &str| c.by_age.get(k).copied().unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", q.queue.name), name_style),
            Span::styled(format!("{:<10}", q.queue.team), theme.fg("ui.text_muted")),
            Span::styled(format!("{:>8}", c.waiting), theme.fg("ui.text")),
            Span::styled(
                format!("{:>10}", c.breached),
                if c.breached > 0 {
                    theme.fg("sla.breached").add_modifier(Modifier::BOLD)
                } else {
                    theme.fg("ui.text_muted")
                },
            ),
            Span::styled(
                format!("{:>9}", c.at_risk),
                if c.at_risk > 0 { theme.fg("sla.at_risk") } else { theme.fg("ui.text_muted") },
            ),
            Span::styled(format!("{:>8}", c.unassigned), theme.fg("ui.text_muted")),
            Span::styled(
                format!(
                    "   {:>5} {:>5} {:>5} {:>5} {:>5}",
                    age("under_1h"),
                    age("1h_4h"),
                    age("4h_24h"),
                    age("1d_3d"),
                    age("over_3d")
                ),
                theme.fg("ui.text_muted"),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    // Workload: each agent's waiting cases, breached in red.
    let b = block("Workload · waiting cases per agent (breached · at risk)", theme, false);
    let inner = b.inner(bottom);
    frame.render_widget(b, bottom);
    let loads: Vec<_> = l.overview.iter().flat_map(|o| o.workload.iter()).collect();
    let max = loads.iter().map(|w| w.waiting).max().unwrap_or(0);
    let width = (inner.width as usize).saturating_sub(44).clamp(5, 40);
    let lines: Vec<Line> = loads
        .iter()
        .take(inner.height as usize)
        .map(|w| {
            Line::from(vec![
                Span::styled(format!("{:<14}", w.name), theme.fg("ui.text")),
                Span::styled(format!("{:>4} ", w.waiting), theme.fg("ui.text")),
                Span::styled(format!("{:<width$}", bar(w.waiting, max, width)), Style::default().fg(theme.chart(0))),
                Span::styled(
                    format!("  {} breached", w.breached),
                    if w.breached > 0 { theme.fg("sla.breached") } else { theme.fg("ui.text_muted") },
                ),
                Span::styled(format!(" · {} at risk", w.at_risk), theme.fg("ui.text_muted")),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_queue_cases(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let name = l.queue.clone().unwrap_or_default();
    let filter = l.sla.map(|s| format!(" · only {s}")).unwrap_or_default();
    let marked = if l.marked.is_empty() { String::new() } else { format!(" · {} marked", l.marked.len()) };
    let title = format!(
        "Queue {name} · {} waiting{filter}{marked} · Space marks · a reassign · p priority · s SLA filter",
        l.cases.len()
    );
    let b = block(&title, theme, l.picker.is_none());
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let names: std::collections::HashMap<uuid::Uuid, &str> =
        l.overview.iter().flat_map(|o| o.workload.iter()).map(|w| (w.agent_id, w.name.as_str())).collect();
    let mut lines = Vec::new();
    if let Some(m) = message_line(&l.message, theme) {
        lines.push(m);
    }
    if l.cases.is_empty() {
        let text = if l.cases_loaded { "No waiting cases here." } else { "Listing…" };
        lines.push(Line::styled(text, theme.fg("ui.text_muted")));
    }
    let h = (inner.height as usize).saturating_sub(lines.len());
    for (i, qc) in l.cases.iter().enumerate().skip(window_start(l.case_selected, h.max(1))).take(h) {
        let c = &qc.case;
        let selected = i == l.case_selected;
        let mark = if l.marked.contains(&c.id) { "■ " } else { "  " };
        let who = c.assignee_id.map(|a| names.get(&a).copied().unwrap_or("someone")).unwrap_or("— nobody");
        let due = c.resolution_due.map(|d| relative(app.now, d)).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(mark, theme.fg("ui.warn")),
            Span::styled(
                format!("{:<9}", qc.sla.as_str()),
                theme.fg(sla_slot(qc.sla)).add_modifier(if qc.sla == SlaState::Breached {
                    Modifier::BOLD
                } else {
                    Modifier::empty()
                }),
            ),
            Span::styled(format!("{:<7}", c.priority.as_str()), theme.fg(&format!("priority.{}", c.priority.as_str()))),
            Span::styled(format!("{:<8}", c.status.as_str()), theme.fg(&format!("status.{}", c.status.as_str()))),
            Span::styled(format!("{:<10}", relative(app.now, c.created_at)), theme.fg("ui.text_muted")),
            Span::styled(format!("due {:<10}", due), theme.fg("ui.text_muted")),
            Span::styled(format!("{:<12}", who), theme.fg("ui.info")),
            Span::styled(c.subject.clone(), if selected { theme.selection() } else { theme.fg("ui.text") }),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(p) = &l.picker {
        draw_picker(frame, area, app, p, theme);
    }
}

fn draw_picker(frame: &mut Frame, area: Rect, app: &App, p: &Picker, theme: &Theme) {
    let l = &app.lead;
    let n = l.targets().len();
    let (title, rows): (String, Vec<(String, String)>) = match p {
        Picker::Assign { .. } => (
            format!("Give {n} case(s) to… (least loaded first)"),
            l.assignable()
                .iter()
                .map(|w| {
                    (w.name.clone(), format!("{} waiting · {} breached · {} at risk", w.waiting, w.breached, w.at_risk))
                })
                .collect(),
        ),
        Picker::Priority { .. } => (
            format!("Priority for {n} case(s)"),
            Priority::ALL.iter().rev().map(|p| (p.as_str().to_string(), String::new())).collect(),
        ),
    };
    let selected = match p {
        Picker::Assign { selected } | Picker::Priority { selected } => *selected,
    };
    let w = area.width.min(64);
    let h = (rows.len() as u16 + 4).min(area.height);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(Clear, popup);
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(i, (name, detail))| {
            let style = if i == selected { theme.selection() } else { theme.fg("ui.text") };
            Line::from(vec![
                Span::styled(format!("{name:<16}"), style),
                Span::styled(detail.clone(), theme.fg("ui.text_muted")),
            ])
        })
        .collect();
    if rows.is_empty() {
        lines.push(Line::styled("Nobody in the queue's team.", theme.fg("ui.text_muted")));
    }
    lines.push(Line::styled("Enter applies · Esc cancels", theme.fg("ui.text_muted")));
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), popup);
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0} %", x * 100.0)).unwrap_or_else(|| "—".into())
}

fn duration(secs: Option<i64>) -> String {
    match secs {
        None => "—".into(),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{:.1} h", s as f64 / 3600.0),
        Some(s) => format!("{:.1} d", s as f64 / 86_400.0),
    }
}

pub fn draw_report(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let days = PERIODS[l.period % PERIODS.len()];
    let team = l.report_team.clone().unwrap_or_else(|| "all your teams".into());
    let title = format!("Report · last {days} days · {team} · d period · t team · r recount");
    let b = block(&title, theme, true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(r) = &l.report else {
        let text = match &l.report_error {
            Some(e) => Line::styled(format!("Could not make the report: {e}"), theme.fg("ui.error")),
            None => Line::styled("Counting…", theme.fg("ui.text_muted")),
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    };
    let t = &r.total;
    let [figures, charts, tables] =
        Layout::vertical([Constraint::Length(6), Constraint::Length(9), Constraint::Min(3)]).areas::<3>(inner);
    let num = |k: &str, v: String, slot: &str| {
        vec![Span::styled(format!("{k} "), theme.fg("ui.text_muted")), Span::styled(format!("{v:<10}"), theme.fg(slot))]
    };
    let fu = &t.followups;
    let lines = vec![
        Line::from(
            [
                num("opened", t.opened.to_string(), "ui.text"),
                num("resolved", t.resolved.to_string(), "ui.text"),
                num("median handle", duration(t.median_handle_secs), "ui.text"),
                num(
                    "SLA breaches",
                    t.sla_breaches.to_string(),
                    if t.sla_breaches > 0 { "sla.breached" } else { "sla.ok" },
                ),
            ]
            .concat(),
        ),
        Line::from(
            [
                num("RASA followed", pct(t.rasa_completion_rate), "ui.text"),
                num("CSAT", t.csat_average.map(|c| format!("{c:.2}/5")).unwrap_or("—".into()), "ui.text"),
                num("NPS", t.nps.map(|n| format!("{n:+.0}")).unwrap_or("—".into()), "ui.text"),
                num("answers", format!("{} CSAT, {} NPS", t.csat_responses, t.nps_responses), "ui.text_muted"),
            ]
            .concat(),
        ),
        Line::from(
            [
                num("follow-ups on time", fu.on_time.to_string(), "sla.ok"),
                num("late", fu.late.to_string(), "sla.at_risk"),
                num("overdue", fu.overdue.to_string(), if fu.overdue > 0 { "sla.breached" } else { "ui.text_muted" }),
                num("upcoming", fu.upcoming.to_string(), "ui.text_muted"),
            ]
            .concat(),
        ),
        Line::raw(""),
    ];
    frame.render_widget(Paragraph::new(lines), figures);

    // Outcome mix as bars; daily volume and CSAT as sparklines.
    let [mix, trends] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas::<2>(charts);
    let max = t.outcomes.values().copied().max().unwrap_or(0);
    let width = (mix.width as usize).saturating_sub(22).max(4);
    let mut lines = vec![Line::styled("Outcome mix", theme.fg("ui.title").add_modifier(Modifier::BOLD))];
    for o in crate::domain::case::Outcome::ALL {
        let n = t.outcomes.get(o.as_str()).copied().unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", o.as_str()), theme.fg("ui.text_muted")),
            Span::styled(bar(n, max, width), theme.fg(&format!("outcome.{}", o.as_str()))),
            Span::styled(format!(" {n}"), theme.fg("ui.text")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), mix);
    let [vol, csat] = Layout::vertical([Constraint::Length(4), Constraint::Length(4)]).areas::<2>(trends);
    let opened: Vec<u64> = r.daily.iter().map(|d| d.opened.max(0) as u64).collect();
    let peak = opened.iter().max().copied().unwrap_or(0);
    frame.render_widget(
        Sparkline::default()
            .block(block(&format!("Cases opened per day (peak {peak})"), theme, false))
            .data(opened)
            .style(Style::default().fg(theme.chart(0))),
        vol,
    );
    let csat_days: Vec<Option<u64>> =
        r.daily.iter().map(|d| d.csat_average.map(|c| (c * 20.0).round() as u64)).collect();
    frame.render_widget(
        Sparkline::default()
            .block(block("CSAT per day (1–5; gaps: no answers)", theme, false))
            .data(csat_days)
            .max(100)
            .style(Style::default().fg(theme.chart(1))),
        csat,
    );

    // Per queue and per agent.
    let mut lines = vec![Line::styled(
        format!(
            "{:<16}{:>8}{:>9}{:>14}{:>10}{:>8}{:>8}",
            "", "opened", "resolved", "median", "breaches", "RASA", "CSAT"
        ),
        theme.fg("ui.text_muted"),
    )];
    let row = |name: String, f: &crate::wire::leads::Figures| {
        Line::styled(
            format!(
                "{:<16}{:>8}{:>9}{:>14}{:>10}{:>8}{:>8}",
                name,
                f.opened,
                f.resolved,
                duration(f.median_handle_secs),
                f.sla_breaches,
                pct(f.rasa_completion_rate),
                f.csat_average.map(|c| format!("{c:.1}")).unwrap_or("—".into())
            ),
            theme.fg("ui.text"),
        )
    };
    for q in &r.by_queue {
        lines.push(row(format!("queue {}", q.queue), &q.figures));
    }
    for a in &r.by_agent {
        lines.push(row(a.name.clone().unwrap_or_else(|| "(unassigned)".into()), &a.figures));
    }
    frame.render_widget(Paragraph::new(lines), tables);
}

pub fn draw_closed(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let b = block("Closed cases to review · Enter reviews (RASA step by step, resolution; K coaches)", theme, true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let mut lines = Vec::new();
    if let Some(e) = &l.closed_error {
        lines.push(Line::styled(format!("Could not list them: {e}"), theme.fg("ui.error")));
    } else if l.closed.is_empty() {
        lines.push(Line::styled("Listing…", theme.fg("ui.text_muted")));
    }
    let h = inner.height as usize;
    for (i, c) in l.closed.iter().enumerate().skip(window_start(l.closed_selected, h.max(1))).take(h) {
        let (outcome, rasa) = match &c.resolution {
            Some(r) => {
                (r.outcome.as_str(), if r.rasa_incomplete_reason.is_some() { "RASA incomplete" } else { "RASA ✓" })
            }
            None => ("", ""),
        };
        let style = if i == l.closed_selected { theme.selection() } else { theme.fg("ui.text") };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", outcome), theme.fg(&format!("outcome.{outcome}"))),
            Span::styled(format!("{:<17}", rasa), theme.fg("ui.text_muted")),
            Span::styled(
                format!("{:<10}", c.resolution.as_ref().map(|r| relative(app.now, r.resolved_at)).unwrap_or_default()),
                theme.fg("ui.text_muted"),
            ),
            Span::styled(c.subject.clone(), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::{update, Msg, Tz};
    use crate::console::keymap::View;
    use crate::console::lead::Picker;
    use crate::domain::case::{Case, CaseStatus, Channel};
    use crate::wire::leads::QueuesResponse;
    use crate::wire::leads::{AgentLoad, Queue, QueueCase, QueueCounts, QueueSort, QueueSummary};
    use crate::wire::leads::{Figures, SummaryReport};
    use chrono::{DateTime, Duration, Utc};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn scene() -> App {
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
            queue: Queue {
                id: qid.into(),
                name: qid.into(),
                team: team.into(),
                statuses: vec![],
                sort: QueueSort::Due,
            },
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
                queues: vec![
                    queue("general", "support", counts(12, 0, 2)),
                    queue("billing", "billing", counts(9, 4, 1)),
                ],
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
            }))),
        );
        app
    }

    fn screen(app: &App, w: u16, h: u16) -> String {
        let (theme, _) = Theme::load("default", None, false);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| crate::console::view::draw(f, app, &theme)).unwrap();
        let buf = t.backend().buffer();
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn snapshots_of_the_lead_views() {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = scene();
            app.stack.push(View::Queues);
            insta::assert_snapshot!(format!("lead_queues_{w}x{h}"), screen(&app, w, h));
            app.stack.push(View::QueueCases);
            insta::assert_snapshot!(format!("lead_queue_cases_{w}x{h}"), screen(&app, w, h));
            app.lead.marked.insert(id(10));
            app.lead.picker = Some(Picker::Assign { selected: 0 });
            insta::assert_snapshot!(format!("lead_assign_picker_{w}x{h}"), screen(&app, w, h));
            app.lead.picker = None;
            app.stack.push(View::Report);
            insta::assert_snapshot!(format!("lead_report_{w}x{h}"), screen(&app, w, h));
            let mut closed = app.lead.cases[0].case.clone();
            closed.status = CaseStatus::Resolved;
            closed.resolution = Some(crate::domain::case::Resolution {
                summary: "Refunded".into(),
                root_cause: vec![],
                outcome: crate::domain::case::Outcome::Negative,
                rasa_incomplete_reason: Some("customer left".into()),
                resolved_by: id(1),
                resolved_at: app.now - Duration::hours(3),
            });
            update(&mut app, Msg::Closed(Ok(vec![closed])));
            app.stack.push(View::Closed);
            insta::assert_snapshot!(format!("lead_closed_{w}x{h}"), screen(&app, w, h));
        }
    }

    #[test]
    fn a_lead_reassigns_the_breached_case_to_the_least_loaded_agent() {
        let mut app = scene();
        let key = |app: &mut App, c: KeyCode| update(app, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        app.stack.clear();
        app.stack.push(View::Home);
        assert_eq!(key(&mut app, KeyCode::Char('Q')), vec![crate::console::app::Cmd::LoadOverview]);
        // Billing has the breaches: it comes first; Enter lists it.
        let cmds = key(&mut app, KeyCode::Enter);
        assert!(matches!(&cmds[0], crate::console::app::Cmd::LoadQueueCases { queue, .. } if queue == "billing"));
        key(&mut app, KeyCode::Char('a'));
        // bruno (2 waiting) is offered before anna (8).
        let cmds = key(&mut app, KeyCode::Enter);
        let crate::console::app::Cmd::Bulk(changes) = &cmds[0] else { panic!("{cmds:?}") };
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].id, changes[0].revision, changes[0].assignee_id), (id(10), 3, Some(Some(id(2)))));
        // An agent has no lead keys.
        let mut agent = scene();
        agent.lead_mode = false;
        agent.stack = vec![View::Home];
        assert!(key(&mut agent, KeyCode::Char('Q')).is_empty());
        assert_eq!(agent.view(), View::Home);
    }
}
