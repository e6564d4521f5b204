//! The core's modules import each other without cycles, so the map in
//! lib.rs reads top-down: a module names only modules below it.
//!
//! Read from the source: every `crate::…`, `super::…` and `self::…` path
//! outside `#[cfg(test)]` code (use lines, groups and inline paths) is an
//! edge to the deepest module it names. A module and its own submodules are
//! one unit (a parent re-exporting its children, and children using their
//! parent's items, is how a directory module is built), so edges between
//! them do not count; every other edge does, both between files and
//! between top-level modules. The binding layer (`src/web/`) is outside the
//! core: no core module may name it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

/// Every module file under `dir` (lib.rs is the root, not a node).
fn files(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if path.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(file.to_owned());
            files(&path, &sub, out);
        } else if let Some(stem) = file.strip_suffix(".rs") {
            let mut m = prefix.to_vec();
            if stem != "mod" && stem != "lib" {
                m.push(stem.to_owned());
            }
            if m.is_empty() {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read a module");
            out.insert(m, text);
        }
    }
}

/// The code that ships: comments and `#[cfg(test)]` modules cut away.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Path,
    Open,
    Close,
    Comma,
    Star,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Token::Ident(code[start..i].to_owned()));
            continue;
        }
        out.push(match c {
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 1;
                Token::Path
            }
            b'{' => Token::Open,
            b'}' => Token::Close,
            b',' => Token::Comma,
            b'*' => Token::Star,
            b' ' | b'\n' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'"' => {
                // Skip a string literal (escapes included).
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                Token::Other
            }
            _ => Token::Other,
        });
        i += 1;
    }
    out
}

/// The paths of a use tree or path expression starting at `at` (just past
/// `crate`/`super`/`self` and its `::`), each as segments after `base`.
fn tree(t: &[Token], at: &mut usize, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = base;
    loop {
        match t.get(*at) {
            Some(Token::Open) => {
                *at += 1;
                loop {
                    match t.get(*at) {
                        Some(Token::Close) => {
                            *at += 1;
                            break;
                        }
                        Some(Token::Comma) => *at += 1,
                        Some(Token::Ident(s)) if s == "self" => {
                            out.push(path.clone());
                            *at += 1;
                        }
                        Some(_) => tree(t, at, path.clone(), out),
                        None => break,
                    }
                }
                return;
            }
            Some(Token::Ident(s)) => {
                path.push(s.clone());
                *at += 1;
                if t.get(*at) == Some(&Token::Path) {
                    *at += 1;
                    continue;
                }
                break;
            }
            Some(Token::Star) => {
                *at += 1;
                break;
            }
            _ => break,
        }
    }
    out.push(path);
}

/// Every module path `code` (the text of module `m`) names.
fn references(m: &[String], code: &str) -> Vec<Vec<String>> {
    let t = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let base = match &t[i] {
            Token::Ident(s) if s == "crate" => Some(Vec::new()),
            Token::Ident(s) if s == "self" => Some(m.to_vec()),
            Token::Ident(s) if s == "super" => {
                // The parent (for a directory's mod.rs, the directory's).
                let mut p = m.to_vec();
                p.pop();
                let mut j = i;
                // `super::super::…`
                while t.get(j + 1) == Some(&Token::Path)
                    && t.get(j + 2) == Some(&Token::Ident("super".into()))
                {
                    p.pop();
                    j += 2;
                }
                i = j;
                Some(p)
            }
            _ => None,
        };
        i += 1;
        if let Some(base) = base {
            if t.get(i) == Some(&Token::Path) {
                i += 1;
                tree(&t, &mut i, base, &mut out);
            }
        }
    }
    out
}

fn is_within(a: &[String], b: &[String]) -> bool {
    a.len() >= b.len() && a[..b.len()] == *b
}

/// A cycle in `edges`, as the modules along it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let from = stack.iter().position(|s| s == n).unwrap_or(0);
                let mut c = stack[from..].to_vec();
                c.push(n.to_owned());
                return Some(c);
            }
            _ => {}
        }
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

struct Graph {
    files: BTreeMap<String, BTreeSet<String>>,
    top: BTreeMap<String, BTreeSet<String>>,
    into_web: Vec<String>,
}

fn graph(src: &Path) -> Graph {
    let mut modules = BTreeMap::new();
    files(src, &[], &mut modules);
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut g = Graph {
        files: BTreeMap::new(),
        top: BTreeMap::new(),
        into_web: Vec::new(),
    };
    for (m, text) in &modules {
        if m[0] == "web" {
            continue;
        }
        g.files.entry(name(m)).or_default();
        g.top.entry(m[0].clone()).or_default();
        for path in references(m, &code(text)) {
            // The deepest module the path names.
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| known.contains(p))
                .unwrap_or_default();
            if target.is_empty() {
                continue; // the crate root: the prelude and re-exports
            }
            if target[0] == "web" {
                g.into_web.push(format!("{} -> {}", name(m), name(&target)));
                continue;
            }
            if is_within(m, &target) || is_within(&target, m) {
                continue;
            }
            g.files.entry(name(m)).or_default().insert(name(&target));
            if target[0] != m[0] {
                g.top
                    .entry(m[0].clone())
                    .or_default()
                    .insert(target[0].clone());
            }
        }
    }
    g
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn core_modules_import_each_other_without_cycles() {
    let g = graph(&src());
    assert!(g.files.len() > 10, "modules found: {:?}", g.files.keys());
    if let Some(c) = cycle(&g.files) {
        panic!("import cycle between modules: {}", c.join(" -> "));
    }
    if let Some(c) = cycle(&g.top) {
        panic!("import cycle between top-level modules: {}", c.join(" -> "));
    }
}

#[test]
fn no_core_module_names_the_binding_layer() {
    assert_eq!(graph(&src()).into_web, Vec::<String>::new());
}

/// The reader itself: it sees every form of path the crate writes, so the
/// tests above cannot pass by reading nothing.
#[test]
fn the_reader_finds_use_groups_inline_paths_and_super() {
    let code = code(
        "use crate::a::{self, b::{C, d}, e};\n\
         use super::{f, g::H};\n\
         // use crate::commented::Out;\n\
         pub(crate) fn x() { crate::i::j(\"crate::in_string\"); self::k::l(); }\n\
         #[cfg(test)]\nmod tests { use crate::only_in_tests; }\n",
    );
    let m = vec!["p".to_owned(), "q".to_owned()];
    let mut got: Vec<String> = references(&m, &code).iter().map(|p| p.join("::")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "a",
            "a::b::C",
            "a::b::d",
            "a::e",
            "i::j",
            "p::f",
            "p::g::H",
            "p::q::k::l"
        ]
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycle(&edges),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}
