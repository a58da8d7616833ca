//! Rules carried out (`domain::rules`): on events just stored, on a case being opened and on a
//! case resolved — inside the transaction of that work, so a rule's actions commit with what
//! fired it or not at all. Each firing claims (rule, trigger) in `rule_firings` first: a rule
//! fires once per event with any number of API nodes. What a rule does is done as the rule
//! (`rule NAME` on the timeline) and fires no rules itself, so rules never loop.
//!
//! Also the dry run behind `casebook rules test`: which past events would have fired a rule,
//! and what it would have done, with nothing written.

use chrono::DateTime;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{WorkError, WorkResult};
use crate::domain::agent::{Agent, Role};
use crate::domain::case::{Case, NewCaseRequest};
use crate::domain::event::CASEBOOK_SOURCE;
use crate::domain::rules::{Assign, Planned, RouteAssign, Rule, Subject};
use crate::domain::time::{now, Timestamp};
use crate::domain::{new_id, Invalid};
use crate::store::events::NewEvent;
use crate::store::queues::team_for_queue;
use crate::store::rules::{claim_firing, enabled_rules, log_firing, reads};
use crate::store::{Result, Store, Tx};
use crate::wire::requests::{NewFollowUpRequest, NewNoteRequest};
use crate::wire::rules::{DryRun, WouldFire};

/// Whom rules act as: not a row of `agents` (nobody logs in as it), named per rule.
pub const RULES_AGENT_ID: Uuid = uuid::uuid!("00000000-0000-7000-8000-00000000a11e");

/// The agent a rule acts as.
pub fn rule_agent(rule: &str) -> Agent {
    Agent {
        id: RULES_AGENT_ID,
        name: format!("rule {rule}"),
        role: Role::Admin,
        teams: Vec::new(),
        created_at: DateTime::UNIX_EPOCH,
    }
}

/// Whether this work is a rule's own (it fires no rules).
pub fn is_rule_agent(agent: &Agent) -> bool {
    agent.id == RULES_AGENT_ID
}

/// What fired a rule, as its actions need it.
struct Trigger {
    key: String,
    customer: Uuid,
    /// The event that fired it (linked to a case the rule opens).
    event: Option<Uuid>,
    /// The case it is about (case events): follow-ups go on it, to its agent.
    case: Option<Case>,
}

