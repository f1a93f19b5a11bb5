//! Canonical layout of generated HCL: turns template output into the exact text
//! `terraform fmt` would produce for it.
//!
//! The module owns a small HCL tokenizer (quoted templates with `${`/`%{`
//! sequences, heredocs, comments, numbers, identifiers and operators) and the
//! layout rules of Terraform's formatter:
//!
//! * indentation of two spaces per bracket level, computed per line from the
//!   net bracket count with an indent stack (degenerate lines such as `}, {`
//!   keep the indentation `terraform fmt` gives them);
//! * the spacing between tokens within a line;
//! * alignment of `=` across runs of consecutive single-line attributes, and of
//!   trailing comments across runs of consecutive lines that carry one;
//! * Terraform's own rewrites: block labels are quoted, an attribute whose value
//!   is a lone `"${expr}"` interpolation becomes `expr`, and legacy variable
//!   `type` spellings (`"string"`, `list`, ...) are normalised.
//!
//! On top of what `terraform fmt` does, line endings become `\n`, trailing
//! whitespace after line comments is dropped and the text ends with exactly one
//! newline; the result is still left unchanged by `terraform fmt`. Heredoc
//! bodies and the inside of block comments are kept byte for byte. Any input is
//! accepted: text that is not valid HCL is laid out on a best-effort basis.

use std::borrow::Cow;

/// Formats HCL source the way `terraform fmt` does (see the module docs for
/// the small normalisations applied on top).
pub fn format_hcl(src: &str) -> String {
    format_checked(src).0
}

/// [`format_hcl`] and [`check_structure`] of its result in one pass: the structure is checked
/// on the tokens the layout is made of, so the text is tokenized once. Laying out changes only
/// the spaces between tokens and keeps every line break before the last token, so a fault is
/// found at the same line of the formatted text.
pub fn format_checked(src: &str) -> (String, Result<(), (usize, String)>) {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let normalized: Cow<'_, str> = if src.contains("\r\n") {
        Cow::Owned(src.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(src)
    };
    let mut toks = tokenize(&normalized);
    for t in &mut toks {
        if t.kind == Kind::Comment && !t.text.starts_with("/*") {
            trim_comment(&mut t.text);
        }
    }
    let toks = terraform_rewrites(toks);
    let checked = check_tokens(&toks);
    let mut out = layout(&toks);
    let kept = out.trim_end_matches('\n').len();
    out.truncate(kept);
    if !out.is_empty() {
        out.push('\n');
    }
    (out, checked)
}

/// A cheap check of the structure of HCL text: every bracket, quote, heredoc and template
/// sequence is closed by its own closer, no quoted string spans lines, and nothing is left that
/// HCL has no token for. Returns the line (1-based) and what is wrong at the first fault. It
/// catches the faults a template can make (an unclosed block, a stray `}`, a raw quote) at a
/// fraction of the cost of a full parse.
pub fn check_structure(src: &str) -> Result<(), (usize, String)> {
    check_tokens(&tokenize(src))
}

