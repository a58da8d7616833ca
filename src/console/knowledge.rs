//! The knowledge base in the console: `a` in a case opens the articles that fit it (from its
//! subject and the customer's latest events); typing searches them all (every word, the last as
//! typed so far). Enter reads one; `l` puts a link to it into the note, `s` its summary (Ctrl-l
//! and Ctrl-s from the list). Offline, the suggestions and the article list kept from the last
//! time online are searched, and the articles read before can be read again.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use uuid::Uuid;

use super::app::App;
use super::keymap::Action;
use super::msg::Cmd;
use super::theme::{Slot, Theme};
use super::widgets::{block, fit, window_start};
use crate::domain::articles::{Article, ArticleHit};

/// The longest query (characters).
const MAX_QUERY: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeState {
    /// The case it was opened over (its suggestions), if any.
    pub case: Option<Uuid>,
    pub query: String,
    /// What the list shows: the suggestions (no query) or what the query found.
    pub hits: Vec<ArticleHit>,
    /// The words the suggestions were found by.
    pub terms: Vec<String>,
    pub selected: usize,
    /// The article being read, and how far down.
    pub reading: Option<Article>,
    pub scroll: u16,
    /// Waiting for an answer.
    pub loading: bool,
    /// The list (or the article) is what this computer kept, not the server's answer.
    pub offline: bool,
    /// Why there is nothing to show.
    pub problem: Option<String>,
}

/// Opens the knowledge base: over the case being worked, its suggestions; elsewhere, every
/// article by title.
pub fn open(app: &mut App) -> Vec<Cmd> {
    let case = if app.view() == super::mode::View::Case {
        app.work.as_ref().filter(|w| w.data.is_some()).map(|w| w.id)
    } else {
        None
    };
    app.knowledge = Some(KnowledgeState { case, loading: true, ..Default::default() });
    let language = app.language.clone();
    match case {
        Some(case) => vec![Cmd::SuggestArticles { case, terms: case_terms(app), language }],
        None => vec![Cmd::SearchArticles { query: String::new(), language }],
    }
}

/// The words of the case being worked and of its customer's latest events from other systems,
/// as this console has them.
fn case_terms(app: &App) -> Vec<String> {
    let Some(case) = app.work.as_ref().and_then(|w| w.data.as_ref()).map(|d| &d.case.value) else { return vec![] };
    let t = &app.timeline;
    let theirs = t.customer.as_ref().is_some_and(|c| c.id == case.customer_id);
    let titles = t
        .events
        .iter()
        .filter(|_| theirs)
        .filter(|e| e.source != crate::domain::event::CASEBOOK_SOURCE)
        .take(5)
        .map(|e| e.title.as_str());
    crate::domain::articles::suggestion_terms(&case.subject, titles)
}

/// The answer to a search (`query`) or to the suggestions (`None`); an answer that a newer
/// query overtook is dropped.
pub fn loaded(
    app: &mut App,
    query: Option<String>,
    terms: Vec<String>,
    result: Result<Vec<ArticleHit>, String>,
    offline: bool,
) {
    let Some(k) = app.knowledge.as_mut() else { return };
    let current = k.query.trim();
    let fits = match &query {
        Some(q) => q == current,
        None => current.is_empty(),
    };
    if !fits {
        return;
    }
    k.loading = false;
    k.offline = offline;
    match result {
        Ok(hits) => {
            k.problem = None;
            if query.is_none() {
                k.terms = terms;
            }
            k.hits = hits;
        }
        Err(e) => {
            k.problem = Some(e);
            k.hits.clear();
        }
    }
    k.selected = k.selected.min(k.hits.len().saturating_sub(1));
}

/// An article to read (or why it cannot be).
pub fn article(app: &mut App, result: Result<Article, String>, offline: bool) {
    let Some(k) = app.knowledge.as_mut() else { return };
    k.loading = false;
    match result {
        Ok(a) => {
            k.reading = Some(a);
            k.scroll = 0;
            k.offline = offline;
            k.problem = None;
        }
        Err(e) => k.problem = Some(e),
    }
}

fn requery(app: &mut App) -> Vec<Cmd> {
    let language = app.language.clone();
    let Some(k) = app.knowledge.as_mut() else { return vec![] };
    k.selected = 0;
    k.loading = true;
    let query = k.query.trim().to_string();
    match (query.is_empty(), k.case) {
        (true, Some(case)) => vec![Cmd::SuggestArticles { case, terms: case_terms(app), language }],
        _ => vec![Cmd::SearchArticles { query, language }],
    }
}

