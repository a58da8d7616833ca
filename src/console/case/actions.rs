//! Case actions from the case view, each a short list over the case: the status (only the
//! moves the case's state machine allows; resolving has its own form, `R`), the priority (leads),
//! a hand-over to a teammate or back to the queue (then the note editor opens to say why), and
//! a snooze — the case waits as pending and a follow-up brings it back to the agent's home at the
//! time chosen. Written through the outbox like all case work, so they work offline and settle
//! as conflicts when someone else changed the case first. The options are plain functions of the
//! case, the team and the clock, tested without a terminal.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use uuid::Uuid;

use super::workspace::{Typing, NOTE_PLACEHOLDER};
use crate::console::app::App;
use crate::console::forms::{text_area, text_of};
use crate::console::keymap::Action;
use crate::console::msg::{Cmd, Write};
use crate::console::theme::{Slot, Theme};
use crate::console::widgets::block;
use crate::domain::agent::Agent;
use crate::domain::case::{Case, CaseStatus, Priority};
use crate::domain::due::tomorrow_morning;
use crate::wire::requests::{NewFollowUpRequest, PatchCaseRequest};

/// What is being chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choosing {
    Status,
    Priority,
    HandOver,
    Snooze,
    Macro,
}

impl Choosing {
    fn title(self) -> &'static str {
        match self {
            Choosing::Status => "Status",
            Choosing::Priority => "Priority",
            Choosing::HandOver => "Hand over to",
            Choosing::Snooze => "Snooze (pending) until",
            Choosing::Macro => "Insert a macro",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Status(CaseStatus),
    Priority(Priority),
    /// An agent (id, name), or back to the queue.
    Assign(Option<(Uuid, String)>),
    /// Another team: the case goes to its queue (the queue of the team's name).
    Move(String),
    Snooze(DateTime<Utc>),
    Macro(Box<crate::domain::macros::Macro>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub label: String,
    pub pick: Pick,
}

/// A choice open over the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub what: Choosing,
    pub options: Vec<Opt>,
    pub selected: usize,
}

/// The statuses a case may move to from the case view: the state machine's moves but the
/// ones that need a resolution (`R` resolves).
pub fn status_options(case: &Case) -> Vec<Opt> {
    CaseStatus::ALL
        .iter()
        .filter(|s| **s != case.status && case.status.can_become(**s))
        .filter(|s| !matches!(s, CaseStatus::Resolved | CaseStatus::Closed) || case.resolution.is_some())
        .map(|s| Opt { label: s.as_str().to_string(), pick: Pick::Status(*s) })
        .collect()
}

pub fn priority_options(case: &Case) -> Vec<Opt> {
    Priority::ALL
        .iter()
        .rev()
        .filter(|p| **p != case.priority)
        .map(|p| Opt { label: p.as_str().to_string(), pick: Pick::Priority(*p) })
        .collect()
}

/// Who the case can go to: the agents of its team (not its assignee), by name, then back to the
/// queue when it has an assignee, then the other teams the agents work in (to their queue).
pub fn handover_options(case: &Case, agents: &[Agent]) -> Vec<Opt> {
    let mut team: Vec<&Agent> =
        agents.iter().filter(|a| a.in_team(&case.team) && Some(a.id) != case.assignee_id).collect();
    team.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Opt> = team
        .into_iter()
        .map(|a| Opt { label: format!("{} ({})", a.name, a.role), pick: Pick::Assign(Some((a.id, a.name.clone()))) })
        .collect();
    if case.assignee_id.is_some() {
        out.push(Opt { label: format!("back to the {} queue (unassigned)", case.queue), pick: Pick::Assign(None) });
    }
    let mut teams: Vec<&String> = agents.iter().flat_map(|a| a.teams.iter()).filter(|t| **t != case.team).collect();
    teams.sort();
    teams.dedup();
    out.extend(
        teams.into_iter().map(|t| Opt { label: format!("to team {t} (its queue)"), pick: Pick::Move(t.clone()) }),
    );
    out
}

/// When a snoozed case comes back: in an hour, this afternoon (before 14:00), tomorrow
/// morning, Monday morning — in the agent's time zone.
pub fn snooze_options(now: DateTime<Utc>, tz: FixedOffset) -> Vec<Opt> {
    let local = now.with_timezone(&tz);
    let at = |t: DateTime<Utc>| t.with_timezone(&tz).format("%a %d %b %H:%M").to_string();
    let mut out = vec![Opt {
        label: format!("in 1 hour ({})", at(now + Duration::hours(1))),
        pick: Pick::Snooze(now + Duration::hours(1)),
    }];
    let afternoon = local.date_naive().and_hms_opt(14, 0, 0).and_then(|t| t.and_local_timezone(tz).single());
    if let Some(a) = afternoon.map(|a| a.with_timezone(&Utc)).filter(|a| *a > now + Duration::minutes(90)) {
        out.push(Opt { label: format!("this afternoon ({})", at(a)), pick: Pick::Snooze(a) });
    }
    let tomorrow = tomorrow_morning(now, tz);
    out.push(Opt { label: format!("tomorrow morning ({})", at(tomorrow)), pick: Pick::Snooze(tomorrow) });
    // 1 on a Sunday … 7 on a Monday (next week's).
    let days_to_monday = 7 - local.weekday().num_days_from_monday();
    let monday = tomorrow_morning(now + Duration::days(i64::from(days_to_monday) - 1), tz);
    if monday > tomorrow {
        out.push(Opt { label: format!("Monday morning ({})", at(monday)), pick: Pick::Snooze(monday) });
    }
    out
}

/// Opens a choice over the case in the case view (or says why there is none).
pub fn open(app: &mut App, what: Choosing) -> Vec<Cmd> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone()) else {
        return vec![];
    };
    let options = match what {
        Choosing::Status => status_options(&case),
        Choosing::Priority if !app.lead_mode => {
            app.say(true, format!("Only a lead of team {} changes a case's priority: ask one.", case.team));
            return vec![];
        }
        Choosing::Priority => priority_options(&case),
        Choosing::HandOver => handover_options(&case, &app.agents),
        Choosing::Snooze => snooze_options(app.now, app.tz.0),
        Choosing::Macro => {
            let step = app.work.as_ref().map(|w| w.step).unwrap_or(crate::domain::rasa::RasaStep::Receive);
            let vars = crate::console::macros::vars(app);
            crate::console::macros::offered(app, step)
                .into_iter()
                .map(|(origin, m)| {
                    let preview: String = m.render(&vars).chars().take(60).collect();
                    let label = if preview == m.title {
                        format!("{:<5} {}", origin.mark(), m.title)
                    } else {
                        format!("{:<5} {} — {preview}", origin.mark(), m.title)
                    };
                    Opt { label, pick: Pick::Macro(Box::new(m)) }
                })
                .collect()
        }
    };
    if options.is_empty() {
        let why = match what {
            Choosing::Status => format!("A {} case moves no further from here: R resolves it.", case.status),
            Choosing::Macro => "No macros in your language yet: an admin loads the team's with `casebook macros load`; yours go in macros.toml in the config dir.".to_string(),
            Choosing::HandOver if app.agents.is_empty() => {
                "The team is not known on this computer yet: connect once (r syncs), then hand over.".to_string()
            }
            _ => format!("No one else in team {} to hand the case to.", case.team),
        };
        app.say(true, why);
        // The team list may have changed: read it again for next time.
        return if what == Choosing::HandOver { vec![Cmd::LoadAgents] } else { vec![] };
    }
    if let Some(w) = app.work.as_mut() {
        w.choice = Some(Choice { what, options, selected: 0 });
    }
    if what == Choosing::HandOver {
        vec![Cmd::LoadAgents]
    } else {
        vec![]
    }
}