fn check_tokens(toks: &[Tok<'_>]) -> Result<(), (usize, String)> {
    let mut open: Vec<(Kind, usize)> = Vec::new();
    let mut line = 1;
    for t in toks {
        let closes = match t.kind {
            Kind::CBrace => Some(Kind::OBrace),
            Kind::CBrack => Some(Kind::OBrack),
            Kind::CParen => Some(Kind::OParen),
            Kind::CQuote => Some(Kind::OQuote),
            Kind::CHeredoc => Some(Kind::OHeredoc),
            Kind::TemplateSeqEnd => Some(Kind::TemplateInterp),
            _ => None,
        };
        match t.kind {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::OQuote
            | Kind::OHeredoc
            | Kind::TemplateInterp
            | Kind::TemplateControl => open.push((t.kind, line)),
            Kind::Other => return Err((line, format!("unexpected `{}`", t.text))),
            Kind::QuotedLit if t.text.contains(['\n', '\r']) => {
                return Err((line, "a quoted string runs over the end of the line".into()));
            }
            _ => {}
        }
        if let Some(opener) = closes {
            let matched = match open.pop() {
                Some((Kind::TemplateControl, _)) => opener == Kind::TemplateInterp,
                Some((k, _)) => k == opener,
                None => false,
            };
            if !matched {
                return Err((line, format!("`{}` closes nothing open", t.text.trim())));
            }
        }
        line += t.text.matches('\n').count();
    }
    match open.last() {
        Some((kind, at)) => Err((*at, format!("{kind:?} opened here is never closed"))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Nil,
    Ident,
    Number,
    OQuote,
    CQuote,
    QuotedLit,
    StringLit,
    OHeredoc,
    CHeredoc,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comment,
    Newline,
    Dot,
    Comma,
    Colon,
    DoubleColon,
    Question,
    Equal,
    EqualOp,
    NotEqual,
    Lt,
    Gt,
    LtEq,
    GtEq,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Ellipsis,
    FatArrow,
    /// Any other character (`&`, `|`, `~`, `;`, stray bytes, ...).
    Other,
}

impl Kind {
    fn bracket_change(self) -> i64 {
        match self {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateControl
            | Kind::TemplateInterp => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

#[derive(Clone, Debug)]
struct Tok<'a> {
    kind: Kind,
    text: Cow<'a, str>,
}

impl<'a> Tok<'a> {
    fn new(kind: Kind, text: &'a str) -> Self {
        Tok {
            kind,
            text: Cow::Borrowed(text),
        }
    }
    fn owned(kind: Kind, text: &str) -> Self {
        Tok {
            kind,
            text: Cow::Owned(text.to_owned()),
        }
    }
    /// A `#` or `//` comment, which carries its own line break.
    fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }
}

fn trim_comment(text: &mut Cow<'_, str>) {
    let (body, nl) = match text.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (&text[..], ""),
    };
    let trimmed = body.trim_end_matches([' ', '\t']);
    if trimmed.len() != body.len() {
        *text = Cow::Owned(format!("{trimmed}{nl}"));
    }
}

// ---------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------

enum Mode {
    Main,
    Quoted,
    Heredoc { marker: String, start_of_line: bool },
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    toks: Vec<Tok<'a>>,
    modes: Vec<Mode>,
    braces: i64,
    ret_braces: Vec<i64>,
}

fn tokenize(src: &str) -> Vec<Tok<'_>> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        // Generated HCL has about one token for every five bytes: one allocation, mostly.
        toks: Vec::with_capacity(src.len() / 4),
        modes: vec![Mode::Main],
        braces: 0,
        ret_braces: Vec::new(),
    };
    while lx.pos < lx.b.len() {
        match lx.modes.last() {
            Some(Mode::Quoted) => lx.quoted(),
            Some(Mode::Heredoc { .. }) => lx.heredoc(),
            _ => lx.main(),
        }
    }
    lx.toks
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c == '-' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn starts_with(&self, s: &str) -> bool {
        self.b[self.pos..].starts_with(s.as_bytes())
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.src.get(i..).and_then(|s| s.chars().next())
    }

    fn emit(&mut self, kind: Kind, end: usize) {
        let end = end.min(self.b.len());
        self.toks.push(Tok::new(kind, &self.src[self.pos..end]));
        self.pos = end;
    }

    fn ident_end(&self, start: usize) -> usize {
        let mut end = start;
        while let Some(&b) = self.b.get(end) {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' => end += 1,
                0x80.. => break, // the rest by characters
                _ => return end,
            }
        }
        for c in self.src[end..].chars() {
            if !is_ident_continue(c) {
                break;
            }
            end += c.len_utf8();
        }
        end
    }

    fn open_template(&mut self, kind: Kind) {
        let len = if self.at(self.pos + 2) == b'~' { 3 } else { 2 };
        self.emit(kind, self.pos + len);
        self.braces += 1;
        self.ret_braces.push(self.braces);
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = false;
        }
        self.modes.push(Mode::Main);
    }

    fn close_brace(&mut self, len: usize, tilde: bool) {
        let closes_template = self.ret_braces.last() == Some(&self.braces);
        let kind = if closes_template || tilde {
            Kind::TemplateSeqEnd
        } else {
            Kind::CBrace
        };
        self.emit(kind, self.pos + len);
        self.braces -= 1;
        if closes_template {
            self.ret_braces.pop();
            if self.modes.len() > 1 {
                self.modes.pop();
            }
        }
    }

    fn main(&mut self) {
        let p = self.pos;
        let c = self.at(p);
        match c {
            b' ' | b'\t' => {
                let mut e = p;
                while matches!(self.at(e), b' ' | b'\t') {
                    e += 1;
                }
                self.pos = e;
            }
            b'\n' => self.emit(Kind::Newline, p + 1),
            b'0'..=b'9' => {
                let mut e = p + 1;
                loop {
                    match self.at(e) {
                        b'0'..=b'9' | b'.' => e += 1,
                        b'e' | b'E' => {
                            let sign = matches!(self.at(e + 1), b'+' | b'-');
                            let d = e + 1 + usize::from(sign);
                            if self.at(d).is_ascii_digit() {
                                e = d + 1;
                            } else {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                while e > p + 1 && self.at(e - 1) == b'.' {
                    e -= 1;
                }
                self.emit(Kind::Number, e);
            }
            b'#' => self.line_comment(),
            b'/' if self.at(p + 1) == b'/' => self.line_comment(),
            b'/' if self.at(p + 1) == b'*' => {
                let end = self.src[p + 2..]
                    .find("*/")
                    .map_or(self.b.len(), |i| p + 2 + i + 2);
                self.emit(Kind::Comment, end);
            }
            b'"' => {
                self.emit(Kind::OQuote, p + 1);
                self.modes.push(Mode::Quoted);
            }
            b'<' if self.at(p + 1) == b'<' && self.try_heredoc() => {}
            b'{' => {
                self.emit(Kind::OBrace, p + 1);
                self.braces += 1;
            }
            b'}' => self.close_brace(1, false),
            b'~' if self.at(p + 1) == b'}' => self.close_brace(2, true),
            _ => {
                let two = [c, self.at(p + 1)];
                let kind2 = match &two {
                    b"==" => Some(Kind::EqualOp),
                    b"!=" => Some(Kind::NotEqual),
                    b">=" => Some(Kind::GtEq),
                    b"<=" => Some(Kind::LtEq),
                    b"&&" => Some(Kind::And),
                    b"||" => Some(Kind::Or),
                    b"::" => Some(Kind::DoubleColon),
                    b"=>" => Some(Kind::FatArrow),
                    _ => None,
                };
                if self.starts_with("...") {
                    self.emit(Kind::Ellipsis, p + 3);
                } else if let Some(k) = kind2 {
                    self.emit(k, p + 2);
                } else if let Some(k) = single_char_kind(c) {
                    self.emit(k, p + 1);
                } else {
                    match self.char_at(p) {
                        Some(ch) if is_ident_start(ch) => {
                            let e = self.ident_end(p + ch.len_utf8());
                            self.emit(Kind::Ident, e);
                        }
                        Some(ch) => self.emit(Kind::Other, p + ch.len_utf8()),
                        None => self.emit(Kind::Other, p + 1),
                    }
                }
            }
        }
    }

    fn line_comment(&mut self) {
        let end = self.src[self.pos..]
            .find('\n')
            .map_or(self.b.len(), |i| self.pos + i + 1);
        self.emit(Kind::Comment, end);
    }

    /// `<<EOT` or `<<-EOT` followed by a newline.
    fn try_heredoc(&mut self) -> bool {
        let mut i = self.pos + 2;
        if self.at(i) == b'-' {
            i += 1;
        }
        let name_start = i;
        match self.char_at(i) {
            Some(c) if is_ident_start(c) => {}
            _ => return false,
        }
        let name_end = self.ident_end(name_start);
        if self.at(name_end) != b'\n' {
            return false;
        }
        let marker = self.src[name_start..name_end].to_owned();
        self.emit(Kind::OHeredoc, name_end + 1);
        self.modes.push(Mode::Heredoc {
            marker,
            start_of_line: true,
        });
        true
    }

    fn quoted(&mut self) {
        let p = self.pos;
        match self.at(p) {
            b'"' => {
                self.emit(Kind::CQuote, p + 1);
                self.modes.pop();
            }
            b'$' | b'%' if self.at(p + 1) == b'{' => {
                let kind = if self.at(p) == b'$' {
                    Kind::TemplateInterp
                } else {
                    Kind::TemplateControl
                };
                self.open_template(kind);
            }
            b'\n' | b'\r' => {
                let mut e = p;
                while matches!(self.at(e), b'\n' | b'\r') {
                    e += 1;
                }
                // A line break inside quotes is a syntax error; keep it as text.
                self.emit(Kind::QuotedLit, e);
            }
            _ => {
                let mut e = p;
                while e < self.b.len() {
                    match self.at(e) {
                        b'"' | b'\n' | b'\r' => break,
                        b'\\' => {
                            e += 1;
                            if let Some(c) = self.char_at(e).filter(|&c| c != '\n' && c != '\r') {
                                e += c.len_utf8();
                            }
                        }
                        d @ (b'$' | b'%') => match (self.at(e + 1), self.at(e + 2)) {
                            (b'{', _) => break,
                            (n, b'{') if n == d => e += 3,
                            _ => e += 1,
                        },
                        0..0x80 => e += 1,
                        _ => e += self.char_at(e).map_or(1, char::len_utf8),
                    }
                }
                if e == p {
                    e = p + self.char_at(p).map_or(1, char::len_utf8);
                }
                self.emit(Kind::QuotedLit, e);
            }
        }
    }

    fn heredoc(&mut self) {
        let p = self.pos;
        let closing_line = match self.modes.last() {
            Some(Mode::Heredoc {
                marker,
                start_of_line: true,
            }) => {
                let line_end = self.src[p..].find('\n').map_or(self.b.len(), |i| p + i);
                (self.src[p..line_end].trim() == marker).then_some(line_end)
            }
            _ => None,
        };
        if let Some(line_end) = closing_line {
            self.emit(Kind::CHeredoc, line_end);
            if self.pos < self.b.len() {
                self.emit(Kind::Newline, self.pos + 1);
            }
            self.modes.pop();
            return;
        }
        if matches!(self.at(p), b'$' | b'%') && self.at(p + 1) == b'{' {
            let kind = if self.at(p) == b'$' {
                Kind::TemplateInterp
            } else {
                Kind::TemplateControl
            };
            self.open_template(kind);
            return;
        }
        let mut e = p;
        let mut ended_line = false;
        while e < self.b.len() {
            match self.at(e) {
                b'\n' => {
                    e += 1;
                    ended_line = true;
                    break;
                }
                d @ (b'$' | b'%') => match (self.at(e + 1), self.at(e + 2)) {
                    (b'{', _) if e > p => break,
                    (b'{', _) => e += 1,
                    (n, b'{') if n == d => e += 3,
                    _ => e += 1,
                },
                _ => e += self.char_at(e).map_or(1, char::len_utf8),
            }
        }
        self.emit(Kind::StringLit, e);
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = ended_line;
        }
    }
}

fn single_char_kind(c: u8) -> Option<Kind> {
    Some(match c {
        b'[' => Kind::OBrack,
        b']' => Kind::CBrack,
        b'(' => Kind::OParen,
        b')' => Kind::CParen,
        b'.' => Kind::Dot,
        b',' => Kind::Comma,
        b'*' => Kind::Star,
        b'/' => Kind::Slash,
        b'%' => Kind::Percent,
        b'+' => Kind::Plus,
        b'-' => Kind::Minus,
        b'=' => Kind::Equal,
        b'<' => Kind::Lt,
        b'>' => Kind::Gt,
        b'!' => Kind::Bang,
        b'?' => Kind::Question,
        b':' => Kind::Colon,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Terraform's structural rewrites (labels, interpolation-only values, types)
// ---------------------------------------------------------------------------

/// Index of the first token after the statement starting at `i` (the token
/// that follows its terminating newline), tracking bracket depth.
fn statement_end(toks: &[Tok<'_>], mut i: usize) -> usize {
    let mut depth = 0i64;
    while i < toks.len() {
        depth += toks[i].kind.bracket_change();
        let ends = toks[i].ends_line();
        i += 1;
        if ends && depth <= 0 {
            break;
        }
    }
    i
}

fn terraform_rewrites(toks: Vec<Tok<'_>>) -> Vec<Tok<'_>> {
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(toks.len());
    // Stack of enclosing block types; the bottom entry is the file body.
    let mut blocks: Vec<Cow<'_, str>> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.kind {
            Kind::Ident if toks.get(i + 1).map(|n| n.kind) == Some(Kind::Equal) => {
                let end = statement_end(&toks, i);
                out.push(toks[i].clone());
                out.push(toks[i + 1].clone());
                let mut expr_end = end;
                while expr_end > i + 2 && toks[expr_end - 1].kind == Kind::Newline {
                    expr_end -= 1;
                }
                while expr_end > i + 2 && toks[expr_end - 1].kind == Kind::Comment {
                    expr_end -= 1;
                }
                let expr = &toks[i + 2..expr_end];
                let single_line = !expr.iter().any(Tok::ends_line);
                let in_variable = blocks.len() == 1 && blocks[0] == "variable";
                let rewritten = if in_variable && t.text == "type" {
                    if single_line {
                        rewrite_type(expr)
                    } else {
                        None
                    }
                } else {
                    unwrap_interpolation(expr)
                };
                match rewritten {
                    Some(new) => out.extend(new),
                    None => out.extend(expr.iter().cloned()),
                }
                out.extend(toks[expr_end..end].iter().cloned());
                i = end;
            }
            Kind::Ident => {
                // A block header: type, labels, then `{`.
                let mut j = i + 1;
                let mut labels = Vec::new();
                loop {
                    match toks.get(j).map(|t| t.kind) {
                        Some(Kind::Ident) => {
                            labels.push(j..j + 1);
                            j += 1;
                        }
                        Some(Kind::OQuote) => {
                            let mut k = j + 1;
                            while toks.get(k).map(|t| t.kind) == Some(Kind::QuotedLit) {
                                k += 1;
                            }
                            if toks.get(k).map(|t| t.kind) != Some(Kind::CQuote) {
                                break;
                            }
                            labels.push(j..k + 1);
                            j = k + 1;
                        }
                        _ => break,
                    }
                }
                let opens_block = toks.get(j).map(|t| t.kind) == Some(Kind::OBrace)
                    && toks.get(j + 1).is_none_or(Tok::ends_line);
                if !opens_block {
                    let end = statement_end(&toks, i);
                    out.extend(toks[i..end].iter().cloned());
                    i = end;
                    continue;
                }
                out.push(toks[i].clone());
                for r in labels {
                    if r.len() == 1 && toks[r.start].kind == Kind::Ident {
                        out.push(Tok::owned(Kind::OQuote, "\""));
                        out.push(Tok {
                            kind: Kind::QuotedLit,
                            text: toks[r.start].text.clone(),
                        });
                        out.push(Tok::owned(Kind::CQuote, "\""));
                    } else {
                        out.extend(toks[r].iter().cloned());
                    }
                }
                out.push(toks[j].clone());
                blocks.push(t.text.clone());
                i = j + 1;
            }
            Kind::CBrace => {
                blocks.pop();
                out.push(t.clone());
                i += 1;
            }
            Kind::Newline | Kind::Comment => {
                out.push(t.clone());
                i += 1;
            }
            _ => {
                let end = statement_end(&toks, i).max(i + 1);
                out.extend(toks[i..end].iter().cloned());
                i = end;
            }
        }
    }
    out
}

/// `"${expr}"` becomes `expr` when the quotes hold nothing but that one
/// interpolation; an expression spanning lines is wrapped in parentheses.
fn unwrap_interpolation<'a>(expr: &[Tok<'a>]) -> Option<Vec<Tok<'a>>> {
    let n = expr.len();
    if n < 5
        || expr[0].kind != Kind::OQuote
        || expr[1].kind != Kind::TemplateInterp
        || expr[n - 2].kind != Kind::TemplateSeqEnd
        || expr[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &expr[2..n - 2];
    let mut quotes = 0i64;
    for t in inside {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != Kind::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline)?;
    let trimmed = &inside[first..=last];
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parenthesised =
        trimmed[0].kind == Kind::OParen && trimmed[trimmed.len() - 1].kind == Kind::CParen;
    if multi_line && !parenthesised {
        let mut wrapped = Vec::with_capacity(trimmed.len() + 2);
        wrapped.push(Tok::owned(Kind::OParen, "("));
        wrapped.extend(trimmed.iter().cloned());
        wrapped.push(Tok::owned(Kind::CParen, ")"));
        return Some(wrapped);
    }
    Some(trimmed.to_vec())
}

fn rewrite_type<'a>(expr: &[Tok<'a>]) -> Option<Vec<Tok<'a>>> {
    let call = |name: &str, arg: &str| {
        vec![
            Tok::owned(Kind::Ident, name),
            Tok::owned(Kind::OParen, "("),
            Tok::owned(Kind::Ident, arg),
            Tok::owned(Kind::CParen, ")"),
        ]
    };
    match expr {
        [kw] if kw.kind == Kind::Ident => match &*kw.text {
            "list" | "map" | "set" => Some(call(&kw.text, "any")),
            _ => None,
        },
        [o, s, c]
            if o.kind == Kind::OQuote && s.kind == Kind::QuotedLit && c.kind == Kind::CQuote =>
        {
            match &*s.text {
                "string" => Some(vec![Tok::owned(Kind::Ident, "string")]),
                "list" | "map" => Some(call(&s.text, "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Layout: lines, indentation, spacing, alignment
// ---------------------------------------------------------------------------

/// One formatter line: tokens `start..end`, split into the lead cell, an
/// optional assignment cell (from `=`) and an optional trailing comment cell.
struct Line {
    start: usize,
    end: usize,
    assign: Option<usize>,
    comment: Option<usize>,
}

impl Line {
    fn lead_end(&self) -> usize {
        self.assign.or(self.comment).unwrap_or(self.end)
    }
    fn assign_end(&self) -> usize {
        self.comment.unwrap_or(self.end)
    }
}

fn split_lines(toks: &[Tok<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.ends_line() {
            lines.push(Line {
                start,
                end: i + 1,
                assign: None,
                comment: None,
            });
            start = i + 1;
        }
    }
    if start < toks.len() {
        lines.push(Line {
            start,
            end: toks.len(),
            assign: None,
            comment: None,
        });
    }
    for line in &mut lines {
        if line.end - line.start > 1 && toks[line.end - 1].kind == Kind::Comment {
            line.comment = Some(line.end - 1);
        }
        let lead_end = line.lead_end();
        if let Some(eq) = (line.start + 1..lead_end).find(|&k| toks[k].kind == Kind::Equal) {
            let net: i64 = toks[eq..lead_end]
                .iter()
                .map(|t| t.kind.bracket_change())
                .sum();
            if net == 0 {
                line.assign = Some(eq);
            }
        }
    }
    lines
}

/// Spaces to copy indentation and padding from.
const SPACES: &str = "                                                                ";

fn layout(toks: &[Tok<'_>]) -> String {
    let lines = split_lines(toks);
    let mut spaces = vec![0usize; toks.len()];

    // Indentation.
    let mut indents: Vec<i64> = Vec::new();
    for line in &lines {
        if toks[line.start].kind == Kind::Newline {
            continue;
        }
        let mut net = 0i64;
        for t in &toks[line.start..line.lead_end()] {
            net += t.kind.bracket_change();
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(a) = line.assign {
            net += toks[a..line.assign_end()]
                .iter()
                .map(|t| t.kind.bracket_change())
                .sum::<i64>();
        }
        if net > 0 {
            spaces[line.start] = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    closed -= *top;
                    indents.pop();
                }
            }
            spaces[line.start] = 2 * indents.len();
        }
    }

    // Spacing within the lead and assignment cells.
    for line in &lines {
        let lead = line.start..line.lead_end();
        let assign = line.assign.map(|a| {
            spaces[a] = 1;
            a..line.assign_end()
        });
        for cell in std::iter::once(lead).chain(assign) {
            for i in cell.start..cell.end.saturating_sub(1) {
                let before = if i > cell.start {
                    toks[i - 1].kind
                } else {
                    Kind::Nil
                };
                spaces[i + 1] = usize::from(space_after(&toks[i], before, &toks[i + 1]));
            }
        }
    }

    // Alignment of `=` and then of trailing comments.
    let columns = |range: std::ops::Range<usize>, spaces: &[usize]| -> usize {
        range.map(|k| spaces[k] + width(&toks[k].text)).sum()
    };
    let mut chain: Vec<(usize, usize)> = Vec::new(); // (token to pad, columns)
    let flush = |chain: &mut Vec<(usize, usize)>, spaces: &mut [usize]| {
        let max = chain.iter().map(|&(_, c)| c).max().unwrap_or(0);
        for &(k, c) in chain.iter() {
            spaces[k] = max - c + 1;
        }
        chain.clear();
    };
    for line in &lines {
        match line.assign {
            Some(a) => chain.push((a, columns(line.start..a, &spaces))),
            None => flush(&mut chain, &mut spaces),
        }
    }
    flush(&mut chain, &mut spaces);
    for line in &lines {
        match line.comment {
            Some(c) => chain.push((c, columns(line.start..c, &spaces))),
            None => flush(&mut chain, &mut spaces),
        }
    }
    flush(&mut chain, &mut spaces);

    let mut out = String::with_capacity(toks.iter().map(|t| t.text.len() + 1).sum());
    for (t, &n) in toks.iter().zip(&spaces) {
        out.push_str(&SPACES[..n.min(SPACES.len())]);
        if n > SPACES.len() {
            out.extend(std::iter::repeat_n(' ', n - SPACES.len()));
        }
        out.push_str(&t.text);
    }
    out
}

/// Display width in columns; counts characters, ignoring combining marks and
/// zero-width joiners so that most grapheme clusters count once.
fn width(s: &str) -> usize {
    s.chars()
        .filter(|&c| {
            !matches!(c as u32,
                0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
                | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x200D)
        })
        .count()
}

/// Whether `subject` is followed by a space when it sits between `before`
/// and `after` in the same cell.
fn space_after(subject: &Tok<'_>, before: Kind, after: &Tok<'_>) -> bool {
    use Kind::*;
    let s = subject.kind;
    let a = after.kind;
    if a == Newline || a == Nil {
        return false;
    }
    if s == Ident && a == OParen {
        return false;
    }
    if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) {
        return false;
    }
    if s == Dot || a == Dot {
        return false;
    }
    if a == Comma || a == Ellipsis {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
        || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == Ident && subject.text == "in" && before == Ident {
        return true;
    }
    if a == OBrack && (s == Ident || s == Number || s.bracket_change() < 0) {
        return false;
    }
    if s == Bang {
        return false;
    }
    if s == Minus {
        return !matches!(
            before,
            Nil | OParen
                | OBrace
                | OBrack
                | Equal
                | Colon
                | Comma
                | Question
                | Plus
                | Star
                | Slash
                | Percent
                | Minus
                | EqualOp
                | NotEqual
                | Gt
                | GtEq
                | Lt
                | LtEq
                | And
                | Or
                | Bang
        );
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if (s == TemplateInterp || s == TemplateControl) && a == OBrace {
        return true;
    }
    if s == CBrace && a == TemplateSeqEnd {
        return true;
    }
    if s == TemplateSeqEnd && (a == TemplateInterp || a == TemplateControl) {
        return false;
    }
    if s.bracket_change() > 0 {
        return false;
    }
    if a.bracket_change() < 0 {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::format_hcl;
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    fn check(input: &str, expected: &str) {
        let got = format_hcl(input);
        assert_eq!(
            got, expected,
            "\n--- input ---\n{input}\n--- got ---\n{got}"
        );
        assert_eq!(format_hcl(&got), got, "not idempotent");
    }

    #[test]
    fn structure_check_accepts_well_formed_hcl() {
        use super::check_structure;
        for ok in [
            "a {\n  b = [1, (2 + 3)]\n  c = \"x ${var.y} %{ if z }w%{ endif }\"\n}\n",
            "x = <<EOT\nline ${a.b} \"quoted\n{ not a block\nEOT\ny = { k = \"}\" }\n",
            "# comment with { and \"\n/* block { */\nz = \"a\\\"b\"\n",
            "m = { for k, v in var.m : k => v... if v != null }\n",
        ] {
            assert_eq!(check_structure(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn structure_check_names_the_line_of_the_fault() {
        use super::check_structure;
        for (bad, line, words) in [
            ("a {\n  b = 1\n", 1, "never closed"),
            ("a {\n}\n}\n", 3, "closes nothing"),
            ("a = [1, 2}\n", 1, "closes nothing"),
            ("a = \"x\nb = 2\n", 1, "end of the line"),
            ("a = 1\nb = \"${x\"\n", 2, "end of the line"),
            ("a = 1\nb = [\"${x}\",\n", 2, "never closed"),
            ("a = 1;\n", 1, "unexpected `;`"),
            ("x = <<EOT\nbody\n", 1, "never closed"),
        ] {
            match check_structure(bad) {
                Err((l, msg)) => {
                    assert_eq!(l, line, "{bad:?}: {msg}");
                    assert!(msg.contains(words), "{bad:?}: {msg}");
                }
                Ok(()) => panic!("{bad:?} passed the structure check"),
            }
        }
    }

    /// `format_checked` checks the tokens it lays out: it finds what checking the formatted
    /// text finds, at the same line, and formats as `format_hcl` does.
    #[test]
    fn format_checked_is_format_then_structure_check() {
        use super::{check_structure, format_checked};
        for src in [
            "a {\n  b = [1, (2 + 3)]\n  c = \"x ${var.y} %{ if z }w%{ endif }\"\n}\n",
            "x = <<EOT\nline ${a.b} \"quoted\n{ not a block\nEOT\ny = { k = \"}\" }\n",
            "m = { for k, v in var.m : k => v... if v != null }\n",
            "a {\n\n\n\n  b = 1\n",
            "a {\n}\n\n\n\n}\n",
            "a = [1, 2}\n",
            "a = \"x\nb = 2\n",
            "\n\n\na = 1\nb = \"${x\"\n",
            "a = 1;\n",
            "x = <<EOT\nbody\n",
            "variable \"v\" {\n  type = \"string\"\n}\nb = \"${x}\"\n}\n",
        ] {
            let (formatted, checked) = format_checked(src);
            assert_eq!(formatted, format_hcl(src), "{src:?}");
            assert_eq!(checked, check_structure(&formatted), "{src:?}");
        }
    }

    #[test]
    fn nested_blocks_are_indented() {
        check(
            "a {\nb {\nc {\nx = 1\n}\n}\n}\n",
            "a {\n  b {\n    c {\n      x = 1\n    }\n  }\n}\n",
        );
    }

    #[test]
    fn multi_line_objects_and_lists() {
        check(
            "x = {\na = [\n1,\n2,\n]\nbb = {\nc = 3\n}\n}\n",
            "x = {\n  a = [\n    1,\n    2,\n  ]\n  bb = {\n    c = 3\n  }\n}\n",
        );
    }

    #[test]
    fn alignment_chains_and_their_breakers() {
        check(
            "a = 1\nbbb = 2\n\ncc = 3\nd = 4\n# c\neeee = 5\nf = 6\nblk {\ng = 1\n}\nhhhhh = 7\nmulti = {\ni = 1\n}\njj = 8\n",
            "a   = 1\nbbb = 2\n\ncc = 3\nd  = 4\n# c\neeee = 5\nf    = 6\nblk {\n  g = 1\n}\nhhhhh = 7\nmulti = {\n  i = 1\n}\njj = 8\n",
        );
    }

    #[test]
    fn trailing_comments_are_aligned() {
        check(
            "a = 1 # x\nbbb = 22 # y\nc = 3\nd = 4 // z\n",
            "a   = 1  # x\nbbb = 22 # y\nc   = 3\nd   = 4 // z\n",
        );
    }

    #[test]
    fn spacing_is_normalised() {
        check(
            "a=1\nbb   =   [ 1 , 2 ]\nc = foo( x , y )\nd = {a=1}\ne = -1\nf = 2 - 1\ng = ! true\n",
            "a  = 1\nbb = [1, 2]\nc  = foo(x, y)\nd  = { a = 1 }\ne  = -1\nf  = 2 - 1\ng  = !true\n",
        );
    }

    #[test]
    fn for_expressions() {
        check(
            "x = [for k,v in m : k if v]\ny = {for k, v in m: k => v...}\nz = [\nfor s in l : {\nn = s\n}\n]\n",
            "x = [for k, v in m : k if v]\ny = { for k, v in m : k => v... }\nz = [\n  for s in l : {\n    n = s\n  }\n]\n",
        );
    }

    #[test]
    fn strings_hold_brackets_hashes_and_equals() {
        check(
            "x {\na = \"{ [ ( # // = \\\" }\"\nbb = \"x${f({ k = \"}\" })}\"\n}\n",
            "x {\n  a  = \"{ [ ( # // = \\\" }\"\n  bb = \"x${f({ k = \"}\" })}\"\n}\n",
        );
    }

    #[test]
    fn interpolation_spacing_and_escapes() {
        check(
            "a = \"${ var.x }-$${lit}-%%{lit}\"\nb = \"%{ if c }y%{ endif }\"\n",
            "a = \"${var.x}-$${lit}-%%{lit}\"\nb = \"%{if c}y%{endif}\"\n",
        );
    }

    #[test]
    fn interpolation_only_values_are_unwrapped() {
        check(
            "x {\na = \"${var.a}\"\nb = \"${var.a}b\"\n}\n",
            "x {\n  a = var.a\n  b = \"${var.a}b\"\n}\n",
        );
    }

    #[test]
    fn heredoc_bodies_are_untouched() {
        check(
            "x {\na = <<-EOT\n   keep  {\n      ${ y }\n   EOT\nbb = 1\n}\n",
            "x {\n  a  = <<-EOT\n   keep  {\n      ${y}\n   EOT\n  bb = 1\n}\n",
        );
        check("a = <<EOT\n{\nEOT\nb = 2\n", "a = <<EOT\n{\nEOT\nb = 2\n");
    }

    #[test]
    fn tabs_crlf_and_trailing_whitespace() {
        check(
            "x {\r\n\ta\t=\t1   \r\n\tbb = 2 # c   \r\n}\r\n",
            "x {\n  a  = 1\n  bb = 2 # c\n}\n",
        );
    }

    #[test]
    fn file_end_and_blank_runs() {
        check("a = 1", "a = 1\n");
        check("a = 1\n\n\n\n", "a = 1\n");
        check("a = 1\n\n\n\nb = 2\n", "a = 1\n\n\n\nb = 2\n");
        check("", "");
        check("\n\n", "");
    }

    #[test]
    fn labels_and_legacy_types() {
        check(
            "resource aws_s3_bucket b {\n}\nvariable \"v\" {\ntype = \"string\"\n}\nvariable \"w\" {\ntype = list\n}\n",
            "resource \"aws_s3_bucket\" \"b\" {\n}\nvariable \"v\" {\n  type = string\n}\nvariable \"w\" {\n  type = list(any)\n}\n",
        );
    }

    #[test]
    fn degenerate_bracket_lines_follow_the_indent_stack() {
        check(
            "x = [{\na = 1\n}, {\nb = 2\n}]\n",
            "x = [{\n  a = 1\n  }, {\n  b = 2\n}]\n",
        );
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "}}}}\n{{{\n",
            "\"unterminated\nx = 1\n",
            "a = <<EOT\nnever closed",
            "/* open comment",
            "${ } ~} %{ \u{0}\u{7f} é \r x",
            "<<-\n<<X",
            "a = \"${\"${\"${\"",
            "\u{feff}a=1",
            "= = =\n[[[\n)))",
            "x = 1.\ny = 1e\nz = 1e+",
            "\"\\",
            "a = \"$",
            "a = \"%",
        ];
        for s in samples {
            let out = format_hcl(s);
            let _ = format_hcl(&out);
        }
        // Every prefix of a realistic file, cut at any char boundary.
        let text = CORPUS.iter().map(|(_, s)| *s).collect::<String>();
        for (i, _) in text.char_indices().step_by(7) {
            let _ = format_hcl(&text[..i]);
        }
    }

    #[test]
    fn large_inputs_take_linear_time() {
        let start = std::time::Instant::now();
        let long_heredoc = format!("a = <<EOT\n{}\nEOT\n", "${x}-".repeat(50_000));
        // Output grows with depth times lines, so keep the nesting modest.
        let deep = format!("a = {}{}\n", "[\n".repeat(300), "[1],\n]\n".repeat(50_000));
        let wide = "b = 1 # c\n".repeat(50_000);
        let long_string = format!("c = \"{}\"\n", "${y}".repeat(50_000));
        for s in [long_heredoc, deep, wide, long_string] {
            let out = format_hcl(&s);
            assert!(!out.is_empty());
        }
        assert!(start.elapsed().as_secs() < 20, "too slow");
    }

    #[test]
    fn corpus_is_idempotent() {
        for (name, src) in CORPUS {
            let once = format_hcl(src);
            assert_eq!(format_hcl(&once), once, "{name} not idempotent");
        }
    }

    /// Runs `terraform fmt` over `dir`: `None` when terraform is not
    /// installed, otherwise the exit status with stdout and stderr.
    fn terraform(args: &[&str], dir: &Path) -> Option<(bool, String)> {
        let out = Command::new("terraform")
            .args(["fmt", "-no-color"])
            .args(args)
            .arg(dir)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Some((out.status.success(), text))
    }

    /// What `format_hcl` adds on top of `terraform fmt`: LF line endings and
    /// exactly one newline at the end.
    fn normalise(s: &str) -> String {
        let s = s.replace("\r\n", "\n");
        let t = s.trim_end_matches('\n');
        if t.is_empty() {
            String::new()
        } else {
            format!("{t}\n")
        }
    }

    /// The corpus entry as written, flush left, indented at random, and with
    /// the spaces around `=` removed.
    fn variants(src: &str) -> Vec<String> {
        let flat: String = src
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches([' ', '\t']))
            .collect();
        let deep: String = src
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| format!("{}{l}", " ".repeat((i * 3) % 7)))
            .collect();
        let unaligned: String = src
            .split_inclusive('\n')
            .map(|l| match l.find(" = ") {
                Some(p) if !l.trim_start().starts_with('#') => {
                    format!("{}={}", l[..p].trim_end(), &l[p + 3..])
                }
                _ => l.to_owned(),
            })
            .collect();
        vec![src.to_owned(), flat, deep, unaligned]
    }

    #[test]
    fn matches_terraform_fmt() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let root = std::env::temp_dir().join(format!("align-{}-{stamp}", std::process::id()));
        let (ins, outs) = (root.join("in"), root.join("out"));
        fs::create_dir_all(&ins).expect("create temp dir");
        fs::create_dir_all(&outs).expect("create temp dir");
        if terraform(&["-check"], &ins).is_none() {
            let _ = fs::remove_dir_all(&root);
            println!("skipped: terraform not found");
            return;
        }
        let mut cases = Vec::new();
        for (name, src) in CORPUS {
            for (vi, input) in variants(src).into_iter().enumerate() {
                let file = format!("{name}_{vi}.tf");
                fs::write(ins.join(&file), &input).expect("write input");
                let got = format_hcl(&input);
                fs::write(outs.join(&file), &got).expect("write output");
                cases.push((file, got));
            }
        }
        let (ok, log) = terraform(&["-list=false"], &ins).unwrap_or_default();
        let (clean, changed) = terraform(&["-check", "-list=true"], &outs).unwrap_or_default();
        let mut failures = Vec::new();
        for (file, got) in &cases {
            let expected = fs::read_to_string(ins.join(file)).unwrap_or_default();
            if *got != normalise(&expected) {
                failures.push(format!(
                    "{file}\n--- terraform fmt ---\n{expected}\n--- format_hcl ---\n{got}"
                ));
            }
        }
        let _ = fs::remove_dir_all(&root);
        assert!(ok, "terraform rejected corpus input:\n{log}");
        assert!(clean, "output not fmt-clean:\n{changed}");
        assert!(
            failures.is_empty(),
            "{} of {} differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        println!("{} inputs match terraform fmt", cases.len());
    }

    /// Realistic inputs, many deliberately mis-indented or unaligned.
    const CORPUS: &[(&str, &str)] = &[
        (
            "01",
            r##"resource "aws_s3_bucket" "this" {
count = var.create_bucket ? 1 : 0
bucket = var.bucket
bucket_prefix = var.bucket_prefix
force_destroy = var.force_destroy
object_lock_enabled = var.object_lock_enabled
tags = merge(var.tags, {
Name = var.bucket
"kubernetes.io/cluster/${var.cluster_name}" = "shared"
})
}
"##,
        ),
        (
            "02",
            r##"resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = var.description
  vpc_id = var.vpc_id

    dynamic "ingress" {
  for_each = var.ingress_rules
      content {
        from_port = ingress.value.from_port
        to_port = ingress.value.to_port
        protocol = ingress.value.protocol
        cidr_blocks = lookup(ingress.value, "cidr_blocks", null)
        description = try(ingress.value.description, null)
      }
    }

  lifecycle {
    create_before_destroy = true
  }
}
"##,
        ),
        (
            "03",
            r##"resource "aws_iam_policy" "this" {
  name = "${var.name}-policy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "AllowS3"
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:PutObject"]
        Resource = [
          "arn:aws:s3:::${var.bucket}/*",
          "arn:aws:s3:::${var.bucket}",
        ]
        Condition = {
          StringEquals = {
            "aws:SourceAccount" = data.aws_caller_identity.current.account_id
          }
        }
      },
    ]
  })
}
"##,
        ),
        (
            "04",
            r##"locals {
create = var.create && var.putin_khuylo
subnets = { for idx, s in var.subnets : s.name => merge(s, { index = idx }) }
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
    route_tables = [
      for k, v in var.route_tables : {
  name = k
        routes = v.routes
        tags = merge(var.tags, { Name = k })
      }
    ]
  nested = {
    a = {
      b = {
        c = [1, 2, 3]
        dd = "x"
      }
    }
  }
}
"##,
        ),
        (
            "05",
            r##"variable "instance_type" {
description = "The type of instance to start"
type = string
default = "t3.micro"

validation {
condition = can(regex("^t3\\.", var.instance_type))
error_message = "Only t3 instances are allowed, got \"${var.instance_type}\"."
}
}

variable "settings" {
  description = "Object settings"
  type = object({
    name = string
    enabled = optional(bool, true)
    rules = list(object({
      port = number
      cidr = optional(string)
    }))
  })
  default = null
}
"##,
        ),
        (
            "06",
            r##"# checkov:skip=CKV_AWS_18:Access logging not needed
# checkov:skip=CKV_AWS_144: Cross region replication
resource "aws_s3_bucket" "logs" {
  bucket = var.bucket # the bucket name
  acl = "private" # legacy
  # inline comment line
  force_destroy = true // remove all objects
  tags = var.tags /* block comment */
}
"##,
        ),
        (
            "07",
            r##"module "vpc" {
source = "terraform-aws-modules/vpc/aws"
version = "~> 5.0"

name = "my-vpc"
cidr = "10.0.0.0/16"

azs = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
private_subnets = ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
public_subnets = ["10.0.101.0/24", "10.0.102.0/24", "10.0.103.0/24"]

enable_nat_gateway = true
enable_vpn_gateway = true

tags = {
Terraform = "true"
Environment = "dev"
}
}
"##,
        ),
        (
            "08",
            r##"resource "aws_instance" "web" {
  ami = data.aws_ami.ubuntu.id
  instance_type = "t3.micro"
  user_data = <<-EOT
    #!/bin/bash
      echo "hello ${var.name}" > /tmp/x
    %{ if var.enabled }
    echo enabled
    %{ endif }
  EOT
  tags = {
    Name = "web"
  }
}
"##,
        ),
        (
            "09",
            r##"output "arn" {
  description = "The ARN"
  value = try(aws_s3_bucket.this[0].arn, "")
}

