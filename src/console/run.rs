//! The console's shell: the terminal, the message loop and the tasks that do the I/O.
//!
//! Keys (read on their own thread), results of tasks, sync status and a slow tick all arrive
//! as [`Msg`]s on one channel; [`update`] changes the state and returns [`Cmd`]s, which run as
//! tasks and answer with more messages. The screen is drawn only after a message, from the
//! state alone: idle means no drawing and no work. `ratatui::init` installs a panic hook that
//! restores the terminal; every way out restores it too. Logs go to a file, never the screen.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::app::{update, App, Cmd, Msg, Settle, Write, PAGE};
use super::draw::draw;
use super::forms::{Drafts, FormWrite};
use super::guidance::Guidance;
use super::theme::Theme;
use crate::client::sync::{spawn, EngineOptions, SyncHandle};
use crate::client::{ApiClient, ClientError};
use crate::domain::articles::{ArticleHit, Match};
use crate::domain::scorecard::Scorecard;
use crate::domain::Invalid;
use crate::local::drafts::case_scope;
use crate::local::overlay::OpState;
use crate::local::{open_for_agent, LocalError, LocalStore};
use crate::wire::articles::ArticleSuggestions;
use crate::wire::reviews::{NewReviewRequest, Review};

/// What the console needs to start.
pub struct ConsoleOptions {
    pub server: String,
    pub token: String,
    pub theme: String,
    /// The language of the RASA guidance (`en`, `it`, `hu`).
    pub language: String,
    /// Where local stores live (the data dir; the demo's temp folder).
    pub data_dir: PathBuf,
    /// User themes (the config dir's `themes/`).
    pub themes_dir: Option<PathBuf>,
    /// Where the log goes.
    pub log_file: Option<PathBuf>,
    /// Home's sections; the defaults when empty.
    pub views: Vec<crate::domain::views::HomeView>,
    /// The agent's own keys.
    pub keys: super::keymap::Rebound,
}

fn init_file_logging(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = crate::paths::create_private_dir(dir);
    }
    let _ = crate::paths::make_private_file(path);
    if let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let filter = tracing_subscriber::EnvFilter::try_from_env("CASEBOOK_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    }
}