/// Puts the article (or hit) into the case's note as a link or its summary, and closes the
/// knowledge base; outside a case, says where it can go.
fn insert(app: &mut App, hit: ArticleHit, link: bool) -> Vec<Cmd> {
    let text = if link { hit.as_link() } else { hit.as_summary() };
    if super::case::actions::insert_text(app, &text) {
        app.knowledge = None;
        app.say(false, format!("“{}” is in the note: Ctrl-s adds it.", hit.title));
    } else {
        app.say(true, "Open a case first: an article goes into a case's note.".to_string());
    }
    vec![]
}

/// A key while the list is open: its table's actions, else typed into the query.
pub fn list_key(app: &mut App, a: Option<Action>, k: KeyEvent) -> Vec<Cmd> {
    let Some(kb) = app.knowledge.as_mut() else { return vec![] };
    match a {
        Some(Action::Close) => app.knowledge = None,
        Some(Action::Quit) => app.quit = true,
        Some(Action::Down) => kb.selected = (kb.selected + 1).min(kb.hits.len().saturating_sub(1)),
        Some(Action::Up) => kb.selected = kb.selected.saturating_sub(1),
        Some(Action::Open) => {
            if let Some(hit) = kb.hits.get(kb.selected) {
                let slug = hit.slug.clone();
                kb.loading = true;
                return vec![Cmd::LoadArticle(slug)];
            }
        }
        Some(a @ (Action::InsertLink | Action::InsertSummary)) => {
            if let Some(hit) = kb.hits.get(kb.selected).cloned() {
                return insert(app, hit, a == Action::InsertLink);
            }
        }
        Some(_) => {}
        None => {
            match k.code {
                KeyCode::Backspace => {
                    kb.query.pop();
                }
                KeyCode::Char(c)
                    if !k.modifiers.contains(KeyModifiers::CONTROL) && kb.query.chars().count() < MAX_QUERY =>
                {
                    kb.query.push(c)
                }
                _ => return vec![],
            }
            return requery(app);
        }
    }
    vec![]
}

/// A key while an article is read.
pub fn read_key(app: &mut App, a: Action) -> Vec<Cmd> {
    let page = app.page_rows.max(1) as u16;
    let Some(kb) = app.knowledge.as_mut() else { return vec![] };
    let Some(article) = kb.reading.as_ref() else { return vec![] };
    let max = article.body.lines().count() as u16;
    match a {
        Action::Down => kb.scroll = (kb.scroll + 1).min(max),
        Action::Up => kb.scroll = kb.scroll.saturating_sub(1),
        Action::PageDown => kb.scroll = (kb.scroll + page).min(max),
        Action::PageUp => kb.scroll = kb.scroll.saturating_sub(page),
        Action::Top => kb.scroll = 0,
        Action::Back => kb.reading = None,
        Action::Close => app.knowledge = None,
        Action::InsertLink | Action::InsertSummary => {
            let hit = ArticleHit::from(article);
            return insert(app, hit, a == Action::InsertLink);
        }
        _ => {}
    }
    vec![]
}

/// Text pasted into the query (control characters left out).
pub fn paste(app: &mut App, text: &str) -> Vec<Cmd> {
    let Some(kb) = app.knowledge.as_mut().filter(|k| k.reading.is_none()) else { return vec![] };
    let room = MAX_QUERY.saturating_sub(kb.query.chars().count());
    kb.query.extend(text.chars().filter(|c| !c.is_control()).take(room));
    requery(app)
}

/// How a line of Markdown is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Heading,
    Item,
    Quote,
    Code,
    Text,
}

/// Markdown as lines to read in a terminal: headings without their `#`, list items with a
/// bullet, code as it is, emphasis marks and link targets folded into the text.
pub fn markdown_lines(body: &str) -> Vec<(Shape, String)> {
    let mut out = Vec::new();
    let mut code = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            code = !code;
            continue;
        }
        if code {
            out.push((Shape::Code, format!("  {line}")));
        } else if let Some(h) = t.strip_prefix('#') {
            out.push((Shape::Heading, inline(h.trim_start_matches('#').trim())));
        } else if let Some(i) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            let indent = " ".repeat(line.len() - t.len());
            out.push((Shape::Item, format!("{indent}• {}", inline(i))));
        } else if let Some(q) = t.strip_prefix('>') {
            out.push((Shape::Quote, format!("│ {}", inline(q.trim_start()))));
        } else {
            out.push((Shape::Text, inline(line)));
        }
    }
    out
}