output "map" {
  value = { for k, v in aws_subnet.this : k => v.id }
}
output "list" {
  value = [for s in aws_subnet.this : s.id if s.map_public_ip_on_launch]
  sensitive = false
}
"##,
        ),
        (
            "10",
            r##"locals {
	a = 1
	bbbb = "tabbed"
	c = {
		d = 2
	}
}
"##,
        ),
        ("11", "locals {\r\n  a = 1\r\n  bbb = 2\r\n}\r\n"),
        (
            "12",
            r##"locals {
  s1 = "braces { } and # hash and // slashes and = equals"
  s2 = "escaped \"quote\" and ${jsonencode({ a = { b = 1 } })} done"
  s3 = "literal $${not_interp} and %%{not_directive}"
  s4 = "${var.a}${var.b}"
  s5 = "a \\ b"
}
"##,
        ),
        (
            "13",
            r##"resource "aws_lb_listener" "this" {
  for_each = { for k, v in var.listeners : k => v if v.enabled }

  load_balancer_arn = aws_lb.this.arn
  port = each.value.port
  protocol = each.value.protocol

  dynamic "default_action" {
    for_each = try([each.value.redirect], [])

    content {
      type = "redirect"

      redirect {
        path = try(default_action.value.path, null)
        host = try(default_action.value.host, null)
        port = try(default_action.value.port, null)
        protocol = try(default_action.value.protocol, null)
        status_code = default_action.value.status_code
      }
    }
  }
}
"##,
        ),
        (
            "14",
            r##"terraform {
required_version = ">= 1.3"
required_providers {
aws = {
source = "hashicorp/aws"
version = ">= 5.0"
}
random = {
source = "hashicorp/random"
version = ">= 3.0"
}
}
}
"##,
        ),
        (
            "15",
            r##"data "aws_iam_policy_document" "this" {
  statement {
    sid = "1"
    actions = [
      "s3:ListAllMyBuckets",
      "s3:GetBucketLocation",
    ]
    resources = ["arn:aws:s3:::*"]
  }

  statement {
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.s3_bucket_name}"]

    condition {
      test = "StringLike"
      variable = "s3:prefix"
      values = ["", "home/", "home/&{aws:username}/"]
    }
  }
}
"##,
        ),
        (
            "16",
            r##"locals {
  x = var.a == null ? "default" : var.a
  y = !var.enabled
  z = -1
  w = 10 - 2 * 3 / 4 % 5
  v = var.list[0]
  u = var.map["key"]
  t = [for i in range(3) : i * 2]
  r = length(var.xs) > 0 && var.flag || false
  q = aws_instance.web[*].id
  p = element(var.list, -1)
  o = { for k, v in var.m : k => v... }
}
"##,
        ),
        (
            "17",
            r##"resource "aws_autoscaling_group" "this" {
  name = var.name
  min_size = var.min_size
  max_size = var.max_size
  vpc_zone_identifier = var.subnet_ids
  dynamic "tag" {
    for_each = merge(var.tags, { Name = var.name })
    content {
      key = tag.key
      value = tag.value
      propagate_at_launch = true
    }
  }
  launch_template {
    id = aws_launch_template.this.id
    version = "$Latest"
  }
}
"##,
        ),
        (
            "18",
            r##"locals {
  policy = <<EOT
{
  "Version": "2012-10-17",
      "Statement": [ { "Effect": "Allow" } ]
}
EOT
  after = 1
  afterlonger = 2
}
"##,
        ),
        (
            "19",
            r##"/*
 * Multi-line block comment
 *   with indentation inside
 */
locals {
/* indented wrongly */
  a = 1
    /* another
       comment */
  b = 2
}
"##,
        ),
        (
            "20",
            r##"resource "aws_route" "this" {
  for_each = {
    for pair in setproduct(var.route_table_ids, var.cidrs) :
    "${pair[0]}-${pair[1]}" => {
      rt = pair[0]
      cidr = pair[1]
    }
  }
  route_table_id = each.value.rt
  destination_cidr_block = each.value.cidr
}
"##,
        ),
        (
            "21",
            r##"locals {
  list_of_objects = [
    { name = "a", port = 80 },
    { name = "bb", port = 443 },
    {
      name = "ccc"
      port = 8080
    },
  ]
  x = 1
}
"##,
        ),
        (
            "22",
            r##"locals {
  a = 1


  b = 2
  ccc = 3



  dd = 4
}
"##,
        ),
        (
            "23",
            r##"resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name = "/aws/lambda/${var.function_name}"
  retention_in_days = var.retention
  kms_key_id = var.kms_key_arn # optional
  skip_destroy = var.skip_destroy # keep logs
  log_group_class = var.log_group_class

  tags = merge(
    var.tags,
    var.cloudwatch_logs_tags,
  )
}
"##,
        ),
        (
            "24",
            r##"variable "rules" {
  type = map(object({
    priority = number
    actions = list(object({
      type = string
      target_group_key = optional(string)
    }))
    conditions = optional(list(any), [])
  }))
  default = {}

  validation {
    condition = alltrue([
      for k, v in var.rules : v.priority > 0 && v.priority < 50000
    ])
    error_message = "Priorities must be between 1 and 49999."
  }
}
"##,
        ),
        (
            "25",
            r##"locals {
  a = "${var.x}"
  b = "${var.x}-suffix"
  c = "${ var.x } ${var.y}"
  d = "${ upper( var.x ) }"
}
"##,
        ),
        (
            "26",
            r##"variable "legacy" {
  type = "string"
}
variable "legacy_list" {
  type = "list"
}
variable "bare_map" {
  type = map
}
"##,
        ),
        (
            "27",
            r##"resource aws_s3_bucket legacy {
  bucket = "x"
}
"##,
        ),
        (
            "28",
            r##"locals {
  conditional = (
    var.enabled
    ? "yes"
    : "no"
  )
  sum = (
    1 +
    2
  )
  f = format("%s-%s",
    var.a,
  var.b)
}
"##,
        ),
        (
            "29",
            r##"locals {
  tpl = "%{ for s in var.list }${s}, %{ endfor }"
  tpl2 = "%{~ if var.x ~}yes%{~ else ~}no%{~ endif ~}"
  obj = "${ { a = 1 } }"
}
"##,
        ),
        (
            "30",
            r##"locals {
  x = [{
    a = 1
  }, {
    b = 2
  }]
  y = merge({
    a = 1
    }, {
    b = 2
  })
}
"##,
        ),
        (
            "31",
            r##"provider "aws" {
  alias = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { Owner = "platform", CostCenter = "1234" }
  }
}
"##,
        ),
        (
            "32",
            r##"moved {
  from = aws_instance.a
  to = aws_instance.b
}

