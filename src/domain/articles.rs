//! The knowledge base: articles in Markdown that answer what customers ask, kept by the server
//! (admins load a folder of `.md` files, or send them through the API), found by full-text
//! search and suggested in a case from its subject and the customer's latest events. An agent
//! reads one in the console and puts it into a note as a link or as its summary.
//!
//! An article file is Markdown: an optional front matter of `key: value` lines between two
//! `---` lines (`title`, `summary`, `tags`, `language`, `url`), then the text. Without a title
//! there, the first `# ` heading is the title; without a summary, the first paragraph after it.
//! The file's name (without `.md`) is the article's slug.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::is_valid_name;
use super::text::check_no_nul;
use super::Invalid;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SUMMARY_CHARS: usize = 600;
/// An article's text, in bytes.
pub const MAX_BODY_BYTES: usize = 200_000;
pub const MAX_TAGS: usize = 16;
/// The longest search, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// The words a search or a suggestion is made of, at most.
pub const MAX_TERMS: usize = 12;

/// One article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Article {
    /// Lower-case letters, digits, `_`, `-`, `.`: the file's name, and how the API names it.
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    pub slug: String,
    /// Up to 200 characters.
    pub title: String,
    /// What a note gets when the article goes in as a summary (up to 600 characters).
    pub summary: String,
    /// The article, Markdown (up to 200,000 bytes).
    pub body: String,
    /// Like a case's tags: lower-case names, searched too.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `en`, `it`, `hu`…; left out: for every language.
    #[serde(default)]
    pub language: Option<String>,
    /// Where customers can read it (the help centre's page): what a link to it is.
    #[serde(default)]
    pub url: Option<String>,
}

/// An article as a list shows it: all but its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArticleHit {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub url: Option<String>,
}

impl From<&Article> for ArticleHit {
    fn from(a: &Article) -> Self {
        ArticleHit {
            slug: a.slug.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            tags: a.tags.clone(),
            language: a.language.clone(),
            url: a.url.clone(),
        }
    }
}

/// Whether `s` may name an article (and a macro): lower-case letters, digits, `_`, `-`, `.`.
pub fn is_valid_slug(s: &str) -> bool {
    is_valid_name(s)
}

/// Whether `s` names a language the way the guidance does: two or three lower-case letters,
/// optionally a region (`pt-br`).
pub fn is_valid_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Article {
    /// Checks an article as it is about to be kept, and tidies it: trimmed text, tags lower-case
    /// and sorted. The error says what to fix.
    pub fn checked(mut self) -> Result<Article, Invalid> {
        if !is_valid_slug(&self.slug) {
            return Err(Invalid::field(
                "slug",
                format!(
                    "`{}` cannot name an article: lower-case letters, digits, `_`, `-`, `.`, up to 64 (rename the file)",
                    self.slug.escape_debug()
                ),
            ));
        }
        for (field, value) in [("title", &self.title), ("summary", &self.summary), ("body", &self.body)] {
            check_no_nul(field, value)?;
        }
        self.title = self.title.trim().to_string();
        self.summary = self.summary.trim().to_string();
        if self.title.is_empty() || self.title.chars().count() > MAX_TITLE_CHARS {
            return Err(Invalid::field(
                "title",
                format!("an article needs a title of 1 to {MAX_TITLE_CHARS} characters (a `# Title` line)"),
            ));
        }
        if self.summary.chars().count() > MAX_SUMMARY_CHARS {
            return Err(Invalid::field(
                "summary",
                format!("{} characters; a summary has up to {MAX_SUMMARY_CHARS}", self.summary.chars().count()),
            ));
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(Invalid::field(
                "body",
                format!("{} bytes; an article has up to {MAX_BODY_BYTES}: split it", self.body.len()),
            ));
        }
        self.tags = super::case::tag_list(&self.tags, MAX_TAGS, "an article")?;
        if let Some(l) = &self.language {
            let l = l.trim().to_lowercase();
            if !is_valid_language(&l) {
                return Err(Invalid::field(
                    "language",
                    format!("`{}` is not a language: two letters such as en, it, hu", l.escape_debug()),
                ));
            }
            self.language = Some(l);
        }
        if let Some(u) = &self.url {
            let u = u.trim();
            if !(u.starts_with("https://") || u.starts_with("http://"))
                || u.len() > 2000
                || u.contains(char::is_whitespace)
            {
                return Err(Invalid::field(
                    "url",
                    format!("`{}` is not a web address: https://… without spaces", u.escape_debug()),
                ));
            }
            self.url = Some(u.to_string());
        }
        Ok(self)
    }

    /// What a note gets for a link to the article.
    pub fn as_link(&self) -> String {
        ArticleHit::from(self).as_link()
    }

    /// What a note gets for the article as a summary.
    pub fn as_summary(&self) -> String {
        ArticleHit::from(self).as_summary()
    }
}

