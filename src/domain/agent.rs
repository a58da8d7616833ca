//! Agents, roles and the permission rules. Every rule is a plain function of who asks and what
//! they touch, so the server checks and the tests read the same code.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::case::Case;
use super::named_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Lead,
    Admin,
}
named_enum!(Role, "role", { Agent => "agent", Lead => "lead", Admin => "admin" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Agent {
    pub id: Uuid,
    /// Login-style name, unique.
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl Agent {
    /// A new agent (a fresh id) named `name`, with a role and teams, made at `at`.
    pub fn new(name: &str, role: Role, teams: &[&str], at: DateTime<Utc>) -> Agent {
        Agent {
            id: super::new_id(),
            name: name.to_string(),
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
            created_at: at,
        }
    }

    pub fn in_team(&self, team: &str) -> bool {
        self.teams.iter().any(|t| t == team)
    }
}

/// Who a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Agent(Agent),
    /// A token that may only post events of one source.
    Ingest {
        token_id: Uuid,
        source: String,
    },
}

/// Why an action is not allowed, in words the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

pub type Allowed = Result<(), Denied>;

/// Ingest tokens post their own source only; admins may post any source (backfills);
/// agents and leads do not post events.
pub fn may_post_events(p: &Principal, source: &str) -> Allowed {
    match p {
        Principal::Ingest { source: own, .. } if own == source => Ok(()),
        Principal::Ingest { source: own, .. } => Err(Denied(format!(
            "this ingest token may only post events of source `{own}`, not `{source}`: use a token made for `{source}` (casebook admin ingest-token add {source})"
        ))),
        Principal::Agent(a) if a.role == Role::Admin => Ok(()),
        Principal::Agent(_) => Err(Denied(
            "posting events needs an ingest token (casebook admin ingest-token add SOURCE) or an admin".into(),
        )),
    }
}

fn leads_team(agent: &Agent, team: &str) -> bool {
    agent.role == Role::Admin || (agent.role == Role::Lead && agent.in_team(team))
}

/// Working a case (status, RASA steps, resolution): its assignee, a lead of its team, an admin.
pub fn may_work_case(agent: &Agent, case: &Case) -> Allowed {
    if case.assignee_id == Some(agent.id) || leads_team(agent, &case.team) {
        return Ok(());
    }
    Err(Denied(match case.assignee_id {
        None => "the case is unassigned: assign it to yourself first (PATCH assignee_id)".into(),
        Some(_) => format!(
            "the case is assigned to someone else; only its assignee or a lead of team `{}` may change it",
            case.team
        ),
    }))
}

/// Reviewing a case's quality: leads of its team and admins, once it is resolved or closed.
pub fn may_review(agent: &Agent, case: &Case) -> Allowed {
    if !leads_team(agent, &case.team) {
        return Err(Denied(format!("only a lead of team `{}` or an admin reviews its cases", case.team)));
    }
    Ok(())
}

/// Reassigning: leads of the case's team and admins; an agent may take an unassigned case
/// for themselves, hand their own case back to the queue, or hand it over to a teammate (an
/// agent of the case's team).
pub fn may_assign(agent: &Agent, case: &Case, new_assignee: Option<&Agent>) -> Allowed {
    if leads_team(agent, &case.team) {
        return Ok(());
    }
    let new_id = new_assignee.map(|a| a.id);
    let claiming = case.assignee_id.is_none() && new_id == Some(agent.id);
    let releasing = case.assignee_id == Some(agent.id) && new_id.is_none();
    let handing_over = case.assignee_id == Some(agent.id) && new_assignee.is_some_and(|a| a.in_team(&case.team));
    if claiming || releasing || handing_over || case.assignee_id == new_id {
        return Ok(());
    }
    Err(Denied(format!(
        "only a lead of team `{}` or an admin may reassign this case; an agent may take an unassigned case, give their own back to the queue or hand it over to someone in team `{}`",
        case.team, case.team
    )))
}

/// Opening a case: agents open cases for themselves or unassigned; leads and admins for anyone.
pub fn may_open_case_for(agent: &Agent, assignee: Option<Uuid>) -> Allowed {
    match assignee {
        Some(a) if a != agent.id && agent.role == Role::Agent => Err(Denied(
            "agents open cases for themselves (or unassigned); ask a lead to assign one to someone else".into(),
        )),
        _ => Ok(()),
    }
}

/// Reprioritising: leads of the case's team and admins.
pub fn may_reprioritise(agent: &Agent, case: &Case) -> Allowed {
    if leads_team(agent, &case.team) {
        return Ok(());
    }
    Err(Denied(format!("only a lead of team `{}` or an admin may change a case's priority", case.team)))
}

/// Reports: leads for their own teams, admins for any. Returns the teams the report counts
/// (`team` when asked for one; a lead's teams, or every team for an admin, when not).
pub fn may_read_report(agent: &Agent, team: Option<&str>) -> Result<Vec<String>, Denied> {
    match (agent.role, team) {
        (Role::Admin, Some(t)) => Ok(vec![t.to_string()]),
        (Role::Admin, None) => Ok(vec![]),
        (Role::Lead, Some(t)) if agent.in_team(t) => Ok(vec![t.to_string()]),
        (Role::Lead, Some(t)) => Err(Denied(format!(
            "leads see reports of their own teams ({}); team `{t}` is not one of them",
            agent.teams.join(", ")
        ))),
        (Role::Lead, None) if agent.teams.is_empty() => {
            Err(Denied("this lead is in no team: an admin adds the team (casebook admin agent add … --team)".into()))
        }
        (Role::Lead, None) => Ok(agent.teams.clone()),
        (Role::Agent, _) => Err(Denied("reports are for leads and admins".into())),
    }
}

/// Follow-ups: the assignee, the creator, leads (of any team the assignee shares) and admins.
pub fn may_change_followup(agent: &Agent, assignee_id: Uuid, created_by: Uuid) -> Allowed {
    if agent.id == assignee_id || agent.id == created_by || matches!(agent.role, Role::Lead | Role::Admin) {
        return Ok(());
    }
    Err(Denied("only the follow-up's assignee, its creator, a lead or an admin may change it".into()))
}

/// Giving a follow-up to someone else: leads and admins; agents give follow-ups to themselves.
pub fn may_assign_followup(agent: &Agent, assignee_id: Uuid) -> Allowed {
    if agent.id == assignee_id || matches!(agent.role, Role::Lead | Role::Admin) {
        return Ok(());
    }
    Err(Denied("agents may only give follow-ups to themselves; ask a lead to assign it to someone else".into()))
}

/// Merging two customers, and undoing a merge: leads and admins (a person confirms; never
/// automatic).
pub fn may_merge_customers(agent: &Agent) -> Allowed {
    if matches!(agent.role, Role::Lead | Role::Admin) {
        return Ok(());
    }
    Err(Denied("merging customers needs a lead or an admin: ask one to confirm the duplicate".into()))
}

pub fn may_manage_agents(agent: &Agent) -> Allowed {
    if agent.role == Role::Admin {
        return Ok(());
    }
    Err(Denied("managing agents and tokens needs an admin".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::tests::sample_case;
    use crate::domain::time::now;

    fn agent(role: Role, teams: &[&str]) -> Agent {
        Agent {
            id: Uuid::now_v7(),
            name: "x".into(),
            role,
            teams: teams.iter().map(|s| s.to_string()).collect(),
            created_at: now(),
        }
    }

    #[test]
    fn case_permissions() {
        let me = agent(Role::Agent, &["support"]);
        let other = agent(Role::Agent, &["support"]);
        let lead = agent(Role::Lead, &["support"]);
        let foreign_lead = agent(Role::Lead, &["billing"]);
        let admin = agent(Role::Admin, &[]);
        let mut case = sample_case();
        case.team = "support".into();
        case.assignee_id = None;

        assert!(may_work_case(&me, &case).is_err());
        let billing_agent = agent(Role::Agent, &["billing"]);
        assert!(may_assign(&me, &case, Some(&me)).is_ok(), "claiming an unassigned case");
        assert!(may_assign(&me, &case, Some(&other)).is_err());
        case.assignee_id = Some(me.id);
        assert!(may_work_case(&me, &case).is_ok());
        assert!(may_work_case(&other, &case).is_err());
        assert!(may_assign(&other, &case, Some(&other)).is_err(), "no stealing");
        assert!(may_assign(&me, &case, None).is_ok(), "handing back");
        assert!(may_assign(&me, &case, Some(&other)).is_ok(), "handing over to a teammate");
        assert!(may_assign(&me, &case, Some(&billing_agent)).is_err(), "not to another team's agent");
        assert!(may_assign(&other, &case, Some(&billing_agent)).is_err(), "nor someone else's case");
        assert!(may_assign(&lead, &case, Some(&other)).is_ok());
        assert!(may_assign(&foreign_lead, &case, Some(&other)).is_err());
        assert!(may_reprioritise(&me, &case).is_err());
        assert!(may_reprioritise(&lead, &case).is_ok());
        assert!(may_reprioritise(&admin, &case).is_ok());
        assert!(may_work_case(&admin, &case).is_ok());
        assert!(may_open_case_for(&me, Some(me.id)).is_ok());
        assert!(may_open_case_for(&me, None).is_ok());
        assert!(may_open_case_for(&me, Some(other.id)).is_err());
        assert!(may_open_case_for(&lead, Some(other.id)).is_ok());
    }

    #[test]
    fn posting_events() {
        let ingest = Principal::Ingest { token_id: Uuid::now_v7(), source: "shop".into() };
        assert!(may_post_events(&ingest, "shop").is_ok());
        let err = may_post_events(&ingest, "billing").unwrap_err();
        assert!(err.0.contains("`shop`"));
        assert!(may_post_events(&Principal::Agent(agent(Role::Agent, &[])), "shop").is_err());
        assert!(may_post_events(&Principal::Agent(agent(Role::Admin, &[])), "shop").is_ok());
    }
}