import {
  to = aws_s3_bucket.this
  id = "bucket-name"
}

check "health" {
  assert {
    condition = data.http.this.status_code == 200
    error_message = "unhealthy"
  }
}
"##,
        ),
        (
            "33",
            r##"locals {
  name = "ünïcödé"
  m = {
    "ключ" = 1
    "é" = 2
    ascii = 3
  }
  a = "日本語のテキスト"
  bb = 2
}
"##,
        ),
        (
            "34",
            r##"locals {
  containers = [
    {
      name = "app"
      command = [
        "sh", "-c", <<-EOT
          echo ${var.x}
          exec app
        EOT
      ]
      environment = [for k, v in var.env : { name = k, value = v }]
    }
  ]
}
"##,
        ),
        (
            "35",
            r##"locals {
  nums = [1, 1.5, 1e3, 2.5E-3, 0.1]
  splat = aws_instance.web.*.id
  full = aws_instance.web[*].private_ip
  fn = provider::aws::arn_parse(var.arn)
  idx = var.matrix[0][1]
  neg = [-1, -var.x, 1 - -2]
}
"##,
        ),
        (
            "36",
            r##"# Top comment

# Another paragraph
// slash comment
locals {
  # leading comment for a
  a = 1 # trailing a
  bbbbbbb = 2 # trailing b
  c = {
    d = 3 # trailing d
  } # closing
  eeeeeeeeeeeee = 4
}
"##,
        ),
        (
            "37",
            r##"resource "aws_lambda_function" "this" {
  function_name = var.function_name
  role = aws_iam_role.this.arn
  handler = "index.handler"
  runtime = "python3.12"

  environment {
    variables = var.environment_variables
  }

  vpc_config {
    subnet_ids = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [true]
    content {
      target_arn = var.dead_letter_target_arn
    }
  }

  depends_on = [aws_cloudwatch_log_group.this]
}
"##,
        ),
        (
            "38",
            r##"locals {
  very_long_condition = var.create && (var.a != null || var.b != null) && length(var.c) > 0
  merged = merge(
    { for k, v in var.a : k => v },
    { for k, v in var.b : k => v if v != null },
    var.extra,
  )
  flat = flatten([
    for rt_key, rt in var.route_tables : [
      for route in rt.routes : {
        rt_key = rt_key
        cidr = route.cidr
      }
    ]
  ])
}
"##,
        ),
        (
            "39",
            r##"resource "aws_kms_key" "this" {
description = "KMS key"
deletion_window_in_days = 7
enable_key_rotation = true
policy = data.aws_iam_policy_document.kms.json
tags = merge(var.tags, {
Name = "${var.name}-kms"
})
}

