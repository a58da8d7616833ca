//! The layers hold: each module's `crate::…` paths are read and checked against the rule.
//!
//! - `domain` (types and rules, no I/O) imports nothing but itself.
//! - The console's side — the console, its HTTP client and sync engine (`client`), its local
//!   store — imports nothing from the server's side: the server, its storage, the write rules
//!   that run inside storage transactions and apply pushed operations (`casework`).
//! - The server's side imports nothing from the console's side.
//! - The commands (`commands`) may use any layer, and no layer uses them.
//! - What travels over the wire (`wire`) imports neither side.
//! - Every top-level module is in one of these, or is a utility (`paths`) that imports nothing.
//!
//! What both sides need lives in the shared modules (`domain`, the wire types).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const CONSOLE_SIDE: &[&str] = &["console", "client", "local"];
const SERVER_SIDE: &[&str] = &["server", "store", "casework", "integrations"];
const COMMANDS: &[&str] = &["commands"];
/// What travels over the wire, used by both sides.
const SHARED: &[&str] = &["wire"];
/// Helpers any layer may use; they use nothing of the crate.
const UTILITIES: &[&str] = &["paths"];

fn within(module: &str, layer: &[&str]) -> bool {
    layer.iter().any(|l| module == *l || module.starts_with(&format!("{l}::")))
}

/// Why `from` may not use `to`, if it may not.
fn breaks(from: &str, to: &str) -> Option<&'static str> {
    if within(from, &["domain"]) && !within(to, &["domain"]) {
        return Some("domain imports nothing but itself");
    }
    if within(from, UTILITIES) && !within(to, &[from.split("::").next().unwrap_or(from)]) {
        return Some("a utility imports nothing of the crate");
    }
    if within(from, COMMANDS) {
        return None;
    }
    if within(to, COMMANDS) {
        return Some("no layer uses the commands");
    }
    if within(from, SHARED) && (within(to, SERVER_SIDE) || within(to, CONSOLE_SIDE)) {
        return Some("what travels over the wire imports neither side");
    }
    if within(from, CONSOLE_SIDE) && within(to, SERVER_SIDE) {
        return Some("the console's side imports nothing from the server's side");
    }
    if within(from, SERVER_SIDE) && within(to, CONSOLE_SIDE) {
        return Some("the server's side imports nothing from the console's side");
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/console/app.rs` → `console::app`; `src/store/mod.rs` → `store`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src").with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).filter(|p| p != "mod").collect();
    parts.join("::")
}

/// The crate paths a file uses, outside comments, each cut to its first two segments (what
/// the rule looks at): `crate::a::b::c` gives `a::b`, and `use crate::a::{b, c::d}` gives
/// `a::b` and `a::c`, across lines.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = code.chars().collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = find(&chars, i, "crate::") {
        let mut j = at + "crate::".len();
        let mut paths = Vec::new();
        tree(&chars, &mut j, Vec::new(), &mut paths);
        for path in paths {
            let path: Vec<String> = path.into_iter().filter(|s| s != "self").take(2).collect();
            if !path.is_empty() {
                found.insert(path.join("::"));
            }
        }
        i = j.max(at + 1);
    }
    found
}

fn find(chars: &[char], from: usize, needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len().saturating_sub(needle.len() - 1)).find(|&k| chars[k..k + needle.len()] == needle[..])
}

/// Reads `a::b::{c, d::e}` at `i` into paths.
fn tree(chars: &[char], i: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
        if *i < chars.len() && chars[*i] == '{' {
            *i += 1;
            loop {
                while *i < chars.len() && (chars[*i].is_whitespace() || chars[*i] == ',') {
                    *i += 1;
                }
                if *i >= chars.len() || chars[*i] == '}' {
                    *i += 1;
                    return;
                }
                let before = *i;
                tree(chars, i, prefix.clone(), out);
                if *i == before {
                    *i += 1;
                }
            }
        }
        let start = *i;
        while *i < chars.len() && (chars[*i].is_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        if *i > start {
            prefix.push(chars[start..*i].iter().collect());
        }
        if *i + 1 < chars.len() && chars[*i] == ':' && chars[*i + 1] == ':' {
            *i += 2;
            continue;
        }
        if !prefix.is_empty() {
            out.push(prefix);
        }
        return;
    }
}

#[test]
fn every_import_keeps_to_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let from = module_of(&src, file);
        let text = std::fs::read_to_string(file).expect("read a source file");
        for to in crate_paths(&text) {
            let Some(rule) = breaks(&from, &to) else { continue };
            broken.push(format!("src/{} -> {to}: {rule}", file.strip_prefix(&src).unwrap().display()));
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layers (move the type to the layer both sides share, or the code to its side):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_rule_reads_paths_as_meant() {
    let paths = crate_paths(
        "use crate::server::problem::Problem;\nuse crate::{domain, store::Store};\n// crate::console::app\nlet x = crate::local::LocalStore::open();\nuse crate::sync::{self, engine,\n    protocol::{Operation, OpBody}};",
    );
    let expected =
        ["domain", "local::LocalStore", "server::problem", "store::Store", "sync", "sync::engine", "sync::protocol"];
    assert_eq!(paths.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    assert_eq!(
        breaks("console::app", "server::problem"),
        Some("the console's side imports nothing from the server's side")
    );
    assert_eq!(
        breaks("store::cases", "local::view"),
        Some("the server's side imports nothing from the console's side")
    );
    assert_eq!(breaks("domain::case", "store::cases"), Some("domain imports nothing but itself"));
    assert_eq!(breaks("server::routes", "commands::seed"), Some("no layer uses the commands"));
    assert_eq!(breaks("commands::cli", "server"), None);
    assert_eq!(breaks("console::app", "domain::case"), None);
    assert_eq!(breaks("client::sync", "wire::sync"), None);
    assert_eq!(
        breaks("client::sync", "casework::pushed"),
        Some("the console's side imports nothing from the server's side")
    );
    assert_eq!(breaks("paths", "domain::time"), Some("a utility imports nothing of the crate"));
    assert_eq!(breaks("wire::leads", "store::queues"), Some("what travels over the wire imports neither side"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut unplaced = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read src") {
        let path = entry.expect("dir entry").path();
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if ["lib", "main"].contains(&name.as_str()) || (path.is_file() && path.extension().is_none_or(|e| e != "rs")) {
            continue;
        }
        let layers = [&["domain"][..], SHARED, SERVER_SIDE, CONSOLE_SIDE, COMMANDS, UTILITIES];
        if !layers.iter().any(|l| within(&name, l)) {
            unplaced.push(name);
        }
    }
    assert!(unplaced.is_empty(), "top-level modules in no layer (add each to one in tests/layers.rs): {unplaced:?}");
}