/// Runs the console until the agent quits.
pub async fn run(opts: ConsoleOptions) -> anyhow::Result<()> {
    if let Some(log) = &opts.log_file {
        init_file_logging(log);
    }
    let client = ApiClient::new(&opts.server, &opts.token)?;
    let (store, _) = open_for_agent(&client, &opts.data_dir).await?;
    let me = store.me().await?.ok_or_else(|| {
        anyhow::anyhow!("the server could not be reached to learn who this token belongs to: sign in once online")
    })?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, problems) = Theme::load(&opts.theme, opts.themes_dir.as_deref(), no_color);
    for p in &problems {
        tracing::warn!("theme: {p}");
    }
    let engine = spawn(store.clone(), client.clone(), EngineOptions::default());
    let (tx, mut rx) = unbounded_channel::<Msg>();

    // Keys and resizes, read on their own thread (reading blocks).
    let keys = tx.clone();
    std::thread::spawn(move || loop {
        match event::read() {
            Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                if keys.send(Msg::Key(k)).is_err() {
                    return;
                }
            }
            Ok(TermEvent::Paste(text)) => {
                if keys.send(Msg::Paste(text)).is_err() {
                    return;
                }
            }
            Ok(TermEvent::Resize(..)) => {
                if keys.send(Msg::Resize).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    });
    // Sync status, as it changes.
    let mut status = engine.status();
    let sync_tx = tx.clone();
    let status_task = tokio::spawn(async move {
        loop {
            let s = status.borrow_and_update().clone();
            if sync_tx.send(Msg::Sync(s)).is_err() || status.changed().await.is_err() {
                return;
            }
        }
    });
    // Ticks: drafts saved within a second of typing, the case clocks, presence, relative
    // times. A tick that changes nothing shown draws nothing.
    let tick_tx = tx.clone();
    let tick_task = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(500));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        every.tick().await;
        loop {
            every.tick().await;
            if tick_tx.send(Msg::Tick(Utc::now())).is_err() {
                return;
            }
        }
    });

    let mut app = App::new(&me.name, client.server(), Utc::now(), super::app::Tz::local());
    let (guidance, problem) = Guidance::load(&opts.language);
    if let Some(p) = problem {
        tracing::warn!("{p}");
    }
    app.guidance = guidance;
    app.language = opts.language.trim().to_ascii_lowercase();
    app.macros.load_mine(&crate::paths::config_dir().join("macros.toml"));
    if let Some(p) = &app.macros.problem {
        tracing::warn!("{p}");
    }
    app.lead_mode = me.role != crate::domain::agent::Role::Agent;
    app.me_id = me.id;
    app.keys = opts.keys.clone();
    if !opts.views.is_empty() {
        app.views = opts.views.clone();
    }
    app.teams = me.teams.clone();
    let (writer, writing) = spawn_writer(store.clone(), engine.nudger(), tx.clone());
    let mut terminal = ratatui::init();
    // A paste arrives as text, never as keys; the hook set here turns it off again on a
    // panic, before ratatui's own hook restores the rest.
    let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::EnableBracketedPaste);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::DisableBracketedPaste);
        hook(info);
    }));
    // Whatever an earlier program (or a crashed console) left on the screen goes first.
    terminal.clear()?;
    let result: anyhow::Result<()> = async {
        run_cmds(
            vec![
                Cmd::LoadHome,
                Cmd::LoadAgents,
                Cmd::LoadMacros,
                Cmd::LoadSchedules,
                Cmd::LoadScorecard,
                Cmd::LoadMyReviews,
            ],
            &store,
            &client,
            &engine,
            &writer,
            me.id,
            &tx,
        );
        loop {
            if app.dirty {
                let size = terminal.size()?;
                app.page_rows = size.height.saturating_sub(4).max(1) as usize;
                terminal.draw(|f| draw(f, &app, &theme))?;
                app.dirty = false;
            }
            let Some(msg) = rx.recv().await else { break };
            let mut cmds = update(&mut app, msg);
            // Take everything already waiting before drawing again.
            while let Ok(msg) = rx.try_recv() {
                cmds.extend(update(&mut app, msg));
            }
            // Writes asked for just before quitting are recorded all the same.
            run_cmds(cmds, &store, &client, &engine, &writer, me.id, &tx);
            if app.quit {
                break;
            }
        }
        Ok(())
    }
    .await;
    let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    // What was typed and not yet saved as a draft is saved now, after every write still
    // queued (the writer keeps their order), and the case left.
    let mut last = Vec::new();
    if let Some(w) = app.work.as_mut() {
        last.extend(w.take_drafts());
        let _ = tokio::time::timeout(Duration::from_secs(1), client.leave(w.id)).await;
    }
    if let Some(f) = app.form.as_ref().filter(|f| f.dirty) {
        last.extend(f.drafts());
    }
    let _ = writer.send(Job::Drafts(last));
    drop(writer);
    if tokio::time::timeout(Duration::from_secs(30), writing).await.is_err() {
        tracing::error!("the local store did not finish recording within 30 s");
    }
    status_task.abort();
    tick_task.abort();
    engine.stop().await;
    store.close().await;
    result
}

/// A write for the writer task.
enum Job {
    Write { write: Box<Write>, clear: Vec<String> },
    Drafts(Vec<(String, String)>),
}

/// One task records writes and drafts, in the order they were made (a draft saved after a
/// write's clearing would bring back text already recorded; the reverse would lose it).
fn spawn_writer(
    store: LocalStore,
    nudge: impl Fn() + Send + Sync + 'static,
    tx: UnboundedSender<Msg>,
) -> (UnboundedSender<Job>, tokio::task::JoinHandle<()>) {
    let (jobs, mut rx) = unbounded_channel::<Job>();
    let task = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            match job {
                Job::Drafts(drafts) => {
                    if let Err(e) = store.save_drafts(&drafts).await {
                        tracing::error!("saving drafts: {e}");
                    }
                }
                Job::Write { write, clear } => {
                    let result = record(&store, &write).await;
                    if result.is_ok() {
                        let cleared: Vec<(String, String)> = clear.into_iter().map(|k| (k, String::new())).collect();
                        if let Err(e) = store.save_drafts(&cleared).await {
                            tracing::error!("clearing drafts: {e}");
                        }
                        nudge();
                    }
                    let _ = tx.send(Msg::Written { write: *write, result });
                }
            }
        }
    });
    (jobs, task)
}

