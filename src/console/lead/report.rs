//! The lead's report over 7, 30 or 90 days, for one team or all the lead's: volumes, SLA
//! breaches, handling time, the outcome mix as bars, RASA completion, CSAT and NPS, daily
//! volume and CSAT as sparklines, and the same by queue and by agent.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::bar;
use crate::console::app::App;
use crate::console::keymap::Action;
use crate::console::mode::View;
use crate::console::msg::Cmd;
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::block;
use crate::domain::sla::SlaState;
use crate::wire::leads::{ReportFigure, SummaryReport};

/// A figure or row of the report whose cases a lead can open: what the server is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub figure: ReportFigure,
    pub key: Option<String>,
    pub queue: Option<String>,
    /// An agent's id, or `none`.
    pub agent: Option<String>,
    /// What the list of cases is called.
    pub label: String,
    /// How many the report counts.
    pub count: i64,
}

/// Every figure and row of the report that opens its cases, in the order j/k go through them:
/// the totals opened, resolved and breached; each outcome; each queue's and agent's openings;
/// each root cause; each contact reason.
pub fn drill_rows(r: &SummaryReport) -> Vec<Drill> {
    let d = |figure, key: Option<String>, queue: Option<String>, agent: Option<String>, label: String, count| Drill {
        figure,
        key,
        queue,
        agent,
        label,
        count,
    };
    let t = &r.total;
    let mut out = vec![
        d(ReportFigure::Opened, None, None, None, "opened in the period".into(), t.opened),
        d(ReportFigure::Resolved, None, None, None, "resolved in the period".into(), t.resolved),
        d(ReportFigure::Breached, None, None, None, "SLA breaches".into(), t.sla_breaches),
    ];
    for o in crate::domain::case::Outcome::ALL {
        let n = t.outcomes.get(o.as_str()).copied().unwrap_or(0);
        out.push(d(ReportFigure::Outcome, Some(o.as_str().into()), None, None, format!("outcome {o}"), n));
    }
    for q in &r.by_queue {
        out.push(d(
            ReportFigure::Opened,
            None,
            Some(q.queue.clone()),
            None,
            format!("opened in queue {}", q.queue),
            q.figures.opened,
        ));
    }
    for a in &r.by_agent {
        let who = a.agent_id.map(|i| i.to_string()).unwrap_or_else(|| "none".into());
        let name = a.name.clone().unwrap_or_else(|| "nobody".into());
        out.push(d(ReportFigure::Opened, None, None, Some(who), format!("opened, {name}'s"), a.figures.opened));
    }
    for k in &r.root_causes {
        out.push(d(
            ReportFigure::RootCause,
            Some(k.key.clone()),
            None,
            None,
            format!("root cause “{}”", k.key),
            k.count,
        ));
    }
    for k in &r.contact_reasons {
        out.push(d(
            ReportFigure::ContactReason,
            Some(k.key.clone()),
            None,
            None,
            format!("about “{}”", k.key),
            k.count,
        ));
    }
    out
}

/// The report periods to cycle through, in days.
pub const PERIODS: [i64; 3] = [7, 30, 90];

/// Opens the report.
pub fn open(app: &mut App) -> Vec<Cmd> {
    app.go(View::Report);
    vec![load(app)]
}

/// Asks for the report of the chosen period and team.
fn load(app: &App) -> Cmd {
    Cmd::LoadReport { days: PERIODS[app.lead.period % PERIODS.len()], team: app.lead.report_team.clone() }
}

/// The server's answer.
pub fn loaded(app: &mut App, r: Result<Box<SummaryReport>, String>) -> Vec<Cmd> {
    match r {
        Ok(r) => {
            app.lead.report_selected = app.lead.report_selected.min(drill_rows(&r).len().saturating_sub(1));
            app.lead.report = Some(*r);
            app.lead.report_error = None;
        }
        Err(e) => app.lead.report_error = Some(e),
    }
    vec![]
}