/// A key while a choice is open.
pub fn key(app: &mut App, a: Action) -> Vec<Cmd> {
    let Some(w) = app.work.as_mut() else { return vec![] };
    let Some(choice) = w.choice.as_mut() else { return vec![] };
    match a {
        Action::Down => choice.selected = (choice.selected + 1).min(choice.options.len().saturating_sub(1)),
        Action::Up => choice.selected = choice.selected.saturating_sub(1),
        Action::Close => w.choice = None,
        Action::Apply => {
            let pick = choice.options.get(choice.selected).map(|o| o.pick.clone());
            w.choice = None;
            if let Some(pick) = pick {
                return apply(app, pick);
            }
        }
        _ => {}
    }
    vec![]
}

/// A change to `case` that changes nothing yet: the revision the agent saw, every field left.
fn unchanged(case: &Case) -> PatchCaseRequest {
    PatchCaseRequest {
        revision: case.revision,
        status: None,
        priority: None,
        assignee_id: None,
        tags: None,
        queue: None,
    }
}

/// The writes a choice makes.
fn apply(app: &mut App, pick: Pick) -> Vec<Cmd> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone()) else {
        return vec![];
    };
    let write = match pick {
        Pick::Status(s) => Write::Case {
            case: case.id,
            change: PatchCaseRequest { status: Some(s), ..unchanged(&case) },
            said: format!("Status: {s}."),
        },
        Pick::Priority(p) => Write::Case {
            case: case.id,
            change: PatchCaseRequest { priority: Some(p), ..unchanged(&case) },
            said: format!("Priority: {p}."),
        },
        Pick::Move(team) => {
            start_note(app, &format!("Handed over to team {team}: "));
            Write::Case {
                case: case.id,
                change: PatchCaseRequest { queue: Some(team.clone()), ..unchanged(&case) },
                said: format!("Handed over to team {team}: say why in the note (Ctrl-s adds it)."),
            }
        }
        Pick::Assign(to) => {
            let said = match &to {
                Some((_, name)) => format!("Handed over to {name}: say why in the note (Ctrl-s adds it)."),
                None => format!("Back to the {} queue: say why in the note (Ctrl-s adds it).", case.queue),
            };
            let start = match &to {
                Some((_, name)) => format!("Handed over to {name}: "),
                None => "Back to the queue: ".to_string(),
            };
            start_note(app, &start);
            Write::Case {
                case: case.id,
                change: PatchCaseRequest { assignee_id: Some(to.map(|(id, _)| id)), ..unchanged(&case) },
                said,
            }
        }
        Pick::Macro(m) => return insert_macro(app, &case, &m),
        Pick::Snooze(until) => {
            let pending = (case.status != CaseStatus::Pending && case.status.can_become(CaseStatus::Pending))
                .then(|| PatchCaseRequest { status: Some(CaseStatus::Pending), ..unchanged(&case) });
            let followup = NewFollowUpRequest {
                case_id: Some(case.id),
                customer_id: None,
                assignee_id: None,
                due_at: until,
                channel: Some(case.channel),
                note: format!("Snoozed: pick up “{}” again", case.subject),
            };
            let at = until.with_timezone(&app.tz.0).format("%a %d %b %H:%M");
            Write::CaseAndFollowUp {
                case: case.id,
                change: pending,
                followup,
                said: format!("Snoozed until {at}: it comes back then."),
            }
        }
    };
    vec![Cmd::Write { write, clear: vec![] }]
}