impl ArticleHit {
    /// What a note gets for a link to the article: its title and where to read it.
    pub fn as_link(&self) -> String {
        match &self.url {
            Some(u) => format!("{} — {u}", self.title),
            None => format!("{} (knowledge base: {})", self.title, self.slug),
        }
    }

    /// What a note gets for the article as a summary.
    pub fn as_summary(&self) -> String {
        if self.summary.is_empty() {
            self.as_link()
        } else {
            format!("{}: {}", self.title, self.summary)
        }
    }

    /// Whether the hit holds the words (lower-case) in its title, summary or tags — every one,
    /// the last as a prefix, or any one: the console's search among the articles it kept,
    /// offline. No words: every hit.
    pub fn holds(&self, terms: &[String], how: Match) -> bool {
        let text = format!("{} {} {}", self.title, self.summary, self.tags.join(" ")).to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
        let last = terms.len().saturating_sub(1);
        let has = |i: usize, t: &String| {
            words.iter().any(|w| *w == t || (how == Match::All && i == last && w.starts_with(t.as_str())))
        };
        match how {
            Match::All => terms.iter().enumerate().all(|(i, t)| has(i, t)),
            Match::Any => terms.is_empty() || terms.iter().enumerate().any(|(i, t)| has(i, t)),
        }
    }
}

/// A slug from a file's name: lower-case, spaces and what cannot name an article as `-`.
pub fn slug_from_file_name(stem: &str) -> String {
    let mut out = String::new();
    for c in stem.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || "_.".contains(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(64).collect()
}

/// Reads an article file (see the module's notes); `slug` from its name. The error says what to
/// fix and where.
pub fn parse_markdown(slug: &str, text: &str) -> Result<Article, Invalid> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let (front, body) = split_front_matter(&text)?;
    let mut article = Article {
        slug: slug.to_string(),
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        tags: vec![],
        language: None,
        url: None,
    };
    for (n, line) in front.iter() {
        let Some((key, value)) = line.split_once(':') else {
            return Err(Invalid::general(format!(
                "front matter line {n}: `{}` is not `key: value`",
                line.escape_debug()
            )));
        };
        let value = value.trim().to_string();
        match key.trim() {
            "title" => article.title = value,
            "summary" => article.summary = value,
            "tags" => article.tags = value.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
            "language" | "lang" => article.language = Some(value).filter(|v| !v.is_empty()),
            "url" => article.url = Some(value).filter(|v| !v.is_empty()),
            other => {
                return Err(Invalid::general(format!(
                    "front matter line {n}: `{}` is not known (title, summary, tags, language, url)",
                    other.escape_debug()
                )))
            }
        }
    }
    // The first `# ` heading is the title (and is not repeated in the text) when the front
    // matter gave none; the first paragraph after it is the summary.
    let mut lines: Vec<&str> = body.lines().collect();
    if article.title.is_empty() {
        if let Some(i) = lines.iter().position(|l| l.starts_with("# ")) {
            article.title = lines[i][2..].trim().to_string();
            lines.remove(i);
        }
    }
    let text = lines.join("\n").trim().to_string();
    if article.summary.is_empty() {
        article.summary = first_paragraph(&text);
    }
    article.body = text;
    article.checked()
}

/// The front matter's lines (numbered from 1 in the file) and what follows it.
/// Front matter lines, numbered as in the file.
type FrontMatter<'a> = Vec<(usize, &'a str)>;

fn split_front_matter(text: &str) -> Result<(FrontMatter<'_>, &str), Invalid> {
    let Some(rest) = text.strip_prefix("---\n") else { return Ok((vec![], text)) };
    let mut front = Vec::new();
    let mut offset = 4;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        offset += line.len();
        let l = line.trim_end_matches('\n');
        if l.trim() == "---" {
            return Ok((front, &text[offset..]));
        }
        if !l.trim().is_empty() {
            front.push((i + 2, l));
        }
    }
    Err(Invalid::general("the front matter that starts on line 1 has no closing `---` line"))
}

/// The first paragraph of Markdown text that is prose (not a heading, list, quote, code or
/// table), on one line, up to the summary's length.
fn first_paragraph(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if l.is_empty() {
            if out.is_empty() {
                continue;
            }
            break;
        }
        if out.is_empty()
            && (l.starts_with('#') || l.starts_with(['-', '*', '>', '|']) || l.starts_with(char::is_numeric))
        {
            continue;
        }
        out.push(l);
    }
    let joined = out.join(" ");
    if joined.chars().count() <= MAX_SUMMARY_CHARS {
        return joined;
    }
    let cut: String = joined.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Words too common to find anything by, in the guidance's languages.