/// A key of the report.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let l = &mut app.lead;
    let rows = l.report.as_ref().map(drill_rows).unwrap_or_default();
    match a {
        Action::Down => {
            l.report_selected = (l.report_selected + 1).min(rows.len().saturating_sub(1));
            return vec![];
        }
        Action::Up => {
            l.report_selected = l.report_selected.saturating_sub(1);
            return vec![];
        }
        Action::Open => {
            let (Some(r), Some(drill)) = (&l.report, rows.get(l.report_selected).cloned()) else { return vec![] };
            let cmd =
                Cmd::LoadReportCases { from: r.from, to: r.to, team: l.report_team.clone(), drill: drill.clone() };
            l.closed.clear();
            l.closed_selected = 0;
            l.closed_error = None;
            l.closed_title = Some(format!("Cases behind: {} ({})", drill.label, drill.count));
            app.go(View::Closed);
            return vec![cmd];
        }
        Action::NextPeriod => l.period = (l.period + 1) % PERIODS.len(),
        Action::NextTeam => {
            let teams = &app.teams;
            l.report_team = match &l.report_team {
                None => teams.first().cloned(),
                Some(t) => teams.iter().skip_while(|x| *x != t).nth(1).cloned(),
            };
        }
        Action::Refresh => {}
        _ => return vec![],
    }
    vec![load(app)]
}

