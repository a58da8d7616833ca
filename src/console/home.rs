//! Home: the agent's open cases and the follow-ups waiting, as the local store has them (so it
//! works offline), each with who it is about; cases with their SLA clock's time left, under
//! column headings, sorted by due time, priority, age or customer (`s`). Enter opens a case,
//! `t` its customer's timeline, `n` starts a case.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use uuid::Uuid;

use super::app::App;
use super::forms::Form;
use super::keymap::Action;
use super::list::move_in;
use super::mode::View;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, fit, relative, window_start};
use crate::domain::case::{Case, Channel};
use crate::domain::customer::Customer;
use crate::domain::followup::FollowUp;
use crate::domain::sla::{next_due, short_span, sla_state, SlaState};
use crate::local::overlay::Synced;

/// How home's cases are ordered (`s` cycles).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum HomeSort {
    /// The running SLA clock's due time, soonest (or most late) first.
    #[default]
    Due,
    /// Urgent first, then by due time.
    Priority,
    /// Oldest first.
    Age,
    /// By the customer's name.
    Customer,
}

impl HomeSort {
    fn next(self) -> HomeSort {
        match self {
            HomeSort::Due => HomeSort::Priority,
            HomeSort::Priority => HomeSort::Age,
            HomeSort::Age => HomeSort::Customer,
            HomeSort::Customer => HomeSort::Due,
        }
    }