resource "aws_kms_alias" "this" {
name = "alias/${var.name}"
target_key_id = aws_kms_key.this.key_id
}
"##,
        ),
        (
            "40",
            r##"        locals {
              a = 1
   b = {
 c = 2
                 }
          }
"##,
        ),
        (
            "41",
            r##"locals {
  a   =   1
  b=2
  c    = [ 1 , 2 , 3 ]
  d = {a=1,b=2}
  e = foo( 1 , 2 )
  f = { }
  g = [ ]
}
"##,
        ),
        (
            "42",
            r##"resource "null_resource" "this" {
  triggers = {
    always = timestamp()
  }

  provisioner "local-exec" {
    command = <<EOT
echo "${self.id}"
  if [ -f x ]; then echo {; fi
EOT
    interpreter = ["bash", "-c"]
  }
}
"##,
        ),
        (
            "43",
            r##"locals {
  a = 1 # one
  bb = 2
  ccc = 3 # three

  dddd = 4 # four
  e = 5 # five
}
"##,
        ),
        (
            "44",
            r##"resource "aws_wafv2_web_acl" "this" {
  name = var.name
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name = "rule-1"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name = "rule-1"
      sampled_requests_enabled = true
    }
  }
}
"##,
        ),
        (
            "45",
            r##"locals {
  tags = merge(var.tags, { "Name" = format("%s-%s", var.name, "x"), "Env" = var.env })
  cond = var.a ? { x = 1 } : { x = 2 }
  lst = concat(var.a, [
    "x",
  ])
  str_with_brace = "}"
  after = 1
}
"##,
        ),
        (
            "46",
            r##"locals {
  a = 1
}
# trailing comment at end of file
"##,
        ),
        (
            "47",
            r##"variable "x" {
  type = list(string)
  default = []
  nullable = false
}
variable "y" {
  type = any
}
"##,
        ),
        (
            "48",
            r##"locals {
  users = {
    alice = { groups = ["admin"], shell = "/bin/bash" }
    bob = { groups = [], shell = "/bin/zsh" }
    "charlie.d" = { groups = ["dev", "ops"], shell = "/bin/sh" }
  }
}
"##,
        ),
        (
            "49",
            r##"locals {
  a = "${
    var.x
  }"
  b = "${var.c
  ? 1 : 2}"
}
"##,
        ),
        (
            "50",
            r##"foo {a=1}
x {}
resource a b { # c
v = "${x}"
}
locals {
  a = <<EOT
x
EOT
  bbb = 1 # c
  cc = 2 # d
}
"##,
        ),
    ];
}
