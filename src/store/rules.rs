//! Stored rules (`domain::rules`): each as an admin wrote it, on or off, and the log of every
//! time one fired. The built-in rules are listed beside the stored ones until an admin enables
//! one, which stores it.

use std::sync::Arc;

use serde::Serialize;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::agents::AdminError;
use super::{col_i64, col_json, col_str, col_ts, col_uuid, to_json, Result, Sql, Store, StoreError, Tx};
use crate::domain::event::is_valid_name;
use crate::domain::rules::{Rule, BUILT_IN};
use crate::domain::time::{now, to_micros, Timestamp};
use crate::domain::Invalid;
use crate::wire::rules::{RuleFiring, RuleView};

/// A rule as admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRule {
    pub name: String,
    pub enabled: bool,
    /// Shipped with casebook (it may have been changed since it was stored).
    pub built_in: bool,
    /// Not stored yet: a built-in rule nobody enabled.
    pub stored: bool,
    pub description: String,
    /// The rule's TOML.
    pub definition: String,
    /// The rule, or why its stored definition no longer reads (a database from a casebook
    /// whose checks were looser): such a rule is listed, never fired, until it is set again.
    #[serde(skip)]
    pub rule: Result<Rule, String>,
}

fn stored_from_row(row: &AnyRow) -> Result<StoredRule> {
    let name = col_str(row, "name")?;
    let definition = col_str(row, "definition")?;
    let rule = Rule::parse(&definition).map_err(|e| e.to_string());
    let description = match &rule {
        Ok(r) => r.description.clone(),
        Err(e) => format!("does not read, so it never fires: {e} — set it again with `casebook rules add`"),
    };
    Ok(StoredRule {
        built_in: BUILT_IN.iter().any(|(n, _)| *n == name),
        name,
        enabled: col_i64(row, "enabled")? != 0,
        stored: true,
        description,
        definition,
        rule,
    })
}

impl StoredRule {
    /// The rule as the API shows it.
    pub fn view(&self) -> RuleView {
        RuleView {
            name: self.name.clone(),
            enabled: self.enabled,
            built_in: self.built_in,
            stored: self.stored,
            description: self.description.clone(),
            definition: self.definition.clone(),
        }
    }
}

fn built_in(name: &str) -> Option<StoredRule> {
    let (name, src) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
    let rule = Rule::parse(src).expect("built-in rules are valid");
    Some(StoredRule {
        name: name.to_string(),
        enabled: false,
        built_in: true,
        stored: false,
        description: rule.description.clone(),
        definition: src.to_string(),
        rule: Ok(rule),
    })
}

fn check_name(name: &str) -> Result<String, AdminError> {
    let name = name.trim().to_lowercase();
    if !is_valid_name(&name) || name.len() > 64 {
        return Err(AdminError::Invalid(Invalid::field(
            "name",
            format!("`{name}` is not a rule name: up to 64 lower-case letters, digits, `_`, `-`"),
        )));
    }
    Ok(name)
}

/// The enabled rules, read once per transaction.
pub(crate) async fn enabled_rules(tx: &mut Tx) -> Result<Arc<Vec<(String, Rule)>>> {
    if let Some(r) = &tx.rules {
        return Ok(r.clone());
    }
    let rows =
        sqlx::query("SELECT name, definition FROM rules WHERE enabled = 1 ORDER BY name").fetch_all(&mut **tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = col_str(row, "name")?;
        match Rule::parse(&col_str(row, "definition")?) {
            Ok(rule) => out.push((name, rule)),
            // Checked when stored: only a hand-edited database gets here, and the rest still run.
            Err(e) => tracing::error!(rule = %name, problem = %e, "a stored rule does not parse; it is skipped"),
        }
    }
    let rules = Arc::new(out);
    tx.rules = Some(rules.clone());
    Ok(rules)
}

/// Claims a rule's firing on a trigger: `false` when it fired on it before (on any node).
pub(crate) async fn claim_firing(tx: &mut Tx, rule: &str, key: &str, customer: Uuid, at: Timestamp) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO rule_firings (rule, trigger_key, customer_id, fired_at, actions) VALUES ($1, $2, $3, $4, '[]') \
         ON CONFLICT (rule, trigger_key) DO NOTHING RETURNING rule",
    )
    .bind(rule)
    .bind(key)
    .bind(customer.to_string())
    .bind(to_micros(at))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Writes down what a firing did.