const STOPWORDS: &[&str] = &[
    // English
    "the", "and", "for", "with", "not", "but", "you", "your", "our", "are", "was", "were", "has", "have", "had", "can",
    "cannot", "after", "before", "from", "this", "that", "into", "out", "about", "again", "still", "does", "did",
    "its", "his", "her", "they", "them", "what", "when", "why", "how", "who", "all", "any", "some", "get", "got",
    "been", "will", "would", "should", "could", "there", "here", "than", "then", "too", "very", "just", "only", "also",
    "in", "on", "to", "of", "is", "it", "my", "me", "we", "or", "at", "by", "an", "as", "be", "do", "if", "no", "so",
    "up", "am", "he", "she", "him", // Italian
    "che", "non", "per", "con", "una", "uno", "del", "della", "delle", "dei", "degli", "nel", "nella", "sono", "come",
    "più", "dopo", "prima", "anche", "ancora", // Hungarian
    "nem", "egy", "hogy", "meg", "már", "még", "van", "volt", "után", "előtt", "és", "vagy", "csak", "azt",
];

/// The words to look for in `text`: letters and digits only, lower-case, two characters or
/// more, common words left out, each once, in order, at most `max`. Both backends tokenise
/// the same way (on what is not a letter or a digit), and what is left can go into either's
/// query syntax as it is.
pub fn search_terms(text: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if out.len() >= max {
            break;
        }
        let w = word.to_lowercase();
        if w.chars().count() < 2 || w.chars().count() > 40 || STOPWORDS.contains(&w.as_str()) || out.contains(&w) {
            continue;
        }
        out.push(w);
    }
    out
}

/// The words that find the articles fitting a case: its subject's, then those of the
/// customer's latest events (their titles), at most [`MAX_TERMS`].
pub fn suggestion_terms<'a>(subject: &str, titles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut text = subject.to_string();
    for t in titles {
        text.push(' ');
        text.push_str(t);
    }
    search_terms(&text, MAX_TERMS)
}

/// How a search's words are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Match {
    /// Every word, the last as a prefix (what an agent types, as they type it).
    #[default]
    All,
    /// Any word, the best-matching first (a suggestion from a case).
    Any,
}

super::named_enum!(Match, "way to match the words", { All => "all", Any => "any" });

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "---\ntags: Billing, refunds\nlanguage: en\nurl: https://help.example.com/refunds\n---\n\n# How refunds work\n\nA refund goes back to the card it was paid with,\nwithin 5 working days.\n\n## Steps\n\n1. Open the order.\n";

    #[test]
    fn a_file_gives_title_summary_tags_and_text() {
        let a = parse_markdown("refunds", FILE).unwrap();
        assert_eq!(a.title, "How refunds work");
        assert_eq!(a.summary, "A refund goes back to the card it was paid with, within 5 working days.");
        assert_eq!(a.tags, ["billing", "refunds"]);
        assert_eq!(a.language.as_deref(), Some("en"));
        assert!(a.body.starts_with("A refund goes back") && a.body.contains("## Steps"), "{}", a.body);
        assert!(!a.body.contains("# How refunds"), "the title is not repeated in the text");
        assert_eq!(a.as_link(), "How refunds work — https://help.example.com/refunds");
        assert!(a.as_summary().starts_with("How refunds work: A refund goes back"));
    }

    #[test]
    fn bad_files_say_what_to_fix() {
        assert!(parse_markdown("x", "no heading here\n").unwrap_err().message.contains("`# Title`"));
        assert!(parse_markdown("x", "---\ntitle: A\n").unwrap_err().message.contains("closing `---`"));
        assert!(parse_markdown("x", "---\nauthor: me\n---\n# A\n")
            .unwrap_err()
            .message
            .contains("`author` is not known"));
        assert!(parse_markdown("x", "---\nurl: ftp://x\n---\n# A\n").unwrap_err().message.contains("web address"));
        assert!(parse_markdown("Bad Slug", "# A\n").unwrap_err().message.contains("rename the file"));
        assert!(parse_markdown("x", "# A\0\n").is_err(), "NUL is refused");
        let long = format!("# A\n\n{}", "word ".repeat(50_000));
        assert!(parse_markdown("x", &long).unwrap_err().message.contains("split it"));
        // A long first paragraph is cut, marked.
        let a = parse_markdown("x", &format!("# A\n\n{}", "word ".repeat(500))).unwrap();
        assert!(a.summary.ends_with('…') && a.summary.chars().count() <= MAX_SUMMARY_CHARS);
    }

    #[test]
    fn slugs_from_names_and_terms_from_text() {
        assert_eq!(slug_from_file_name("Refund Policy (EU)"), "refund-policy-eu");
        assert_eq!(slug_from_file_name("  Ügyfél  adatok "), "gyf-l-adatok");
        assert_eq!(
            search_terms("Cannot log in after the password reset — PASSWORD again!", 12),
            ["log", "password", "reset"]
        );
        assert_eq!(search_terms("Rimborso non arrivato, perché?", 12), ["rimborso", "arrivato", "perché"]);
        assert_eq!(search_terms("a b \"c\" *:() ''", 12), Vec::<String>::new(), "nothing a query could choke on");
        assert_eq!(search_terms("one two three four", 2), ["one", "two"]);
    }
}
