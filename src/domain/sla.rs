//! Service levels: how soon a case of each priority must be first answered and resolved, and
//! where a case stands against that — ok, at risk, breached. Always computed from the case's
//! due times and when it was answered and resolved; never set by hand.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::case::{default_sla, Case, CaseStatus, Priority};
use super::named_enum;
use super::schedule::Schedule;

/// A case is at risk when less than this share of a window is left (a quarter).
pub const AT_RISK_DIVISOR: i32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    Ok,
    AtRisk,
    Breached,
}
named_enum!(SlaState, "SLA state", { Ok => "ok", AtRisk => "at_risk", Breached => "breached" });

/// The service level of one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicy {
    pub priority: Priority,
    /// Seconds to the first answer.
    pub first_response_secs: i64,
    /// Seconds to the resolution.
    pub resolution_secs: i64,
}

impl SlaPolicy {
    /// The built-in policy of a priority (what a new database starts with).
    pub fn default_for(priority: Priority) -> SlaPolicy {
        let (first, resolve) = default_sla(priority);
        SlaPolicy { priority, first_response_secs: first.num_seconds(), resolution_secs: resolve.num_seconds() }
    }

    /// The due times of a case opened at `opened`.
    pub fn due(&self, opened: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (opened + Duration::seconds(self.first_response_secs), opened + Duration::seconds(self.resolution_secs))
    }
}

/// One clock: from `start` due at `due`, stopped at `stopped` (answered, resolved) if it was.
fn clock(
    start: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    stopped: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SlaState {
    let Some(due) = due else { return SlaState::Ok };
    match stopped {
        // Exactly at the due time is in time.
        Some(at) if at > due => SlaState::Breached,
        Some(_) => SlaState::Ok,
        None if now > due => SlaState::Breached,
        // Less than a quarter of the window left: at risk.
        None if (due - now) * AT_RISK_DIVISOR <= due - start => SlaState::AtRisk,
        None => SlaState::Ok,
    }
}

/// Where a case stands at `now`: the worse of its first-response and resolution clocks. A
/// resolution counts as the first answer when none was recorded before it.
pub fn sla_state(case: &Case, now: DateTime<Utc>) -> SlaState {
    let resolved_at = case.resolution.as_ref().map(|r| r.resolved_at);
    let answered = case.first_response_at.or(resolved_at);
    let first = clock(case.created_at, case.first_response_due, answered, now);
    let resolution = clock(case.created_at, case.resolution_due, resolved_at, now);
    first.max(resolution)
}

/// The clock that is running on a case, with its due time: the first answer while there is
/// none, then the resolution; `None` once resolved (or with no service level). Lists sort by
/// it and show the time left to it (negative: late by that much).
pub fn next_due(case: &Case) -> Option<DateTime<Utc>> {
    if case.resolution.is_some() {
        return None;
    }
    match case.first_response_at {
        None => case.first_response_due.or(case.resolution_due),
        Some(_) => case.resolution_due,
    }
}

/// A case's due times: the first answer's and the resolution's (`None`: no clock running).
pub type DueTimes = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A stretch of time the resolution clock stood still (the case waited on the customer): from
/// `.0` to `.1`, or still (`None`).
pub type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The pauses in a case's status history: every stretch spent `pending`. `history` is each
/// change of status in order (when, to what); `initial` the status the case was opened in.
pub fn pauses(opened: DateTime<Utc>, initial: CaseStatus, history: &[(DateTime<Utc>, CaseStatus)]) -> Vec<Pause> {
    let mut out: Vec<Pause> = Vec::new();
    let mut since = (initial == CaseStatus::Pending).then_some(opened);
    for (at, status) in history {
        match (since, *status == CaseStatus::Pending) {
            (None, true) => since = Some(*at),
            (Some(from), false) => {
                out.push((from, Some(*at)));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        out.push((from, None));
    }
    out
}

/// One clock counted in business time: `budget` of it from `start`, standing still in the
/// `pauses` (in order, not overlapping).
#[derive(Debug, Clone, Copy)]
pub struct BusinessClock<'a> {
    pub schedule: &'a Schedule,
    pub start: DateTime<Utc>,
    pub budget: Duration,
    pub pauses: &'a [Pause],
}

impl BusinessClock<'_> {
    /// Whether the clock stands still at `at`.
    pub fn paused_at(&self, at: DateTime<Utc>) -> bool {
        self.pauses.iter().any(|(a, b)| *a <= at && b.is_none_or(|b| at < b))
    }

    /// The stretches the clock runs in, from its start (the last open-ended).
    fn running(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let mut out = Vec::new();
        let mut from = Some(self.start);
        for (a, b) in self.pauses {
            let Some(f) = from else { break };
            if *a > f {
                out.push((f, Some(*a)));
            }
            from = b.map(|b| b.max(f));
        }
        if let Some(f) = from {
            out.push((f, None));
        }
        out
    }

    /// Business time the clock has run by `at`.
    pub fn used(&self, at: DateTime<Utc>) -> Duration {
        self.running()
            .into_iter()
            .map(|(a, b)| self.schedule.business_between(a, b.map_or(at, |b| b.min(at))))
            .fold(Duration::zero(), |sum, d| sum + d)
    }

    /// When the budget runs out (past or future) if the clock is not stopped again: `None`
    /// while it stands still at `now` with time left (a clock that ran out before it was
    /// paused keeps its due time: the case is late), or when the schedule never gives that much
    /// time.
    pub fn due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ran_out = self.ran_out();
        if self.paused_at(now) {
            return ran_out.filter(|t| *t <= now);
        }
        ran_out
    }

    /// When the budget runs out, counting the running stretches only.
    fn ran_out(&self) -> Option<DateTime<Utc>> {
        let mut left = self.budget;
        for (a, b) in self.running() {
            match b {
                Some(b) => {
                    let here = self.schedule.business_between(a, b);
                    if here >= left {
                        return self.schedule.add_business(a, left);
                    }
                    left -= here;
                }
                None => return self.schedule.add_business(a, left),
            }
        }
        None
    }
}