    fn label(self) -> &'static str {
        match self {
            HomeSort::Due => "due",
            HomeSort::Priority => "priority",
            HomeSort::Age => "age",
            HomeSort::Customer => "customer",
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct HomeState {
    /// The local store has answered at least once.
    pub loaded: bool,
    /// Every active case the local store has (each view picks its own).
    pub all: Vec<Synced<Case>>,
    /// The cases of the view in front, sorted.
    pub cases: Vec<Synced<Case>>,
    /// The view in front (an index into the app's views), and how many cases each shows.
    pub view: usize,
    pub counts: Vec<usize>,
    pub followups: Vec<Synced<FollowUp>>,
    /// The customers of these cases and follow-ups, as far as the local store knows them.
    pub customers: HashMap<Uuid, Customer>,
    /// The subjects of the follow-ups' cases.
    pub subjects: HashMap<Uuid, String>,
    pub sort: HomeSort,
    pub selected: usize,
}

/// What the local store answered for home.
#[derive(Debug, Default, Clone)]
pub struct HomeData {
    pub cases: Vec<Synced<Case>>,
    pub followups: Vec<Synced<FollowUp>>,
    pub customers: HashMap<Uuid, Customer>,
    pub subjects: HashMap<Uuid, String>,
}

impl HomeState {
    /// The customer's name, or a stand-in until the sync has read it.
    pub fn customer_name(&self, id: Uuid) -> &str {
        self.customers.get(&id).map(|c| c.display_name.as_str()).unwrap_or("…")
    }

    /// Orders the cases as `sort` says, keeping the selected case selected.
    pub fn sort_cases(&mut self, now: DateTime<Utc>) {
        let keep = self.cases.get(self.selected).map(|c| c.value.id);
        let far = now + chrono::Duration::days(36_500);
        let due = |c: &Case| next_due(c).unwrap_or(far);
        match self.sort {
            HomeSort::Due => self.cases.sort_by_key(|c| (due(&c.value), std::cmp::Reverse(c.value.priority))),
            HomeSort::Priority => self.cases.sort_by_key(|c| (std::cmp::Reverse(c.value.priority), due(&c.value))),
            HomeSort::Age => self.cases.sort_by_key(|c| (c.value.created_at, c.value.id)),
            HomeSort::Customer => {
                let customers = &self.customers;
                let name = |c: &Case| customers.get(&c.customer_id).map(|x| x.display_name.to_lowercase());
                self.cases.sort_by_cached_key(|c| (name(&c.value).is_none(), name(&c.value), due(&c.value)));
            }
        }
        if let Some(k) = keep {
            self.selected = self.cases.iter().position(|c| c.value.id == k).unwrap_or(0);
        }
    }
}

/// The local store's answer: the open cases and follow-ups (soonest due first), with who
/// they are about.
pub fn loaded(app: &mut App, data: HomeData) -> Vec<Cmd> {
    app.home.all = data.cases;
    app.home.followups = data.followups;
    app.home.customers = data.customers;
    app.home.subjects = data.subjects;
    app.home.followups.sort_by_key(|f| f.value.due_at);
    app.home.loaded = true;
    show_view(app);
    app.followup_selected = app.followup_selected.min(app.home.followups.len().saturating_sub(1));
    vec![]
}

/// Picks the cases of the view in front (keeping the selected case selected) and counts each
/// view's.
pub fn show_view(app: &mut App) {
    let (me, now) = (app.me_id, app.now);
    let home = &mut app.home;
    home.view = home.view.min(app.views.len().saturating_sub(1));
    let keep = home.cases.get(home.selected).map(|c| c.value.id);
    home.counts =
        app.views.iter().map(|v| home.all.iter().filter(|c| v.shows(&c.value, me, &app.teams, now)).count()).collect();
    home.cases = match app.views.get(home.view) {
        Some(v) => home.all.iter().filter(|c| v.shows(&c.value, me, &app.teams, now)).cloned().collect(),
        None => home.all.clone(),
    };
    home.selected = keep.and_then(|k| home.cases.iter().position(|c| c.value.id == k)).unwrap_or(0);
    home.sort_cases(now);
    home.selected = home.selected.min(home.cases.len().saturating_sub(1));
}

/// A key of the home view.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page();
    match a {
        Action::Open => {
            if let Some(id) = app.home.cases.get(app.home.selected).map(|c| c.value.id) {
                return app.open_case(id);
            }
        }
        Action::OpenTimeline => {
            if let Some(c) = app.home.cases.get(app.home.selected) {
                let id = c.value.customer_id;
                // Named properly once the card arrives (Msg::Card).
                let stub = app.home.customers.get(&id).cloned().unwrap_or_else(|| {
                    Customer::named(id, &format!("customer of “{}”", c.value.subject), c.value.created_at)
                });
                return super::timeline::open(app, stub);
            }
        }
        Action::NewCase => {
            app.search_for_new_case = true;
            app.go(View::Search);
        }
        Action::Sort => {
            app.home.sort = app.home.sort.next();
            app.home.sort_cases(app.now);
        }
        Action::NextView | Action::PrevView => {
            let n = app.views.len().max(1);
            let step = if a == Action::NextView { 1 } else { n - 1 };
            app.home.view = (app.home.view + step) % n;
            app.home.selected = 0;
            show_view(app);
        }
        Action::Queues => return super::lead::queues::open(app),
        Action::Report => return super::lead::report::open(app),
        a => move_in(&mut app.home.selected, app.home.cases.len(), a, page),
    }
    vec![]
}

/// Opens the new-case form for a customer.
pub fn new_case(app: &mut App, customer: &Customer) -> Vec<Cmd> {
    app.open_form(Form::new_case(customer.id, &customer.display_name, &Default::default()))
}

/// The columns of home's cases at a width: (heading, columns) of the fixed ones; the subject
/// takes what is left.
struct Columns {
    wide: bool,
    customer: usize,
}

impl Columns {
    fn at(width: usize) -> Columns {
        let wide = width >= 110;
        Columns { wide, customer: if wide { 22 } else { 16 } }
    }
}

/// "late 2h 05m", "risk 25m", "ok 3h 12m", "paused": the running clock, as the SLA column
/// shows it — the time left counted in the case's business hours (`schedule`; the calendar
/// without one).
pub fn sla_cell(
    case: &Case,
    now: DateTime<Utc>,
    schedule: Option<&crate::domain::schedule::Schedule>,
) -> (String, Slot) {
    let state = sla_state(case, now);
    if state != SlaState::Breached && super::hours::paused(case) {
        return ("paused".to_string(), Slot::Sla(state));
    }
    let left = next_due(case).map(|due| super::hours::left(schedule, now, due));
    let text = match (state, left) {
        (SlaState::Breached, Some(l)) if l < chrono::Duration::zero() => format!("late {}", short_span(l)),
        (SlaState::Breached, _) => "breached".to_string(),
        (SlaState::AtRisk, Some(l)) => format!("risk {}", short_span(l)),
        (SlaState::Ok, Some(l)) => format!("ok {}", short_span(l)),
        (_, None) => "–".to_string(),
    };
    (text, Slot::Sla(state))
}

/// A case's age as a short span: "40m", "30h", "3d".
fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let m = (now - at).num_minutes().max(0);
    match m {
        0..=59 => format!("{m}m"),
        60..=2879 => format!("{}h", m / 60),
        _ => format!("{}d", m / 1440),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [cases, follow] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas::<2>(area);
    let home = &app.home;
    let width = cases.width.saturating_sub(2) as usize;
    let cols = Columns::at(width);
    // The views' tabs and the headings take a row each.
    let inner_h = cases.height.saturating_sub(4) as usize;
    let start = window_start(home.selected, inner_h);
    let mut tabs: Vec<Span> = Vec::new();
    for (i, v) in app.views.iter().enumerate() {
        let count = home.counts.get(i).copied().unwrap_or(0);
        let text = format!(" {} {count} ", v.name);
        tabs.push(if i == home.view {
            Span::styled(text, theme.selection().add_modifier(Modifier::BOLD))
        } else {
            Span::styled(text, theme.fg(Slot::TextMuted))
        });
        tabs.push(Span::styled("│", theme.fg(Slot::Border)));
    }
    let mut lines: Vec<Line> = vec![Line::from(tabs)];
    let fixed = 13 + 7 + cols.customer + 5 + if cols.wide { 8 + 9 } else { 0 };
    let subject_w = width.saturating_sub(fixed).max(8);
    let mark = |s: HomeSort, name: &str| if home.sort == s { format!("{name}▾") } else { name.to_string() };
    let mut head = format!(
        "{}{}{}{}",
        fit(&mark(HomeSort::Due, "SLA"), 13),
        fit(&mark(HomeSort::Priority, "Pri"), 7),
        fit(&mark(HomeSort::Customer, "Customer"), cols.customer),
        fit("Subject", subject_w),
    );
    if cols.wide {
        head.push_str(&format!("{}{}", fit("Channel", 8), fit("Status", 9)));
    }
    head.push_str(&fit(&mark(HomeSort::Age, "Age"), 5));
    lines.push(Line::styled(head, theme.fg(Slot::TextMuted).add_modifier(Modifier::BOLD)));
    if home.cases.is_empty() {
        let text = if !home.loaded {
            "Loading your cases…"
        } else if home.view == 0 {
            "No open cases assigned to you. Press / to find a customer."
        } else {
            "No cases in this view. Tab shows the next one."
        };
        lines.push(Line::styled(text, theme.fg(Slot::TextMuted)));
    }
    for (i, c) in home.cases.iter().enumerate().skip(start).take(inner_h) {
        let v = &c.value;
        let selected = i == home.selected;
        let style = if selected { theme.selection() } else { theme.fg(Slot::Text) };
        let (sla, sla_slot) = sla_cell(v, app.now, app.hours.for_case(v));
        let mut subject = v.subject.clone();
        if c.waiting {
            subject = format!("⟳ {subject}");
        }
        let mut spans = vec![
            Span::styled(fit(&sla, 13), theme.fg(sla_slot)),
            Span::styled(fit(v.priority.as_str(), 7), theme.fg(Slot::Priority(v.priority))),
            Span::styled(fit(home.customer_name(v.customer_id), cols.customer - 1) + " ", style),
            Span::styled(fit(&subject, subject_w - 1) + " ", style),
        ];
        if cols.wide {
            spans.push(Span::styled(fit(v.channel.as_str(), 8), theme.fg(Slot::Info)));
            spans.push(Span::styled(fit(v.status.as_str(), 9), theme.fg(Slot::Status(v.status))));
        }
        spans.push(Span::styled(fit(&age(app.now, v.created_at), 5), theme.fg(Slot::TextMuted)));
        lines.push(Line::from(spans));
    }
    let title = format!("Cases · by {} · s sorts · Tab next view · ? keys", home.sort.label());
    frame.render_widget(Paragraph::new(lines).block(block(&title, theme, true)), cases);

    let mut lines: Vec<Line> = Vec::new();
    if home.followups.is_empty() {
        lines.push(Line::styled("No follow-ups waiting.", theme.fg(Slot::TextMuted)));
    }
    let fw = follow.width.saturating_sub(2) as usize;
    for f in home.followups.iter().take(follow.height.saturating_sub(2) as usize) {
        let v = &f.value;
        let overdue = v.due_at < app.now;
        let note = if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() };
        let who = home.customer_name(v.customer_id);
        let contact = home.customers.get(&v.customer_id).and_then(|c| contact_for(c, v.channel)).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                fit(&relative(app.now, v.due_at), 10),
                theme.fg(if overdue { Slot::Error } else { Slot::TextMuted }),
            ),
            Span::styled(fit(v.channel.as_str(), 7), theme.fg(Slot::Info)),
            Span::styled(fit(who, cols.customer - 1) + " ", theme.fg(Slot::Text)),
            Span::styled(fit(&contact, 18), theme.fg(Slot::TextMuted)),
            Span::styled(fit(&note, fw.saturating_sub(35 + cols.customer)), theme.fg(Slot::Text)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block("Follow-ups due · F all of them", theme, false)), follow);
}