/// Fires the enabled rules on events just stored in this transaction (not on casebook's own).
pub(crate) async fn on_events(tx: &mut Tx, events: &[NewEvent]) -> Result<()> {
    let rules = enabled_rules(tx).await?;
    if !rules.iter().any(|(_, r)| !r.on_case_events()) {
        return Ok(());
    }
    let mut customers: std::collections::HashMap<Uuid, Value> = std::collections::HashMap::new();
    for e in events.iter().filter(|e| e.source != CASEBOOK_SOURCE) {
        for (name, rule) in rules.iter().filter(|(_, r)| !r.on_case_events()) {
            if !rule.when.source.is_empty() && !rule.when.source.contains(&e.source) {
                continue;
            }
            if !rule.when.kind.is_empty() && !rule.when.kind.contains(&e.kind) {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = customers.entry(e.customer_id) {
                let Some(c) = reads::customer(tx, e.customer_id).await? else { continue };
                slot.insert(c);
            }
            let subject = Subject {
                source: &e.source,
                kind: &e.kind,
                title: &e.title,
                body: e.body.as_deref(),
                at: e.occurred_at,
                data: &e.data,
                customer: &customers[&e.customer_id],
            };
            if !matches(tx, rule, &subject, e.customer_id).await? {
                continue;
            }
            let plan = rule.plan(name, &subject, now());
            let trigger = Trigger { key: e.id.to_string(), customer: e.customer_id, event: Some(e.id), case: None };
            fire(tx, name, plan, &trigger).await?;
        }
    }
    Ok(())
}

/// Whether the subject meets the rule, counts over the customer's timeline included.
async fn matches(conn: &mut sqlx::AnyConnection, rule: &Rule, s: &Subject<'_>, customer: Uuid) -> Result<bool> {
    if !rule.when.matches(s) {
        return Ok(false);
    }
    for c in &rule.when.count {
        if !c.holds(reads::count(conn, customer, c, s.at).await?) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A case as rules see it: `{"case": …}` for conditions and templates.
fn case_data(case: &Case) -> Value {
    json!({ "case": case })
}

/// Rules on a case about to be opened (`case.opened`): their `route` actions change where it
/// goes before it is written; the rest wait for [`after_case_opened`].
pub(crate) async fn before_case_opened(tx: &mut Tx, case: &mut Case, by: &Agent) -> WorkResult<Vec<Pending>> {
    let mut pending = Vec::new();
    if is_rule_agent(by) {
        return Ok(pending);
    }
    let rules = enabled_rules(tx).await?;
    for (name, rule) in rules.iter().filter(|(_, r)| r.on_case_event("case.opened")) {
        let Some(customer) = reads::customer(tx, case.customer_id).await? else { continue };
        let data = case_data(case);
        let subject = Subject {
            source: CASEBOOK_SOURCE,
            kind: "case.opened",
            title: &case.subject,
            body: None,
            at: case.created_at,
            data: &data,
            customer: &customer,
        };
        if !matches(tx, rule, &subject, case.customer_id).await? {
            continue;
        }
        let mut done = Vec::new();
        let mut rest = Vec::new();
        for p in rule.plan(name, &subject, now()) {
            match p {
                Planned::Route { queue, team, assign } => done.push(route(tx, case, queue, team, assign).await?),
                other => rest.push(other),
            }
        }
        let key = format!("case.opened:{}", case.id);
        pending.push(Pending { rule: name.clone(), key, plan: rest, done });
    }
    Ok(pending)
}

/// A rule's firing on a new case, its routing done, the rest to do once the case is written.
pub(crate) struct Pending {
    rule: String,
    key: String,
    plan: Vec<Planned>,
    done: Vec<String>,
}

/// Carries out what [`before_case_opened`] left for after the case was written.
pub(crate) async fn after_case_opened(tx: &mut Tx, case: &Case, pending: Vec<Pending>) -> Result<()> {
    for p in pending {
        let trigger = Trigger { key: p.key, customer: case.customer_id, event: None, case: Some(case.clone()) };
        if !claim_firing(tx, &p.rule, &trigger.key, trigger.customer, now()).await? {
            continue;
        }
        let mut said = p.done;
        for action in &p.plan {
            said.push(act(tx, &p.rule, action, &trigger).await?);
        }
        log_firing(tx, &p.rule, &trigger.key, &said).await?;
    }
    Ok(())
}

/// Rules on a case just resolved (`case.resolved`).
pub(crate) async fn on_case_resolved(tx: &mut Tx, case: &Case, by: &Agent) -> Result<()> {
    if is_rule_agent(by) {
        return Ok(());
    }
    let rules = enabled_rules(tx).await?;
    for (name, rule) in rules.iter().filter(|(_, r)| r.on_case_event("case.resolved")) {
        let Some(customer) = reads::customer(tx, case.customer_id).await? else { continue };
        let data = case_data(case);
        let at = case.resolution.as_ref().map_or(case.updated_at, |r| r.resolved_at);
        let subject = Subject {
            source: CASEBOOK_SOURCE,
            kind: "case.resolved",
            title: &case.subject,
            body: None,
            at,
            data: &data,
            customer: &customer,
        };
        if !matches(tx, rule, &subject, case.customer_id).await? {
            continue;
        }
        let plan = rule.plan(name, &subject, now());
        let trigger = Trigger {
            key: format!("case.resolved:{}:{}", case.id, case.revision),
            customer: case.customer_id,
            event: None,
            case: Some(case.clone()),
        };
        fire(tx, name, plan, &trigger).await?;
    }
    Ok(())
}

async fn fire(tx: &mut Tx, rule: &str, plan: Vec<Planned>, trigger: &Trigger) -> Result<()> {
    if !claim_firing(tx, rule, &trigger.key, trigger.customer, now()).await? {
        return Ok(());
    }
    let mut said = Vec::with_capacity(plan.len());
    for action in &plan {
        said.push(act(tx, rule, action, trigger).await?);
    }
    tracing::info!(rule, trigger = %trigger.key, actions = ?said, "a rule fired");
    log_firing(tx, rule, &trigger.key, &said).await
}

/// Changes where a new case goes; says what it did.
async fn route(
    tx: &mut Tx,
    case: &mut Case,
    queue: Option<String>,
    team: Option<String>,
    assign: RouteAssign,
) -> Result<String> {
    let mut said = Vec::new();
    if let Some(q) = queue {
        if team.is_none() {
            case.team = team_for_queue(tx, &q).await?;
        }
        said.push(format!("to queue {q}"));
        case.queue = q;
    }
    if let Some(t) = team {
        said.push(format!("to team {t}"));
        case.team = t;
    }
    match assign {
        RouteAssign::Keep => {}
        RouteAssign::Unassigned => {
            case.assignee_id = None;
            said.push("unassigned".into());
        }
        RouteAssign::LeastLoaded => match reads::least_loaded(tx, &case.team).await? {
            Some((id, name)) => {
                case.assignee_id = Some(id);
                said.push(format!("to {name}"));
            }
            None => said.push(format!("kept its assignee: team {} has no agents", case.team)),
        },
    }
    Ok(format!("routed the case {}", said.join(", ")))
}

/// Carries out one action; says what it did, or why it could not (a rule's action that cannot
/// be taken never loses the event or the case work that fired it). Database errors fail the
/// transaction as any would.
async fn act(tx: &mut Tx, rule: &str, action: &Planned, trigger: &Trigger) -> Result<String> {
    match try_act(tx, rule, action, trigger).await {
        Ok(said) => Ok(said),
        Err(WorkError::Store(e)) => Err(e),
        Err(other) => {
            let why = match other {
                WorkError::Invalid(i) | WorkError::State(i) => i.to_string(),
                WorkError::Denied(d) => d.0,
                WorkError::NotFound(s) => s,
                WorkError::Stale { what, .. } => format!("the {what} changed meanwhile"),
                WorkError::Store(_) => unreachable!("returned above"),
            };
            tracing::warn!(rule, trigger = %trigger.key, problem = %why, "a rule's action was not taken");
            Ok(format!("did not {}: {why}", action.describe()))
        }
    }
}

async fn try_act(tx: &mut Tx, rule: &str, action: &Planned, trigger: &Trigger) -> WorkResult<String> {
    let agent = rule_agent(rule);
    match action {
        Planned::OpenCase { queue, team, priority, channel, subject, note, assign, skip_if_open } => {
            if *skip_if_open {
                if let Some(open) = reads::active_case_in(tx, trigger.customer, queue).await? {
                    return Ok(format!("opened no case: the customer has case {open} open in {queue}"));
                }
            }
            let team = match team {
                Some(t) => t.clone(),
                None => team_for_queue(tx, queue).await?,
            };
            let assignee = match assign {
                Assign::Unassigned => None,
                Assign::LeastLoaded => reads::least_loaded(tx, &team).await?.map(|(id, _)| id),
                Assign::LastAgent => match reads::last_agent(tx, trigger.customer).await? {
                    Some(a) => Some(a),
                    None => reads::least_loaded(tx, &team).await?.map(|(id, _)| id),
                },
            };
            let req = NewCaseRequest {
                customer_id: trigger.customer,
                subject: subject.clone(),
                channel: Some(*channel),
                priority: Some(*priority),
                queue: Some(queue.clone()),
                team: Some(team),
                assignee_id: Some(assignee),
                status: None,
            };
            // Boxed: opening a case runs the rules on case events (which skip a rule's own work).
            let case = Box::pin(super::open_case(tx, &agent, new_id(), req)).await?;
            if let Some(body) = note.as_ref().filter(|n| !n.trim().is_empty()) {
                let req = NewNoteRequest { body: body.clone(), visibility: None };
                super::add_note(tx, &agent, case.id, new_id(), req).await?;
            }
            if let Some(event) = trigger.event {
                // The event that fired it shows on the case.
                sqlx::query("UPDATE events SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
                    .bind(case.id.to_string())
                    .bind(event.to_string())
                    .execute(&mut **tx)
                    .await?;
            }
            let who = match case.assignee_id {
                Some(a) => reads::agent_name(tx, a).await?.unwrap_or_else(|| a.to_string()),
                None => "nobody yet".into(),
            };
            Ok(format!("opened case {} in {queue} for {who}: “{}”", case.id, case.subject))
        }
        Planned::FollowUp { due_at, channel, note, fallback_team } => {
            let of_case = trigger.case.as_ref().and_then(|c| {
                c.assignee_id.or_else(|| c.resolution.as_ref().map(|r| r.resolved_by)).filter(|a| *a != RULES_AGENT_ID)
            });
            let assignee = match of_case {
                Some(a) => Some(a),
                None => reads::last_agent(tx, trigger.customer).await?,
            };
            let assignee = match (assignee, fallback_team) {
                (Some(a), _) => a,
                (None, Some(team)) => match reads::least_loaded(tx, team).await? {
                    Some((id, _)) => id,
                    None => {
                        return Err(Invalid::general(format!(
                            "the customer has no last agent, and team {team} no agents"
                        ))
                        .into())
                    }
                },
                (None, None) => {
                    return Err(Invalid::general("the customer has no last agent: give the rule a fallback_team").into())
                }
            };
            let req = NewFollowUpRequest {
                case_id: trigger.case.as_ref().map(|c| c.id),
                customer_id: Some(trigger.customer),
                assignee_id: Some(assignee),
                due_at: *due_at,
                channel: Some(*channel),
                note: note.clone(),
            };
            let f = super::create_followup(tx, &agent, new_id(), req).await?;
            let who = reads::agent_name(tx, assignee).await?.unwrap_or_else(|| assignee.to_string());
            Ok(format!("added follow-up {} for {who}, due {}", f.id, f.due_at.format("%Y-%m-%d %H:%M UTC")))
        }
        Planned::TagCustomer { tag } => Ok(if reads::tag_customer(tx, trigger.customer, tag, now()).await? {
            format!("tagged the customer “{tag}”")
        } else {
            format!("the customer was tagged “{tag}” already")
        }),
        Planned::Route { .. } => Ok("routes only a new case".into()),
    }
}

/// The most events a dry run reads.
pub const DRY_RUN_MAX_EXAMINED: i64 = 200_000;

/// Which events (or cases) since `since` would have fired `rule`, and what it would have done
/// — nothing written. At most `show` of them are listed; all are counted.
pub async fn dry_run(store: &Store, name: &str, rule: &Rule, since: Timestamp, show: usize) -> Result<DryRun> {
    let mut conn = store.reader().acquire().await?;
    let candidates = store.rule_candidates(rule, since, DRY_RUN_MAX_EXAMINED).await?;
    let mut out = DryRun { rule: name.to_string(), since, examined: 0, matched: 0, fires: Vec::new() };
    let mut customers: std::collections::HashMap<Uuid, Value> = std::collections::HashMap::new();
    for c in &candidates {
        out.examined += 1;
        if let std::collections::hash_map::Entry::Vacant(slot) = customers.entry(c.customer_id) {
            let Some(v) = reads::customer(&mut conn, c.customer_id).await? else { continue };
            slot.insert(v);
        }
        let customer = &customers[&c.customer_id];
        let subject = Subject {
            source: &c.source,
            kind: &c.kind,
            title: &c.title,
            body: c.body.as_deref(),
            at: c.at,
            data: &c.data,
            customer,
        };
        if !matches(&mut conn, rule, &subject, c.customer_id).await? {
            continue;
        }
        out.matched += 1;
        if out.fires.len() >= show {
            continue;
        }
        let mut actions = Vec::new();
        for p in rule.plan(name, &subject, c.at) {
            actions.push(would(&mut conn, &p, c).await?);
        }
        out.fires.push(WouldFire {
            at: c.at,
            trigger_key: c.key.clone(),
            customer_id: c.customer_id,
            customer_name: customer["name"].as_str().unwrap_or_default().to_string(),
            title: c.title.clone(),
            fired: false,
            actions,
        });
    }
    let keys: Vec<String> = out.fires.iter().map(|f| f.trigger_key.clone()).collect();
    let fired = store.fired_on(name, &keys).await?;
    for f in &mut out.fires {
        f.fired = fired.contains(&f.trigger_key);
    }
    Ok(out)
}

/// What an action would do, with the agents it would go to named as they stand now.
async fn would(conn: &mut sqlx::AnyConnection, p: &Planned, c: &crate::store::rules::Candidate) -> Result<String> {
    let text = p.describe();
    Ok(match p {
        Planned::FollowUp { .. } => {
            let last = match &c.case_agent {
                Some(a) => Some(*a),
                None => reads::last_agent(conn, c.customer_id).await?,
            };
            let name = match last {
                Some(id) => reads::agent_name(conn, id).await?,
                None => None,
            };
            match name {
                Some(n) => format!("{text} ({n})"),
                None => format!("{text} (no last agent: the fallback team's least loaded)"),
            }
        }
        _ => text,
    })
}