/// Records a write in the local store; what it made, or why not.
async fn record(store: &LocalStore, write: &Write) -> Result<Option<uuid::Uuid>, Invalid> {
    use crate::wire::requests::{NewNoteRequest, RasaStepRequest};
    let r: Result<Option<uuid::Uuid>, LocalError> = match write.clone() {
        Write::Form(FormWrite::OpenCase(req)) => store.open_case(req).await.map(|c| Some(c.id)),
        Write::Form(FormWrite::Resolve { case, input }) => store.resolve_case(case, input).await.map(|c| Some(c.id)),
        Write::Form(FormWrite::CreateFollowUp(req)) => store.create_followup(req).await.map(|f| Some(f.id)),
        Write::Step { case, step, notes, done } => {
            store.set_rasa_step(case, step, RasaStepRequest { notes, done }).await.map(|_| None)
        }
        Write::Note { case, body, visibility } => {
            store.add_note(case, NewNoteRequest { body, visibility: Some(visibility) }).await.map(|n| Some(n.id))
        }
        Write::FollowUp { id, change } => store.change_followup(id, change).await.map(|f| Some(f.id)),
        Write::Case { case, change, .. } => store.change_case(case, change).await.map(|c| Some(c.id)),
        Write::CaseAndFollowUp { case, change, followup, .. } => {
            // The change first, then the follow-up; a refused first step leaves the second
            // unwritten.
            let pended = match change {
                Some(change) => store.change_case(case, change).await.map(|_| ()),
                None => Ok(()),
            };
            match pended {
                Ok(()) => store.create_followup(followup).await.map(|f| Some(f.id)),
                Err(e) => Err(e),
            }
        }
        Write::Review { case, scores, coaching } => {
            let card: Scorecard = store.kept(SCORECARD).await.ok().flatten().unwrap_or_default();
            store.add_review(case, NewReviewRequest { scores, coaching }, &card).await.map(Some)
        }
        // The server checks the criterion against the review's own.
        Write::ReviewAnswer { review, answer } => store.answer_review(review, answer, &[]).await.map(|_| None),
        Write::Settle { op, how } => match how {
            Settle::KeepMine => store.keep_mine(op).await,
            Settle::TakeTheirs => store.take_theirs(op).await,
            Settle::Dismiss => store.dismiss(op).await,
        }
        .map(|_| None),
    };
    r.map_err(|e| match e {
        LocalError::Invalid(i) => i,
        other => Invalid::general(other.to_string()),
    })
}

/// What the server answered, kept for offline use; offline (or on any failure), what was kept
/// last time; nothing when nothing was.
async fn fresh_or_kept<T>(store: &LocalStore, key: &str, fetched: Result<T, crate::client::ClientError>) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    match fetched {
        Ok(v) => {
            let _ = store.keep(key, &v).await;
            v
        }
        Err(_) => store.kept(key).await.ok().flatten().unwrap_or_default(),
    }
}

/// What home shows, from the local store: every active case here (home's views pick theirs),
/// the agent's open follow-ups, and who they are about.
pub async fn load_home(store: &LocalStore, me: uuid::Uuid) -> crate::console::home::HomeData {
    let cases = store.cases(None, true).await.unwrap_or_default();
    let followups = store.open_followups(me).await.unwrap_or_default();
    let mut people: Vec<uuid::Uuid> = cases.iter().map(|c| c.value.customer_id).collect();
    people.extend(followups.iter().map(|f| f.value.customer_id));
    people.sort();
    people.dedup();
    let customers = store.cached_customers(&people).await.unwrap_or_default();
    let mut of_followups: Vec<uuid::Uuid> = followups.iter().filter_map(|f| f.value.case_id).collect();
    of_followups.sort();
    of_followups.dedup();
    let subjects = store.case_subjects(&of_followups).await.unwrap_or_default();
    crate::console::home::HomeData { cases, followups, customers, subjects }
}

/// Where the server's scorecard is kept, as last read, for offline.
const SCORECARD: &str = "scorecard";

/// Where the agent's reviews are kept, as last read, for offline.
const MY_REVIEWS: &str = "reviews/mine";

/// Where the articles' list (all but their text) is kept for searching offline.
const ARTICLE_INDEX: &str = "articles/index";