/// The note that goes with a hand-over, started for the agent to finish (unless one is being
/// written already).
fn start_note(app: &mut App, start: &str) {
    if let Some(w) = app.work.as_mut().filter(|w| text_of(&w.note).trim().is_empty()) {
        w.note = text_area(start, NOTE_PLACEHOLDER);
        w.note.move_cursor(tui_textarea::CursorMove::End);
        w.dirty.insert("note".into());
        w.typing = Some(Typing::Note);
    }
}

/// Adds or removes a tag of the case being worked (a new tag is checked first).
pub(crate) fn set_tag(app: &mut App, name: &str, add: bool) -> Vec<Cmd> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone()) else {
        return vec![];
    };
    let mut tags = case.tags.clone();
    let name = name.trim().trim_start_matches('#').to_lowercase();
    if add {
        tags.push(name.clone());
    } else {
        tags.retain(|t| *t != name);
    }
    let tags = match crate::domain::case::check_tags(&tags) {
        Ok(t) => t,
        Err(e) => {
            app.say(true, e.message);
            return vec![];
        }
    };
    let said = if add { format!("Tagged #{name}.") } else { format!("#{name} removed.") };
    let change = PatchCaseRequest { tags: Some(tags), ..unchanged(&case) };
    vec![Cmd::Write { write: Write::Case { case: case.id, change, said }, clear: vec![] }]
}