/// Where a case's clocks were counted up to when its business hours last changed: what each
/// had used by `at` (under the hours then), kept when they change, so that a new schedule
/// counts only what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockBase {
    pub at: DateTime<Utc>,
    pub first_used: Duration,
    pub resolution_used: Duration,
}

/// The pauses from `start` on (one that began before it, cut to it).
fn pauses_since(pauses: &[Pause], start: DateTime<Utc>) -> Vec<Pause> {
    pauses.iter().filter(|(_, b)| b.is_none_or(|b| b > start)).map(|(a, b)| ((*a).max(start), *b)).collect()
}

/// A case's due times under `policy` and `schedule`: the first answer counted in business time
/// from the opening; the resolution likewise, standing still in the `pauses` — `None` while
/// the case waits on the customer (the clock resumes, with the time it had left, when it is
/// taken up again). With a `base`, counted from it with what was used by then taken off.
pub fn due_times(
    opened: DateTime<Utc>,
    base: Option<ClockBase>,
    policy: &SlaPolicy,
    schedule: &Schedule,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> DueTimes {
    let (start, first_used, resolution_used) = match base {
        Some(b) => (b.at, b.first_used, b.resolution_used),
        None => (opened, Duration::zero(), Duration::zero()),
    };
    let first = schedule.add_business(start, Duration::seconds(policy.first_response_secs) - first_used);
    let pauses = pauses_since(pauses, start);
    let budget = Duration::seconds(policy.resolution_secs) - resolution_used;
    let clock = BusinessClock { schedule, start, budget, pauses: &pauses };
    (first, clock.due(now))
}

/// What a case's clocks have used by `now` under `schedule` (from its `base` when it has one):
/// the base to keep when its business hours change. The first answer's clock stops at the
/// answer.
pub fn clock_base_at(
    opened: DateTime<Utc>,
    base: Option<ClockBase>,
    answered: Option<DateTime<Utc>>,
    schedule: &Schedule,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> ClockBase {
    let (start, first_used, resolution_used) = match base {
        Some(b) => (b.at, b.first_used, b.resolution_used),
        None => (opened, Duration::zero(), Duration::zero()),
    };
    let first_end = answered.map_or(now, |a| a.min(now));
    let pauses = pauses_since(pauses, start);
    let clock = BusinessClock { schedule, start, budget: Duration::zero(), pauses: &pauses };
    ClockBase {
        at: now,
        first_used: first_used + schedule.business_between(start, first_end),
        resolution_used: resolution_used + clock.used(now),
    }
}

/// "3h 12m", "25m", "2d 4h": a span as lists show time left or late, to the minute.
pub fn short_span(d: Duration) -> String {
    let m = d.num_minutes().unsigned_abs();
    match m {
        0..=59 => format!("{m}m"),
        60..=1439 => format!("{}h {:02}m", m / 60, m % 60),
        _ => format!("{}d {}h", m / 1440, m % 1440 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::tests::sample_case;
    use crate::domain::case::{CaseChanges, CaseStatus, Outcome, Resolution};

    fn case_at(opened: DateTime<Utc>, priority: Priority) -> Case {
        let mut c = sample_case();
        c.status = CaseStatus::New;
        c.created_at = opened;
        c.priority = priority;
        let (first, resolve) = SlaPolicy::default_for(priority).due(opened);
        c.first_response_due = Some(first);
        c.resolution_due = Some(resolve);
        c
    }

    #[test]
    fn the_running_clock_is_the_first_answer_then_the_resolution() {
        let t0 = Utc::now();
        let mut c = case_at(t0, Priority::High);
        assert_eq!(next_due(&c), c.first_response_due);
        c.first_response_at = Some(t0 + Duration::minutes(5));
        assert_eq!(next_due(&c), c.resolution_due);
        c.resolution = Some(Resolution {
            summary: "s".into(),
            root_cause: vec![],
            outcome: Outcome::Positive,
            rasa_incomplete_reason: None,
            resolved_by: c.created_by,
            resolved_at: t0 + Duration::hours(1),
        });
        assert_eq!(next_due(&c), None);
        assert_eq!(short_span(Duration::seconds(59)), "0m");
        assert_eq!(short_span(Duration::minutes(-25)), "25m");
        assert_eq!(short_span(Duration::minutes(192)), "3h 12m");
        assert_eq!(short_span(Duration::minutes(3 * 1440 + 125)), "3d 2h");
    }

    #[test]
    fn states_at_the_edges_of_the_first_response_window() {
        let t0 = Utc::now();
        let c = case_at(t0, Priority::Urgent); // 15 minutes to answer, 4 hours to resolve
        assert_eq!(sla_state(&c, t0), SlaState::Ok);
        // 11:15 in, 3:45 left: exactly a quarter left is at risk; a second before is not.
        assert_eq!(sla_state(&c, t0 + Duration::seconds(674)), SlaState::Ok);
        assert_eq!(sla_state(&c, t0 + Duration::seconds(675)), SlaState::AtRisk);
        // Exactly at due: not breached yet; a microsecond after, breached.
        let due = c.first_response_due.unwrap();
        assert_eq!(sla_state(&c, due), SlaState::AtRisk);
        assert_eq!(sla_state(&c, due + Duration::microseconds(1)), SlaState::Breached);

        // Answered exactly at due: in time, for ever after.
        let mut answered = c.clone();
        answered.first_response_at = Some(due);
        assert_eq!(sla_state(&answered, due + Duration::hours(1)), SlaState::Ok);
        answered.first_response_at = Some(due + Duration::seconds(1));
        assert_eq!(sla_state(&answered, due + Duration::hours(1)), SlaState::Breached, "answered late stays breached");
    }

    #[test]
    fn resolution_clock_and_resolved_cases() {
        let t0 = Utc::now();
        let mut c = case_at(t0, Priority::High); // 1 h / 8 h
        c.first_response_at = Some(t0 + Duration::minutes(5));
        assert_eq!(sla_state(&c, t0 + Duration::hours(5)), SlaState::Ok);
        assert_eq!(sla_state(&c, t0 + Duration::hours(6)), SlaState::AtRisk);
        assert_eq!(sla_state(&c, t0 + Duration::hours(8)), SlaState::AtRisk);
        assert_eq!(sla_state(&c, t0 + Duration::hours(9)), SlaState::Breached);
        let resolve = |c: &mut Case, at| {
            c.status = CaseStatus::Resolved;
            c.resolution = Some(Resolution {
                summary: "done".into(),
                root_cause: vec![],
                outcome: Outcome::Positive,
                rasa_incomplete_reason: None,
                resolved_by: c.created_by,
                resolved_at: at,
            });
        };
        let mut on_time = c.clone();
        resolve(&mut on_time, t0 + Duration::hours(8));
        assert_eq!(sla_state(&on_time, t0 + Duration::days(30)), SlaState::Ok, "no risk once resolved");
        let mut late = c.clone();
        resolve(&mut late, t0 + Duration::hours(8) + Duration::seconds(1));
        assert_eq!(sla_state(&late, t0 + Duration::days(30)), SlaState::Breached);
        // Never answered before the resolution: the resolution is the answer.
        let mut quick = case_at(t0, Priority::High);
        resolve(&mut quick, t0 + Duration::minutes(30));
        assert_eq!(sla_state(&quick, t0 + Duration::days(1)), SlaState::Ok);
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Mon–Fri 09:00–17:00 in Rome, Christmas off.
    fn office() -> Schedule {
        crate::domain::schedule::parse_file(
            "name = \"office\"\ntimezone = \"Europe/Rome\"\nholidays = [\"2026-12-25\"]\n[week]\nmon = [\"09:00-17:00\"]\ntue = [\"09:00-17:00\"]\nwed = [\"09:00-17:00\"]\nthu = [\"09:00-17:00\"]\nfri = [\"09:00-17:00\"]\n",
        )
        .unwrap()
    }

    #[test]
    fn pending_stretches_are_the_pauses() {
        let t = |h: i64| at("2026-12-01T08:00:00Z") + Duration::hours(h);
        use CaseStatus::*;
        let history = [(t(1), Open), (t(2), Pending), (t(5), Open), (t(6), Pending)];
        assert_eq!(pauses(t(0), New, &history), vec![(t(2), Some(t(5))), (t(6), None)]);
        assert_eq!(pauses(t(0), Pending, &[(t(3), Open)]), vec![(t(0), Some(t(3)))], "opened waiting");
        assert_eq!(pauses(t(0), Open, &[(t(1), Pending), (t(2), Pending), (t(3), Resolved)]), vec![(t(1), Some(t(3)))]);
    }

    #[test]
    fn hand_worked_due_times_in_business_hours_with_a_pending_pause() {
        let s = office();
        let high = SlaPolicy { priority: Priority::High, first_response_secs: 3600, resolution_secs: 8 * 3600 };
        // Opened Thursday 24 Dec 2026 at 16:00 Rome (15:00 UTC). First answer: 1 business hour →
        // 17:00 Thursday (16:00 UTC). Resolution: 8 business hours → 1 h Thursday, Friday 25 is
        // Christmas, the weekend is off, 7 h on Monday 28 → 16:00 Rome (15:00 UTC).
        let opened = at("2026-12-24T15:00:00Z");
        let (first, resolve) = due_times(opened, None, &high, &s, &[], opened);
        assert_eq!(first, Some(at("2026-12-24T16:00:00Z")));
        assert_eq!(resolve, Some(at("2026-12-28T15:00:00Z")));
        // Pending from Monday 10:00 Rome (09:00 UTC) to Tuesday 11:00 Rome (10:00 UTC): the clock
        // stands still (no due time while it does), then resumes with 6 h left, due Tuesday
        // 17:00 Rome (16:00 UTC).
        let waiting = [(at("2026-12-28T09:00:00Z"), None)];
        assert_eq!(due_times(opened, None, &high, &s, &waiting, at("2026-12-28T12:00:00Z")).1, None);
        // Paused only after it ran out (Monday 16:00 Rome): late it stays.
        let too_late = [(at("2026-12-28T16:00:00Z"), None)];
        assert_eq!(
            due_times(opened, None, &high, &s, &too_late, at("2026-12-29T12:00:00Z")).1,
            Some(at("2026-12-28T15:00:00Z"))
        );
        let resumed = [(at("2026-12-28T09:00:00Z"), Some(at("2026-12-29T10:00:00Z")))];
        assert_eq!(
            due_times(opened, None, &high, &s, &resumed, at("2026-12-29T10:00:00Z")).1,
            Some(at("2026-12-29T16:00:00Z"))
        );
        let clock = BusinessClock { schedule: &s, start: opened, budget: Duration::hours(8), pauses: &resumed };
        assert_eq!(clock.used(at("2026-12-29T10:00:00Z")), Duration::hours(2), "1 h Thursday, 1 h Monday");
        // Calendar time, the old way: the schedule that never stops gives the same as before.
        // The hours change on Tuesday 29 at 11:00 UTC (12:00 Rome), the case running again since
        // 11:00 Rome: 3 h of its 8 used (Thursday 1 h, Monday 1 h, Tuesday 1 h); the first
        // answer came after 30 minutes. Round the clock from then on, the 5 h left run out at
        // 16:00 UTC.
        let base =
            clock_base_at(opened, None, Some(at("2026-12-24T15:30:00Z")), &s, &resumed, at("2026-12-29T11:00:00Z"));
        assert_eq!((base.first_used, base.resolution_used), (Duration::minutes(30), Duration::hours(3)));
        let always = Schedule::always("calendar");
        assert_eq!(
            due_times(opened, Some(base), &high, &always, &resumed, at("2026-12-29T11:00:00Z")).1,
            Some(at("2026-12-29T16:00:00Z"))
        );
        assert_eq!(
            due_times(opened, None, &high, &always, &[], opened),
            (Some(opened + Duration::hours(1)), Some(opened + Duration::hours(8)))
        );
    }

    #[test]
    fn a_change_of_priority_moves_the_due_times_from_the_opening() {
        let t0 = Utc::now();
        let c = case_at(t0, Priority::Low); // 24 h to answer
        let now = t0 + Duration::hours(2);
        assert_eq!(sla_state(&c, now), SlaState::Ok);
        // Raised to urgent two hours in: 15 minutes from the opening have long passed.
        let urgent = CaseChanges { priority: Some(Priority::Urgent), ..Default::default() }.apply_to(&c, now);
        assert_eq!(urgent.first_response_due, Some(t0 + Duration::minutes(15)));
        assert_eq!(sla_state(&urgent, now), SlaState::Breached);
        // Lowered again: back in time.
        let low = CaseChanges { priority: Some(Priority::Low), ..Default::default() }.apply_to(&urgent, now);
        assert_eq!(sla_state(&low, now), SlaState::Ok);
        // Taking it up (leaving `new`) answers it.
        let open = CaseChanges { status: Some(CaseStatus::Open), ..Default::default() }.apply_to(&urgent, now);
        assert_eq!(open.first_response_at, Some(now));
    }
}