/// The quality score and its trend: "86 % ↑4".
fn quality(f: &crate::wire::leads::Figures) -> String {
    match (f.quality_average, f.quality_previous) {
        (Some(q), Some(p)) if (q - p).round() != 0.0 => {
            format!("{q:.0} % {}{:.0}", if q > p { "↑" } else { "↓" }, (q - p).abs())
        }
        (Some(q), _) => format!("{q:.0} %"),
        (None, _) => "—".into(),
    }
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

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let l = &app.lead;
    let days = PERIODS[l.period % PERIODS.len()];
    let team = l.report_team.clone().unwrap_or_else(|| "all your teams".into());
    let title = format!("Report · last {days} days · {team} · d period · t team · r recount");
    let b = block(&title, theme, true);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(r) = &l.report else {
        let text = match &l.report_error {
            Some(e) => Line::styled(format!("Could not make the report: {e}"), theme.fg(Slot::Error)),
            None => Line::styled("Counting…", theme.fg(Slot::TextMuted)),
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    };
    let t = &r.total;
    let [figures, charts, tables] =
        Layout::vertical([Constraint::Length(6), Constraint::Length(9), Constraint::Min(3)]).areas::<3>(inner);
    let num = |k: &str, v: String, slot: Slot| {
        vec![Span::styled(format!("{k} "), theme.fg(Slot::TextMuted)), Span::styled(format!("{v:<10}"), theme.fg(slot))]
    };
    let fu = &t.followups;
    let lines = vec![
        Line::from(
            [
                num("opened", t.opened.to_string(), Slot::Text),
                num("resolved", t.resolved.to_string(), Slot::Text),
                num("median handle", duration(t.median_handle_secs), Slot::Text),
                num(
                    "SLA breaches",
                    t.sla_breaches.to_string(),
                    if t.sla_breaches > 0 { Slot::Sla(SlaState::Breached) } else { Slot::Sla(SlaState::Ok) },
                ),
            ]
            .concat(),
        ),
        Line::from(
            [
                num("RASA followed", pct(t.rasa_completion_rate), Slot::Text),
                num("CSAT", t.csat_average.map(|c| format!("{c:.2}/5")).unwrap_or("—".into()), Slot::Text),
                num("NPS", t.nps.map(|n| format!("{n:+.0}")).unwrap_or("—".into()), Slot::Text),
                num("quality", quality(t), Slot::Text),
                num(
                    "agree",
                    r.calibration.map(|c| format!("{:.0}%/{}", c * 100.0, r.calibrated_cases)).unwrap_or("—".into()),
                    Slot::TextMuted,
                ),
            ]
            .concat(),
        ),
        Line::from(
            [
                num("follow-ups on time", fu.on_time.to_string(), Slot::Sla(SlaState::Ok)),
                num("late", fu.late.to_string(), Slot::Sla(SlaState::AtRisk)),
                num(
                    "overdue",
                    fu.overdue.to_string(),
                    if fu.overdue > 0 { Slot::Sla(SlaState::Breached) } else { Slot::TextMuted },
                ),
                num("upcoming", fu.upcoming.to_string(), Slot::TextMuted),
            ]
            .concat(),
        ),
    ];
    let mut lines = lines;
    if let Some(d) = drill_rows(r).get(l.report_selected) {
        lines.push(Line::from(vec![
            Span::styled("▶ ", theme.fg(Slot::Info)),
            Span::styled(format!("{} ({})", d.label, d.count), theme.selection()),
            Span::styled("  Enter: its cases · j/k: another figure or row", theme.fg(Slot::TextMuted)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), figures);

    // Outcome mix as bars; daily volume and CSAT as sparklines.
    let [mix, trends] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas::<2>(charts);
    let max = t.outcomes.values().copied().max().unwrap_or(0);
    let width = (mix.width as usize).saturating_sub(22).max(4);
    let mut lines = vec![Line::styled("Outcome mix", theme.fg(Slot::Title).add_modifier(Modifier::BOLD))];
    for o in crate::domain::case::Outcome::ALL {
        let n = t.outcomes.get(o.as_str()).copied().unwrap_or(0);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", o.as_str()), theme.fg(Slot::TextMuted)),
            Span::styled(bar(n, max, width), theme.fg(Slot::Outcome(*o))),
            Span::styled(format!(" {n}"), theme.fg(Slot::Text)),
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
            "{:<16}{:>8}{:>9}{:>14}{:>10}{:>8}{:>8}{:>11}",
            "", "opened", "resolved", "median", "breaches", "RASA", "CSAT", "quality"
        ),
        theme.fg(Slot::TextMuted),
    )];
    let row = |name: String, f: &crate::wire::leads::Figures| {
        Line::styled(
            format!(
                "{:<16}{:>8}{:>9}{:>14}{:>10}{:>8}{:>8}{:>11}",
                name,
                f.opened,
                f.resolved,
                duration(f.median_handle_secs),
                f.sla_breaches,
                pct(f.rasa_completion_rate),
                f.csat_average.map(|c| format!("{c:.1}")).unwrap_or("—".into()),
                quality(f)
            ),
            theme.fg(Slot::Text),
        )
    };
    for q in &r.by_queue {
        lines.push(row(format!("queue {}", q.queue), &q.figures));
    }
    for a in &r.by_agent {
        lines.push(row(a.name.clone().unwrap_or_else(|| "(unassigned)".into()), &a.figures));
    }
    // Wide: the rankings beside the table; narrow: below it.
    let [per, why] = if tables.width >= 120 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas::<2>(tables)
    } else {
        let h = (lines.len() as u16).min(tables.height / 2);
        Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas::<2>(tables)
    };
    frame.render_widget(Paragraph::new(lines), per);

    // What customers came about and why it happened, most first, against the period before.
    let mut lines = Vec::new();
    let w = why.width as usize;
    for (title, ranked) in [("Root causes", &r.root_causes), ("Contact reasons", &r.contact_reasons)] {
        lines.push(Line::styled(
            format!("{title} (vs the period before)"),
            theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
        ));
        if ranked.is_empty() {
            lines.push(Line::styled("none recorded", theme.fg(Slot::TextMuted)));
        }
        for k in ranked.iter().take(5) {
            let (trend, slot) = match k.count - k.previous {
                0 => ("=".to_string(), Slot::TextMuted),
                d if d > 0 => (format!("↑{d}"), Slot::Sla(SlaState::AtRisk)),
                d => (format!("↓{}", -d), Slot::Sla(SlaState::Ok)),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:>4} ", k.count), theme.fg(Slot::Text)),
                Span::styled(format!("{trend:<5}"), theme.fg(slot)),
                Span::styled(crate::console::widgets::fit(&k.key, w.saturating_sub(10)), theme.fg(Slot::Text)),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), why);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::update;
    use crate::console::msg::Msg;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn enter_on_a_root_cause_opens_exactly_its_cases() {
        let mut app = crate::console::testing::lead_scene();
        app.stack.push(View::Report);
        let r = app.lead.report.clone().expect("the scene has a report");
        let rows = drill_rows(&r);
        let at = rows.iter().position(|d| d.figure == ReportFigure::RootCause).unwrap();
        assert_eq!(rows[0].label, "opened in the period");
        for _ in 0..at {
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)));
        }
        let cmds = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        match &cmds[..] {
            [Cmd::LoadReportCases { from, to, drill, .. }] => {
                assert_eq!((*from, *to), (r.from, r.to), "the very period shown");
                assert_eq!(
                    (drill.figure, drill.key.as_deref()),
                    (ReportFigure::RootCause, Some("carrier lost the parcel"))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(app.view(), View::Closed);
        assert_eq!(app.lead.closed_title.as_deref(), Some("Cases behind: root cause “carrier lost the parcel” (7)"));
        // Back, and past the last row the selection stays on it.
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        for _ in 0..100 {
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)));
        }
        assert_eq!(app.lead.report_selected, rows.len() - 1);
    }
}