/// A macro chosen elsewhere (the command palette), for the case being worked.
pub(crate) fn apply_macro(app: &mut App, m: &crate::domain::macros::Macro) -> Vec<Cmd> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| d.case.value.clone()) else {
        return vec![];
    };
    insert_macro(app, &case, m)
}

/// Puts a macro's text where the agent types (the step being typed, else the note, which it
/// opens), and writes what else it does: a status, a follow-up.
fn insert_macro(app: &mut App, case: &Case, m: &crate::domain::macros::Macro) -> Vec<Cmd> {
    let text = m.render(&crate::console::macros::vars(app));
    if !insert_text(app, &text) {
        return vec![];
    }
    let mut cmds = Vec::new();
    let status = m.set_status.filter(|s| *s != case.status && case.status.can_become(*s));
    let change = status.map(|s| PatchCaseRequest { status: Some(s), ..unchanged(case) });
    match m.follow_up_in() {
        Some(after) => {
            let followup = NewFollowUpRequest {
                case_id: Some(case.id),
                customer_id: None,
                assignee_id: None,
                due_at: app.now + after,
                channel: Some(case.channel),
                note: m.title.clone(),
            };
            let said =
                format!("{}: follow-up due {}.", m.title, crate::console::widgets::relative(app.now, app.now + after));
            cmds.push(Cmd::Write {
                write: Write::CaseAndFollowUp { case: case.id, change, followup, said },
                clear: vec![],
            });
        }
        None => {
            if let Some(change) = change {
                let said = format!("{}: status {}.", m.title, status.map(|s| s.to_string()).unwrap_or_default());
                cmds.push(Cmd::Write { write: Write::Case { case: case.id, change, said }, clear: vec![] });
            }
        }
    }
    cmds
}

/// Puts `text` where the agent types in the case being worked: the step being typed, else the
/// note (which it opens). False when no case is being worked.
pub(crate) fn insert_text(app: &mut App, text: &str) -> bool {
    let Some(w) = app.work.as_mut().filter(|w| w.data.is_some()) else { return false };
    match w.typing {
        Some(Typing::Step) => {
            let step = w.step;
            w.steps[step.index()].insert_str(text);
            w.dirty.insert(super::workspace::step_field(step));
        }
        _ => {
            w.note.insert_str(text);
            w.dirty.insert("note".into());
            w.typing = Some(Typing::Note);
        }
    }
    true
}