pub(crate) async fn log_firing(tx: &mut Tx, rule: &str, key: &str, actions: &[String]) -> Result<()> {
    sqlx::query("UPDATE rule_firings SET actions = $1 WHERE rule = $2 AND trigger_key = $3")
        .bind(to_json(&actions))
        .bind(rule)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Sets a rule (new, or replacing its definition), checked first. A new rule is off until
    /// enabled (`enabled`: set it at once); a replaced one keeps its state unless told.
    pub async fn put_rule(&self, name: &str, src: &str, enabled: Option<bool>) -> Result<StoredRule, AdminError> {
        let name = check_name(name)?;
        Rule::parse(src).map_err(AdminError::Invalid)?;
        let at = to_micros(now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO rules (name, definition, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, \
             enabled = CASE WHEN $5 = 1 THEN excluded.enabled ELSE rules.enabled END, updated_at = excluded.updated_at",
        )
        .bind(&name)
        .bind(src)
        .bind(i64::from(enabled.unwrap_or(false)))
        .bind(at)
        .bind(i64::from(enabled.is_some()))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await?;
        Ok(self.rule(&name).await?.expect("just stored"))
    }

    /// Turns a rule on or off; a built-in rule is stored the first time. `None`: no such rule.
    pub async fn set_rule_enabled(&self, name: &str, on: bool) -> Result<Option<StoredRule>, AdminError> {
        let name = check_name(name)?;
        let Some(r) = self.rule(&name).await? else { return Ok(None) };
        if let (true, Err(e)) = (on, &r.rule) {
            return Err(AdminError::Invalid(Invalid::general(format!(
                "rule `{name}` does not read, so it cannot be turned on: {e}; set it again first"
            ))));
        }
        if !r.stored {
            return self.put_rule(&name, &r.definition, Some(on)).await.map(Some);
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE rules SET enabled = $1, updated_at = $2 WHERE name = $3")
            .bind(i64::from(on))
            .bind(to_micros(now()))
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await?;
        Ok(self.rule(&name).await?)
    }

    /// A rule by name: stored, else built in.
    pub async fn rule(&self, name: &str) -> Result<Option<StoredRule>> {
        let row = sqlx::query("SELECT name, definition, enabled FROM rules WHERE name = $1")
            .bind(name.trim().to_lowercase())
            .fetch_optional(self.reader())
            .await?;
        match row {
            Some(r) => Ok(Some(stored_from_row(&r)?)),
            None => Ok(built_in(name.trim())),
        }
    }

    /// Every rule: the stored ones and the built-in ones not stored, by name.
    pub async fn rules(&self) -> Result<Vec<StoredRule>> {
        let rows = sqlx::query("SELECT name, definition, enabled FROM rules").fetch_all(self.reader()).await?;
        let mut out = rows.iter().map(stored_from_row).collect::<Result<Vec<_>>>()?;
        for (name, _) in BUILT_IN {
            if !out.iter().any(|r| r.name == *name) {
                out.extend(built_in(name));
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Removes a stored rule (a built-in one goes back to off); its firings stay in the log.
    pub async fn remove_rule(&self, name: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM rules WHERE name = $1")
            .bind(name.trim().to_lowercase())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// A rule's latest firings, newest first.
    pub async fn rule_firings(&self, name: &str, limit: u32) -> Result<Vec<RuleFiring>> {
        let mut sql = Sql::new(
            self.backend(),
            "SELECT rule, trigger_key, customer_id, fired_at, actions FROM rule_firings WHERE rule = ",
        );
        sql.bind(name.trim().to_lowercase())
            .push(" ORDER BY fired_at DESC, trigger_key DESC LIMIT ")
            .bind(i64::from(limit));
        let (text, args) = sql.finish();
        let rows = sqlx::query_with(&text, args).fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(RuleFiring {
                    rule: col_str(r, "rule")?,
                    trigger_key: col_str(r, "trigger_key")?,
                    customer_id: col_uuid(r, "customer_id")?,
                    fired_at: col_ts(r, "fired_at")?,
                    actions: col_json(r, "actions")?,
                })
            })
            .collect()
    }

    /// Whether a rule fired on these triggers already: the keys it fired on.
    pub async fn fired_on(&self, rule: &str, keys: &[String]) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let mut sql = Sql::new(self.backend(), "SELECT trigger_key FROM rule_firings WHERE rule = ");
            sql.bind(rule.to_string()).push(" AND trigger_key IN (").bind_list(chunk.iter().cloned()).push(")");
            let (text, args) = sql.finish();
            for row in sqlx::query_with(&text, args).fetch_all(self.reader()).await? {
                out.insert(col_str(&row, "trigger_key")?);
            }
        }
        Ok(out)
    }
}

/// What the rules read while they decide, inside the transaction that fires them or on a
/// reader for a dry run.
pub(crate) mod reads {
    use serde_json::Value;
    use sqlx::AnyConnection;
    use uuid::Uuid;

    use super::super::queues::ACTIVE;
    use super::super::{backend_of, col_i64, col_json, col_opt_str, col_opt_uuid, col_str, col_uuid, Result, Sql};
    use crate::domain::rules::{customer_view, Count};
    use crate::domain::time::{to_micros, Timestamp};

    /// The customer as rules see them (`domain::rules::customer_view`); `None` if unknown.
    pub async fn customer(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT display_name, tier, tags, language FROM customers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let tags: Vec<String> = col_json(&r, "tags")?;
        Ok(Some(customer_view(
            &col_str(&r, "display_name")?,
            col_opt_str(&r, "tier")?.as_deref(),
            &tags,
            col_opt_str(&r, "language")?.as_deref(),
        )))
    }

    /// How many of the customer's events meet a count's sources and kinds in its span up to `at`.
    pub async fn count(conn: &mut AnyConnection, customer: Uuid, c: &Count, at: Timestamp) -> Result<i64> {
        let from = at - c.span().unwrap_or_default();
        let mut sql = Sql::new(backend_of(conn), "SELECT COUNT(*) AS n FROM events WHERE customer_id = ");
        sql.bind(customer.to_string())
            .push(" AND occurred_at > ")
            .bind(to_micros(from))
            .push(" AND occurred_at <= ")
            .bind(to_micros(at));
        sql.and_in("source", &c.source).and_in("kind", &c.kind);
        let (text, args) = sql.finish();
        let row = sqlx::query_with(&text, args).fetch_one(&mut *conn).await?;
        col_i64(&row, "n")
    }

    /// The agent (id, name) of the team with the fewest waiting cases; ties go by name. Admins
    /// do not take cases.
    pub async fn least_loaded(conn: &mut AnyConnection, team: &str) -> Result<Option<(Uuid, String)>> {
        let rows = sqlx::query(&format!(
            "SELECT a.id, a.name, a.teams, (SELECT COUNT(*) FROM cases c WHERE c.assignee_id = a.id \
             AND c.{ACTIVE}) AS waiting FROM agents a WHERE a.role <> 'admin'"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut best: Option<(i64, String, Uuid)> = None;
        for r in &rows {
            let teams: Vec<String> = col_json(r, "teams")?;
            if !teams.iter().any(|t| t == team) {
                continue;
            }
            let candidate = (col_i64(r, "waiting")?, col_str(r, "name")?, col_uuid(r, "id")?);
            if best.as_ref().is_none_or(|b| (candidate.0, &candidate.1) < (b.0, &b.1)) {
                best = Some(candidate);
            }
        }
        Ok(best.map(|(_, name, id)| (id, name)))
    }

    /// The agent who worked the customer's latest case (its assignee, else who resolved it).
    pub async fn last_agent(conn: &mut AnyConnection, customer: Uuid) -> Result<Option<Uuid>> {
        let row = sqlx::query(
            "SELECT COALESCE(c.assignee_id, c.resolved_by) AS agent FROM cases c \
             JOIN agents a ON a.id = COALESCE(c.assignee_id, c.resolved_by) \
             WHERE c.customer_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 1",
        )
        .bind(customer.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| col_opt_uuid(&r, "agent")).transpose().map(Option::flatten)
    }

    /// An agent's name.
    pub async fn agent_name(conn: &mut AnyConnection, id: Uuid) -> Result<Option<String>> {
        let row = sqlx::query("SELECT name FROM agents WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| col_str(&r, "name")).transpose()
    }

    /// The customer's active case in a queue, if any.
    pub async fn active_case_in(conn: &mut AnyConnection, customer: Uuid, queue: &str) -> Result<Option<Uuid>> {
        let row =
            sqlx::query(&format!("SELECT id FROM cases WHERE customer_id = $1 AND queue = $2 AND {ACTIVE} LIMIT 1"))
                .bind(customer.to_string())
                .bind(queue)
                .fetch_optional(&mut *conn)
                .await?;
        row.map(|r| col_uuid(&r, "id")).transpose()
    }

    /// Adds a tag to the customer; `false` when they had it.
    pub async fn tag_customer(conn: &mut AnyConnection, customer: Uuid, tag: &str, at: Timestamp) -> Result<bool> {
        let row = sqlx::query("SELECT tags FROM customers WHERE id = $1")
            .bind(customer.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let mut tags: Vec<String> = col_json(&row, "tags")?;
        if tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            return Ok(false);
        }
        tags.push(tag.to_string());
        super::super::customers::write_tags(conn, customer, &tags, at).await?;
        Ok(true)
    }
}

/// A past event or case a dry run matches a rule against.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: String,
    pub customer_id: Uuid,
    pub source: String,
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub at: Timestamp,
    pub data: serde_json::Value,
    /// For a case: its agent (the assignee, else who resolved it).
    pub case_agent: Option<Uuid>,
}

impl Store {
    /// The events (or, for a rule on case events, the cases) since `since` that a rule might
    /// fire on, oldest first, at most `max`.
    pub async fn rule_candidates(&self, rule: &Rule, since: Timestamp, max: i64) -> Result<Vec<Candidate>> {
        let mut out = Vec::new();
        if rule.on_case_events() {
            for kind in &rule.when.kind {
                let column = if kind == "case.opened" { "created_at" } else { "resolved_at" };
                let mut sql = Sql::new(
                    self.backend(),
                    &format!("SELECT {} FROM cases WHERE {column} >= ", super::cases::CASE_COLUMNS),
                );
                sql.bind(to_micros(since)).push(&format!(" ORDER BY {column} LIMIT ")).bind(max);
                let (text, args) = sql.finish();
                for row in sqlx::query_with(&text, args).fetch_all(self.reader()).await? {
                    let case = super::cases::case_from_row(&row)?;
                    let (key, at) = match &case.resolution {
                        Some(r) if kind == "case.resolved" => {
                            (format!("case.resolved:{}:{}", case.id, case.revision), r.resolved_at)
                        }
                        _ => (format!("case.opened:{}", case.id), case.created_at),
                    };
                    out.push(Candidate {
                        key,
                        customer_id: case.customer_id,
                        source: crate::domain::event::CASEBOOK_SOURCE.into(),
                        kind: kind.clone(),
                        title: case.subject.clone(),
                        body: None,
                        at,
                        case_agent: case.assignee_id.or_else(|| case.resolution.as_ref().map(|r| r.resolved_by)),
                        data: serde_json::json!({ "case": case }),
                    });
                }
            }
            out.sort_by_key(|c| c.at);
            return Ok(out);
        }
        let mut sql = Sql::new(
            self.backend(),
            "SELECT id, customer_id, source, kind, title, body, occurred_at, data FROM events WHERE occurred_at >= ",
        );
        sql.bind(to_micros(since)).push(" AND source <> ").bind(crate::domain::event::CASEBOOK_SOURCE.to_string());
        sql.and_in("source", &rule.when.source).and_in("kind", &rule.when.kind);
        sql.push(" ORDER BY occurred_at, id LIMIT ").bind(max);
        let (text, args) = sql.finish();
        for row in sqlx::query_with(&text, args).fetch_all(self.reader()).await? {
            out.push(Candidate {
                key: col_str(&row, "id")?,
                customer_id: col_uuid(&row, "customer_id")?,
                source: col_str(&row, "source")?,
                kind: col_str(&row, "kind")?,
                title: col_str(&row, "title")?,
                body: super::col_opt_str(&row, "body")?,
                at: col_ts(&row, "occurred_at")?,
                data: col_json(&row, "data")?,
                case_agent: None,
            });
        }
        Ok(out)
    }
}