/// Inline Markdown as plain text: `**b**`, `__b__`, `` `c` `` lose their marks, `[t](u)`
/// becomes `t (u)`.
fn inline(s: &str) -> String {
    let s = s.replace("**", "").replace("__", "").replace('`', "");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else { break };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else { break };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        out.push_str(" (");
        out.push_str(&rest[close + 2..end]);
        out.push(')');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(k) = &app.knowledge else { return };
    let w = area.width.saturating_sub(4).min(110);
    let h = area.height.saturating_sub(2);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + 1, width: w, height: h };
    frame.render_widget(Clear, r);
    let offline = if k.offline { " · offline: as kept here" } else { "" };
    match &k.reading {
        Some(a) => {
            let mut lines = vec![];
            let mut meta: Vec<String> = a.tags.iter().map(|t| format!("#{t}")).collect();
            meta.extend(a.language.clone());
            meta.extend(a.url.clone());
            if !meta.is_empty() {
                lines.push(Line::styled(meta.join("  "), theme.fg(Slot::TextMuted)));
            }
            // The summary, unless it is the text's first paragraph anyway.
            let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            if !a.summary.is_empty() && !words(&a.body).starts_with(words(&a.summary).trim_end_matches('…')) {
                lines.push(Line::styled(a.summary.clone(), theme.fg(Slot::Info)));
                lines.push(Line::raw(""));
            }
            lines.extend(markdown_lines(&a.body).into_iter().map(|(shape, text)| match shape {
                Shape::Heading => Line::styled(text, theme.fg(Slot::Title).add_modifier(Modifier::BOLD)),
                Shape::Code | Shape::Quote => Line::styled(text, theme.fg(Slot::TextMuted)),
                Shape::Item | Shape::Text => Line::styled(text, theme.fg(Slot::Text)),
            }));
            let hint = if app.work.as_ref().is_some_and(|w| w.data.is_some()) {
                " l: a link into the note · s: its summary · Esc: the list "
            } else {
                " Esc: the list · x closes "
            };
            let title = format!("{}{offline}", a.title);
            let frame_block = block(&title, theme, true).title_bottom(Line::styled(hint, theme.fg(Slot::HelpKey)));
            frame.render_widget(
                Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((k.scroll, 0)).block(frame_block),
                r,
            );
        }
        None => {
            let inner_w = w.saturating_sub(2) as usize;
            let mut lines = vec![Line::from(vec![
                Span::styled("Search: ", theme.fg(Slot::Info)),
                Span::styled(format!("{}▏", k.query), theme.fg(Slot::InputFg)),
            ])];
            let head = match (&k.problem, k.loading, k.hits.is_empty()) {
                (Some(p), _, _) => Some((p.clone(), Slot::Error)),
                (None, true, true) => Some(("Looking…".to_string(), Slot::TextMuted)),
                (None, false, true) if k.query.trim().is_empty() && k.case.is_some() => {
                    Some(("No article fits this case yet: type to search them all.".to_string(), Slot::TextMuted))
                }
                (None, false, true) => Some(("No article holds every word.".to_string(), Slot::TextMuted)),
                _ if k.query.trim().is_empty() && !k.terms.is_empty() => {
                    Some((format!("Fits the case by: {}", k.terms.join(", ")), Slot::TextMuted))
                }
                _ => None,
            };
            if let Some((text, slot)) = head {
                lines.push(Line::styled(fit(&text, inner_w), theme.fg(slot)));
            }
            // Two lines an article: its title (and tags), then its summary.
            let rows = (h.saturating_sub(3 + lines.len() as u16) / 2) as usize;
            for (i, a) in k.hits.iter().enumerate().skip(window_start(k.selected, rows.max(1))).take(rows.max(1)) {
                let style = if i == k.selected { theme.selection() } else { theme.fg(Slot::Text) };
                let tags: String = a.tags.iter().map(|t| format!(" #{t}")).collect();
                let title_w = inner_w.saturating_sub(tags.chars().count().min(inner_w / 3));
                lines.push(Line::from(vec![
                    Span::styled(fit(&a.title, title_w), style.add_modifier(Modifier::BOLD)),
                    Span::styled(fit(&tags, inner_w - title_w), theme.fg(Slot::TextMuted)),
                ]));
                lines.push(Line::styled(fit(&format!("  {}", a.summary), inner_w), theme.fg(Slot::TextMuted)));
            }
            let what =
                if k.query.trim().is_empty() && k.case.is_some() { "Articles for this case" } else { "Knowledge base" };
            let title = format!("{what} ({}){offline}", k.hits.len());
            let hint = " Enter reads · Ctrl-l: a link into the note · Ctrl-s: its summary · Esc ";
            let frame_block = block(&title, theme, true).title_bottom(Line::styled(hint, theme.fg(Slot::HelpKey)));
            frame.render_widget(Paragraph::new(lines).block(frame_block), r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::app::update;
    use crate::console::msg::Msg;
    use crate::console::testing::{knowledge_scene, sample_articles, screen};
    use crate::console::theme::Theme;

    fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(code, mods)))
    }

    #[test]
    fn snapshots_of_the_knowledge_base_at_two_sizes() {
        let (theme, _) = Theme::load("default", None, false);
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = knowledge_scene();
            insta::assert_snapshot!(format!("knowledge_{w}x{h}"), screen(&app, &theme, w, h));
            let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
            assert_eq!(cmds, vec![Cmd::LoadArticle("parcel-stuck".into())]);
            update(&mut app, Msg::Article { result: Ok(sample_articles().remove(0)), offline: true });
            insta::assert_snapshot!(format!("knowledge_article_{w}x{h}"), screen(&app, &theme, w, h));
        }
    }

    #[test]
    fn an_article_goes_into_the_note_as_a_link_or_its_summary() {
        let mut app = knowledge_scene();
        // Read, then `l`: the link is in the note being typed, the knowledge base closed.
        press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        update(&mut app, Msg::Article { result: Ok(sample_articles().remove(0)), offline: false });
        assert_eq!(app.mode(), crate::console::mode::Mode::Article);
        press(&mut app, KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(app.knowledge.as_ref().unwrap().scroll, 1);
        press(&mut app, KeyCode::Char('l'), KeyModifiers::NONE);
        assert!(app.knowledge.is_none());
        let w = app.work.as_ref().unwrap();
        assert_eq!(w.typing, Some(super::super::case::workspace::Typing::Note));
        assert_eq!(
            super::super::forms::text_of(&w.note),
            "A parcel stuck at the depot — https://help.example.com/parcel-stuck"
        );
        // From the list, Ctrl-s: the second article's summary, after what is there.
        press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
        press(&mut app, KeyCode::Char('a'), KeyModifiers::NONE);
        let hits = sample_articles().iter().map(ArticleHit::from).collect();
        update(&mut app, Msg::Articles { query: None, terms: vec![], result: Ok(hits), offline: false });
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
        press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
        let note = super::super::forms::text_of(&app.work.as_ref().unwrap().note);
        assert!(
            note.ends_with("How refunds work: A refund goes back to the card it was paid with within 5 working days."),
            "{note}"
        );
    }

    #[test]
    fn typing_searches_and_late_answers_are_dropped() {
        let mut app = knowledge_scene();
        let mut last = vec![];
        for c in "refu".chars() {
            last = press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
        }
        assert_eq!(last, vec![Cmd::SearchArticles { query: "refu".into(), language: "en".into() }]);
        // The answer to an older query is not shown.
        let refunds = ArticleHit::from(&sample_articles()[1]);
        update(
            &mut app,
            Msg::Articles { query: Some("ref".into()), terms: vec![], result: Ok(vec![]), offline: false },
        );
        assert_eq!(app.knowledge.as_ref().unwrap().hits.len(), 3, "still the suggestions");
        update(
            &mut app,
            Msg::Articles { query: Some("refu".into()), terms: vec![], result: Ok(vec![refunds]), offline: true },
        );
        let k = app.knowledge.as_ref().unwrap();
        assert_eq!((k.hits.len(), k.offline), (1, true));
        // Emptied again: back to the case's suggestions.
        for _ in 0..4 {
            last = press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
        }
        assert!(matches!(last.as_slice(), [Cmd::SuggestArticles { .. }]), "{last:?}");
        // A paste of anything is text in the query, cut to its length, control characters out.
        let cmds = update(&mut app, Msg::Paste(format!("a\u{0}b\n{}", "x".repeat(100_000))));
        assert_eq!(app.knowledge.as_ref().unwrap().query.chars().count(), MAX_QUERY);
        assert!(matches!(cmds.as_slice(), [Cmd::SearchArticles { .. }]));
        // Outside a case, nothing to put an article into: said, and the article stays open.
        let mut app = crate::console::testing::agent_scene();
        let cmds = open(&mut app);
        assert_eq!(cmds, vec![Cmd::SearchArticles { query: String::new(), language: "en".into() }]);
        update(&mut app, Msg::Article { result: Ok(sample_articles().remove(1)), offline: false });
        press(&mut app, KeyCode::Char('s'), KeyModifiers::NONE);
        assert!(app.knowledge.is_some());
    }

    #[test]
    fn markdown_reads_as_plain_lines() {
        let md = "## Steps\n\n- Open the **order**\n  * then `refund`\n> careful\n```\nlet x = 1;\n```\nSee [the policy](https://x.example/p) now.";
        let lines = markdown_lines(md);
        assert_eq!(
            lines,
            vec![
                (Shape::Heading, "Steps".into()),
                (Shape::Text, "".into()),
                (Shape::Item, "• Open the order".into()),
                (Shape::Item, "  • then refund".into()),
                (Shape::Quote, "│ careful".into()),
                (Shape::Code, "  let x = 1;".into()),
                (Shape::Text, "See the policy (https://x.example/p) now.".into()),
            ]
        );
        assert_eq!(inline("a [b] c [d](e"), "a [b] c [d](e", "half a link stays as it is");
    }
}