/// The open choice, over the case panel.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(choice) = app.work.as_ref().and_then(|w| w.choice.as_ref()) else { return };
    let width = choice.options.iter().map(|o| o.label.chars().count()).max().unwrap_or(10).max(40) as u16 + 6;
    let height = choice.options.len() as u16 + 3;
    let w = width.min(area.width);
    let h = height.min(area.height);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    // A long list scrolls with the selection (a page at a time).
    let rows = h.saturating_sub(3) as usize;
    let mut lines: Vec<Line> = choice
        .options
        .iter()
        .enumerate()
        .skip(crate::console::widgets::window_start(choice.selected, rows))
        .take(rows)
        .map(|(i, o)| {
            let style = if i == choice.selected { theme.selection() } else { theme.fg(Slot::Text) };
            Line::from(Span::styled(format!(" {} ", o.label), style))
        })
        .collect();
    lines.push(Line::styled(
        format!(" {}/{} · Enter chooses · Esc cancels", choice.selected + 1, choice.options.len()),
        theme.fg(Slot::TextMuted),
    ));
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block(choice.what.title(), theme, true)), r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::Role;
    use crate::domain::case::tests::sample_case;

    fn agent(name: &str, teams: &[&str]) -> Agent {
        Agent {
            id: Uuid::now_v7(),
            name: name.into(),
            role: Role::Agent,
            teams: teams.iter().map(|t| t.to_string()).collect(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn statuses_follow_the_state_machine_and_resolving_has_its_form() {
        let mut c = sample_case();
        c.status = CaseStatus::Open;
        let labels: Vec<String> = status_options(&c).into_iter().map(|o| o.label).collect();
        assert_eq!(labels, ["pending"], "open: only pending here; resolved and closed go through R");
        c.status = CaseStatus::New;
        let labels: Vec<String> = status_options(&c).into_iter().map(|o| o.label).collect();
        assert_eq!(labels, ["open", "pending"]);
        let p: Vec<String> = priority_options(&c).into_iter().map(|o| o.label).collect();
        assert!(!p.contains(&c.priority.to_string()) && p.len() == Priority::ALL.len() - 1, "{p:?}");
    }

    #[test]
    fn a_case_goes_to_a_teammate_or_back_to_the_queue() {
        let (anna, bruno, dmitri) =
            (agent("anna", &["support"]), agent("bruno", &["support"]), agent("dmitri", &["billing"]));
        let mut c = sample_case();
        c.team = "support".into();
        c.assignee_id = Some(anna.id);
        let labels: Vec<String> =
            handover_options(&c, &[dmitri.clone(), bruno.clone(), anna.clone()]).into_iter().map(|o| o.label).collect();
        assert_eq!(
            labels,
            vec![
                "bruno (agent)".to_string(),
                format!("back to the {} queue (unassigned)", c.queue),
                "to team billing (its queue)".to_string()
            ]
        );
        let last = handover_options(&c, &[dmitri, bruno.clone()]).pop().unwrap();
        assert_eq!(last.pick, Pick::Move("billing".into()));
        c.assignee_id = None;
        assert_eq!(handover_options(&c, &[anna, bruno]).len(), 2, "unassigned: either teammate, no queue line");
    }

    #[test]
    fn snoozes_come_back_at_working_times_in_the_agents_zone() {
        let tz = FixedOffset::east_opt(3600).unwrap(); // 10:00 local on a Thursday
        let now: DateTime<Utc> = "2026-11-26T09:00:00Z".parse().unwrap();
        let labels: Vec<String> = snooze_options(now, tz).into_iter().map(|o| o.label).collect();
        assert_eq!(
            labels,
            [
                "in 1 hour (Thu 26 Nov 11:00)",
                "this afternoon (Thu 26 Nov 14:00)",
                "tomorrow morning (Fri 27 Nov 09:00)",
                "Monday morning (Mon 30 Nov 09:00)"
            ]
        );
        // Sunday 20:00: no afternoon left, tomorrow is Monday already.
        let sunday: DateTime<Utc> = "2026-11-29T19:00:00Z".parse().unwrap();
        let labels: Vec<String> = snooze_options(sunday, tz).into_iter().map(|o| o.label).collect();
        assert_eq!(labels, ["in 1 hour (Sun 29 Nov 21:00)", "tomorrow morning (Mon 30 Nov 09:00)"]);
    }
}