/// Keeps the articles' list for offline search: the first 100 by title and those just
/// suggested, each once.
async fn keep_article_index(store: &LocalStore, client: &ApiClient, language: &str, suggested: &[ArticleHit]) {
    let Ok(mut all) = client.articles("", Match::All, Some(language), 100).await else { return };
    for a in suggested {
        if !all.iter().any(|b| b.slug == a.slug) {
            all.push(a.clone());
        }
    }
    let _ = store.keep(ARTICLE_INDEX, &all).await;
}

/// Search requests made so far, to drop those a newer one overtook.
static SEARCHES: AtomicU64 = AtomicU64::new(0);
/// The same for the knowledge base's search.
static ARTICLE_SEARCHES: AtomicU64 = AtomicU64::new(0);

/// Starts a task per command; each answers with a message.
fn run_cmds(
    cmds: Vec<Cmd>,
    store: &LocalStore,
    client: &ApiClient,
    engine: &SyncHandle,
    writer: &UnboundedSender<Job>,
    me: uuid::Uuid,
    tx: &UnboundedSender<Msg>,
) {
    for cmd in cmds {
        let (store, client, tx) = (store.clone(), client.clone(), tx.clone());
        match cmd {
            Cmd::SyncNow => engine.sync_now(),
            Cmd::Write { write, clear } => {
                let _ = writer.send(Job::Write { write: Box::new(write), clear });
            }
            Cmd::SaveDrafts(drafts) => {
                let _ = writer.send(Job::Drafts(drafts));
            }
            Cmd::LoadCase(id) => {
                tokio::spawn(async move {
                    let case = store.case(id).await.ok().flatten().map(Box::new);
                    let drafts = Drafts(store.drafts(&case_scope(id)).await.unwrap_or_default());
                    let _ = tx.send(Msg::Case { id, case, drafts });
                });
            }
            Cmd::LoadDrafts(scope) => {
                tokio::spawn(async move {
                    let drafts = Drafts(store.drafts(&scope).await.unwrap_or_default());
                    let _ = tx.send(Msg::Drafts { scope, drafts });
                });
            }
            Cmd::LoadUnsettled => {
                tokio::spawn(async move {
                    let ops = store.outbox().await.unwrap_or_default();
                    let ops = ops.into_iter().filter(|o| o.state != OpState::Pending).collect();
                    let _ = tx.send(Msg::Unsettled(ops));
                });
            }
            Cmd::Presence(case) => {
                tokio::spawn(async move {
                    // Offline, or a case not on the server yet: nobody else to show.
                    let others = client.presence(case).await.unwrap_or_default();
                    let others = others.into_iter().map(|a| a.name).collect();
                    let _ = tx.send(Msg::Presence { case, others });
                });
            }
            Cmd::LoadOverview => {
                tokio::spawn(async move {
                    let r = client.queues().await.map(Box::new).map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Overview(r));
                });
            }
            Cmd::LoadQueueCases { queue, sla } => {
                tokio::spawn(async move {
                    let result = client.queue_cases(&queue, sla).await.map(|p| p.cases).map_err(|e| e.to_string());
                    let _ = tx.send(Msg::QueueCases { queue, result });
                });
            }
            Cmd::Bulk(changes) => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::Bulk(client.bulk(changes).await.map_err(|e| e.to_string())));
                });
            }
            Cmd::LoadReport { days, team } => {
                tokio::spawn(async move {
                    let r = client.report(days, team.as_deref()).await.map(Box::new).map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Report(r));
                });
            }
            Cmd::LoadReportCases { from, to, team, drill } => {
                tokio::spawn(async move {
                    let q = crate::wire::leads::ReportCasesQuery {
                        from,
                        to,
                        team,
                        figure: drill.figure,
                        key: drill.key,
                        queue: drill.queue,
                        agent: drill.agent,
                    };
                    let r = client.report_cases(&q).await.map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Closed(r));
                });
            }
            Cmd::LoadCustomerNames(ids) => {
                tokio::spawn(async move {
                    // Offline, or refused: the list shows "…" for them.
                    if let Ok(found) = client.customers_by_ids(&ids).await {
                        let _ = tx.send(Msg::CustomerNames(found));
                    }
                });
            }
            Cmd::LoadCaseReviews(ids) => {
                tokio::spawn(async move {
                    // Offline, or refused: the list shows "—" for them.
                    if let Ok(found) = client.reviews_of_cases(&ids).await {
                        let _ = tx.send(Msg::CaseReviews(found));
                    }
                });
            }
            Cmd::LoadClosed(team) => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::Closed(client.closed_cases(&team, 50).await.map_err(|e| e.to_string())));
                });
            }
            Cmd::Leave(case) => {
                tokio::spawn(async move {
                    let _ = client.leave(case).await;
                });
            }
            Cmd::LoadMacros => {
                tokio::spawn(async move {
                    let macros = fresh_or_kept(&store, "macros", client.macros().await).await;
                    let _ = tx.send(Msg::Macros(macros));
                });
            }
            Cmd::LoadMyReviews => {
                tokio::spawn(async move {
                    let (result, offline) = match client.my_reviews().await {
                        Ok(list) => {
                            let _ = store.keep(MY_REVIEWS, &list).await;
                            (Ok(list), false)
                        }
                        Err(e) if e.is_transient() => {
                            match store.kept::<Vec<Review>>(MY_REVIEWS).await.ok().flatten() {
                                Some(kept) => (Ok(kept), true),
                                None => (Err("Offline: your reviews show once the server answers.".to_string()), true),
                            }
                        }
                        Err(e) => (Err(e.to_string()), false),
                    };
                    // Answers recorded here and not sent yet show on the list as given.
                    let pending = store.pending_review_answers().await.unwrap_or_default();
                    let result = result.map(|mut list| {
                        for r in list.iter_mut() {
                            if let Some((_, a)) = pending.iter().rev().find(|(id, _)| *id == r.id) {
                                r.answer = a.clone();
                                r.answered_at = None;
                            }
                        }
                        list
                    });
                    let _ = tx.send(Msg::Reviews { result, offline });
                });
            }
            Cmd::LoadScorecard => {
                tokio::spawn(async move {
                    let card = fresh_or_kept(&store, SCORECARD, client.scorecard().await).await;
                    let _ = tx.send(Msg::Scorecard(Box::new(card)));
                });
            }
            Cmd::LoadSchedules => {
                tokio::spawn(async move {
                    let list = fresh_or_kept(&store, "schedules", client.schedules().await).await;
                    let _ = tx.send(Msg::Schedules(list));
                });
            }
            Cmd::LoadAgents => {
                tokio::spawn(async move {
                    let agents = fresh_or_kept(&store, "agents", client.agents().await).await;
                    let _ = tx.send(Msg::Agents(agents));
                });
            }
            Cmd::LoadEvent(id) => {
                tokio::spawn(async move {
                    let result = match client.event(id).await {
                        Ok(e) => {
                            let _ = store.cache_event(&e).await;
                            Ok(e)
                        }
                        Err(e) if e.is_transient() => match store.cached_event(id).await.ok().flatten() {
                            Some(e) => Ok(e),
                            None => Err("Offline: this event's text and data were not read on this computer yet; they show once the server answers.".to_string()),
                        },
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Msg::EventDetail { id, result });
                });
            }
            Cmd::LoadHome => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::Home(Box::new(load_home(&store, me).await)));
                });
            }
            Cmd::SuggestArticles { case, terms, language } => {
                tokio::spawn(async move {
                    let key = format!("articles/case/{case}");
                    let by_terms = |articles| ArticleSuggestions { terms: terms.clone(), articles };
                    let (result, offline) = match client.suggested_articles(case, Some(&language)).await {
                        Ok(s) => {
                            let _ = store.keep(&key, &s).await;
                            keep_article_index(&store, &client, &language, &s.articles).await;
                            (Ok(s), false)
                        }
                        // A case the server does not have yet (opened here, not synced): the
                        // same words, as this console has them.
                        Err(ClientError::Refused { status: 404, .. }) => {
                            match client.articles(&terms.join(" "), Match::Any, Some(&language), 5).await {
                                Ok(found) => (Ok(by_terms(found)), false),
                                Err(e) => (Err(e.to_string()), false),
                            }
                        }
                        Err(e) if e.is_transient() => match store.kept::<ArticleSuggestions>(&key).await.ok().flatten()
                        {
                            Some(kept) => (Ok(kept), true),
                            None => {
                                let index: Vec<ArticleHit> =
                                    store.kept(ARTICLE_INDEX).await.ok().flatten().unwrap_or_default();
                                let found = index.into_iter().filter(|a| a.holds(&terms, Match::Any)).take(5).collect();
                                (Ok(by_terms(found)), true)
                            }
                        },
                        Err(e) => (Err(e.to_string()), false),
                    };
                    let (terms, result) = match result {
                        Ok(s) => (s.terms, Ok(s.articles)),
                        Err(e) => (vec![], Err(e)),
                    };
                    let _ = tx.send(Msg::Articles { query: None, terms, result, offline });
                });
            }
            Cmd::SearchArticles { query, language } => {
                // As with customers: typing fast sends only the last query.
                let generation = ARTICLE_SEARCHES.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(80)).await;
                    if ARTICLE_SEARCHES.load(Ordering::SeqCst) != generation {
                        return;
                    }
                    let (result, offline) = match client.articles(&query, Match::All, Some(&language), 50).await {
                        Ok(found) => (Ok(found), false),
                        Err(e) if e.is_transient() => {
                            let index: Vec<ArticleHit> =
                                store.kept(ARTICLE_INDEX).await.ok().flatten().unwrap_or_default();
                            let terms =
                                crate::domain::articles::search_terms(&query, crate::domain::articles::MAX_TERMS);
                            (Ok(index.into_iter().filter(|a| a.holds(&terms, Match::All)).collect()), true)
                        }
                        Err(e) => (Err(e.to_string()), false),
                    };
                    let _ = tx.send(Msg::Articles { query: Some(query), terms: vec![], result, offline });
                });
            }
            Cmd::LoadArticle(slug) => {
                tokio::spawn(async move {
                    let key = format!("article/{slug}");
                    let (result, offline) = match client.article(&slug).await {
                        Ok(a) => {
                            let _ = store.keep(&key, &a).await;
                            (Ok(a), false)
                        }
                        Err(e) if e.is_transient() => match store.kept(&key).await.ok().flatten() {
                            Some(a) => (Ok(a), true),
                            None => (Err("Offline, and this article was never read on this computer: it opens once the server answers.".to_string()), true),
                        },
                        Err(e) => (Err(e.to_string()), false),
                    };
                    let _ = tx.send(Msg::Article { result, offline });
                });
            }
            Cmd::Search(query) => {
                // Typing fast sends only the last query: each waits a moment and gives way
                // to a newer one.
                let generation = SEARCHES.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(80)).await;
                    if SEARCHES.load(Ordering::SeqCst) != generation {
                        return;
                    }
                    let (result, offline) = match client.search_customers(&query, 50).await {
                        Ok(found) => {
                            let _ = store.cache_customers(&found).await;
                            (Ok(found), false)
                        }
                        Err(e) if e.is_transient() => {
                            (store.search_cached_customers(&query, 50).await.map_err(|e| e.to_string()), true)
                        }
                        Err(e) => (Err(e.to_string()), false),
                    };
                    let _ = tx.send(Msg::SearchResults { query, result, offline });
                });
            }
            Cmd::LoadTimeline { customer, cursor } => {
                if cursor.is_none() {
                    let (store, client, tx) = (store.clone(), client.clone(), tx.clone());
                    tokio::spawn(async move {
                        // The card carries the customer; offline, the card kept last time (or
                        // at least the customer's name and contacts).
                        match client.card(customer).await {
                            Ok(card) => {
                                let _ = store.cache_card(&card).await;
                                let _ = tx.send(Msg::Card { card: Box::new(card), offline: false });
                            }
                            Err(_) => {
                                if let Some(card) = store.cached_card(customer).await.ok().flatten() {
                                    let _ = tx.send(Msg::Card { card: Box::new(card), offline: true });
                                } else if let Some(c) = store.customer(customer).await.ok().flatten() {
                                    let _ = tx.send(Msg::Customer(Box::new(c)));
                                }
                            }
                        }
                    });
                }
                tokio::spawn(async move {
                    let (result, offline) = match client.timeline_rows(customer, cursor.as_deref(), PAGE).await {
                        Ok(page) => {
                            let _ = store.cache_rows(customer, &page.0).await;
                            (Ok(page), false)
                        }
                        Err(e) if e.is_transient() && cursor.is_none() => {
                            let cached = store.cached_timeline(customer, None, 100_000).await;
                            (cached.map(|events| (events, None)).map_err(|e| e.to_string()), true)
                        }
                        Err(e) => (Err(e.to_string()), false),
                    };
                    let _ = tx.send(Msg::TimelinePage { customer, result, offline });
                });
            }
        }
    }
}
