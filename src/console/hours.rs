//! Business hours in the console: the server's schedules (kept for offline use), which one a
//! case keeps (its queue's, else its team's), and its SLA time left counted in them — "ok 1h
//! 00m" on a Friday evening means an hour of Monday, not 64 hours of calendar.

use chrono::{DateTime, Duration, Utc};

use crate::domain::case::{Case, CaseStatus};
use crate::domain::schedule::Schedule;
use crate::wire::schedules::ScheduleList;

/// The schedules as the server (or, offline, this computer) has them, ready for arithmetic.
#[derive(Debug, Clone, Default)]
pub struct Hours {
    /// Each schedule with the teams and queues that keep it.
    kept: Vec<(Schedule, Vec<String>, Vec<String>)>,
}

impl Hours {
    /// From the server's list; a schedule that does not read here is left out (the calendar).
    pub fn from_list(list: &ScheduleList) -> Hours {
        let kept = list
            .schedules
            .iter()
            .filter_map(|k| k.schedule.schedule().ok().map(|s| (s, k.teams.clone(), k.queues.clone())))
            .collect();
        Hours { kept }
    }

    /// The schedule a case keeps: its queue's, else its team's; `None`: the calendar.
    pub fn for_case(&self, case: &Case) -> Option<&Schedule> {
        self.kept
            .iter()
            .find(|(_, _, queues)| queues.contains(&case.queue))
            .or_else(|| self.kept.iter().find(|(_, teams, _)| teams.contains(&case.team)))
            .map(|(s, _, _)| s)
    }
}

/// The time between `now` and `due` in `schedule` (the calendar without one): positive while
/// there is time left, negative once late.
pub fn left(schedule: Option<&Schedule>, now: DateTime<Utc>, due: DateTime<Utc>) -> Duration {
    match schedule {
        None => due - now,
        Some(s) if due >= now => s.business_between(now, due),
        Some(s) => -s.business_between(due, now),
    }
}

/// Whether the case's resolution clock stands still: it waits on the customer, answered.
pub fn paused(case: &Case) -> bool {
    case.status == CaseStatus::Pending && case.first_response_at.is_some() && case.resolution_due.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::home::sla_cell;
    use crate::domain::case::tests::sample_case;
    use crate::domain::schedule::{ScheduleSpec, WeekSpec};
    use crate::wire::schedules::KeptSchedule;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn time_left_is_counted_in_the_cases_business_hours() {
        let day = vec!["09:00-17:00".to_string()];
        let spec = ScheduleSpec {
            name: "office".into(),
            timezone: "UTC".into(),
            holidays: vec![],
            week: WeekSpec {
                mon: day.clone(),
                tue: day.clone(),
                wed: day.clone(),
                thu: day.clone(),
                fri: day,
                ..Default::default()
            },
        };
        let list = ScheduleList {
            schedules: vec![KeptSchedule { schedule: spec, teams: vec!["support".into()], queues: vec![] }],
        };
        let hours = Hours::from_list(&list);
        let mut c = sample_case();
        c.team = "support".into();
        c.status = CaseStatus::Open;
        c.first_response_at = Some(at("2026-12-04T09:00:00Z"));
        // Friday 16:00, due Monday 10:00: two business hours left (one on Friday, one on Monday).
        c.resolution_due = Some(at("2026-12-07T10:00:00Z"));
        let friday = at("2026-12-04T16:00:00Z");
        c.created_at = friday - Duration::hours(30);
        assert!(hours.for_case(&c).is_some());
        assert_eq!(sla_cell(&c, friday, hours.for_case(&c)).0, "ok 2h 00m");
        assert_eq!(sla_cell(&c, friday, None).0, "ok 2d 18h", "on the calendar");
        // Late by a business hour on Monday 11:00, the weekend not counted.
        assert_eq!(
            left(hours.for_case(&c), at("2026-12-07T11:00:00Z"), at("2026-12-07T10:00:00Z")),
            Duration::hours(-1)
        );
        // Another team's case: the calendar.
        c.team = "billing".into();
        assert!(hours.for_case(&c).is_none());
        // Waiting on the customer: the clock stands still.
        c.status = CaseStatus::Pending;
        c.resolution_due = None;
        assert_eq!(sla_cell(&c, friday, None).0, "paused");
    }
}