/// How to reach a customer on a channel: the phone number for a call-back, the email for an
/// email; the first known contact else.
pub fn contact_for(c: &Customer, channel: Channel) -> Option<String> {
    let phone = c.phones.first();
    let email = c.emails.first();
    match channel {
        Channel::Phone => phone.or(email),
        _ => email.or(phone),
    }
    .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testing::{agent_scene, id};

    fn order(app: &App) -> Vec<u128> {
        app.home.cases.iter().map(|c| c.value.id.as_u128()).collect()
    }

    #[test]
    fn s_sorts_by_due_priority_age_and_customer_keeping_the_selection() {
        let mut app = agent_scene();
        // Due: the late one, the one at risk, then by time left.
        assert_eq!(order(&app), [11, 12, 10, 13]);
        app.home.selected = 2; // "Parcel never arrived"
        key(&mut app, Action::Sort);
        assert_eq!((app.home.sort, order(&app)), (HomeSort::Priority, vec![10, 11, 12, 13]));
        assert_eq!(app.home.cases[app.home.selected].value.id, id(10), "the selection follows its case");
        key(&mut app, Action::Sort);
        assert_eq!((app.home.sort, order(&app)), (HomeSort::Age, vec![13, 11, 12, 10]));
        // By customer: a case whose customer is not known yet goes last.
        let mut other = app.home.cases[0].clone();
        other.value.id = id(14);
        other.value.customer_id = id(2);
        app.home.cases.push(other);
        let mut anna = app.home.customers[&id(1)].clone();
        (anna.id, anna.display_name) = (id(3), "Anna Rossi".into());
        app.home.cases[1].value.customer_id = id(3);
        app.home.customers.insert(id(3), anna);
        key(&mut app, Action::Sort);
        assert_eq!(app.home.sort, HomeSort::Customer);
        assert_eq!(order(&app).first(), Some(&11), "Anna before Zoe");
        assert_eq!(order(&app).last(), Some(&14), "the unknown customer last");
        key(&mut app, Action::Sort);
        assert_eq!(app.home.sort, HomeSort::Due);
    }

    #[test]
    fn tab_goes_through_the_views_each_with_its_count() {
        let mut app = agent_scene();
        let mut free = app.home.all[0].clone();
        (free.value.id, free.value.assignee_id) = (id(15), None);
        let mut elsewhere = free.clone();
        (elsewhere.value.id, elsewhere.value.team) = (id(16), "billing".into());
        app.home.all.extend([free, elsewhere]);
        show_view(&mut app);
        assert_eq!(app.home.counts, [4, 2, 1, 1], "mine, at risk, unassigned in my team, waiting");
        key(&mut app, Action::NextView);
        assert_eq!((app.home.view, order(&app)), (1, vec![11, 12]), "at risk: the late one, then the one at risk");
        key(&mut app, Action::NextView);
        assert_eq!(order(&app), [15], "unassigned, in my team only");
        key(&mut app, Action::PrevView);
        key(&mut app, Action::PrevView);
        key(&mut app, Action::PrevView);
        assert_eq!(app.home.view, 3, "back round to the last view");
        assert_eq!(order(&app), [11], "waiting on the customer: the pending one");
    }

    #[test]
    fn the_sla_cell_says_how_late_or_how_long_is_left() {
        let app = agent_scene();
        let cells: Vec<String> = app.home.cases.iter().map(|c| sla_cell(&c.value, app.now, None).0).collect();
        assert_eq!(cells, ["late 22h 00m", "risk 1h 00m", "ok 2h 00m", "ok 22h 00m"]);
        let mut done = app.home.cases[0].value.clone();
        done.resolution = Some(crate::domain::case::Resolution {
            summary: "s".into(),
            root_cause: vec![],
            outcome: crate::domain::case::Outcome::Positive,
            rasa_incomplete_reason: None,
            resolved_by: id(9),
            resolved_at: app.now,
        });
        assert_eq!(sla_cell(&done, app.now, None).0, "breached", "resolved late: no clock runs, the state stays");
    }

    #[test]
    fn a_call_back_shows_the_phone_an_email_the_address() {
        let app = agent_scene();
        let zoe = &app.home.customers[&id(1)];
        assert_eq!(contact_for(zoe, Channel::Phone).as_deref(), Some("+393331234567"));
        assert_eq!(contact_for(zoe, Channel::Email).as_deref(), Some("zoe.q@example.com"));
        let mut no_phone = zoe.clone();
        no_phone.phones.clear();
        assert_eq!(contact_for(&no_phone, Channel::Phone).as_deref(), Some("zoe.q@example.com"));
    }
}
