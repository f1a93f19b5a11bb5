//! The blueprint syntax tree: HCL parsed with hcl-edit and reduced to literal values that carry
//! their positions. Anything that is not a literal (a reference, a function call, a template
//! interpolation, an operation) is reported here, at its position, and never reaches the model.

use crate::diag::{Diagnostics, LineIndex, Pos};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Element, Template};

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Stands for a value that was already reported as an error.
    Invalid,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Node>),
    Object(Vec<(Key, Node)>),
}

impl Value {
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Invalid => "an invalid value",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
        }
    }
}

/// A value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// An object key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub key: Key,
    pub value: Node,
}

#[derive(Debug, Clone)]
pub struct BlockNode {
    pub ident: Key,
    pub labels: Vec<Key>,
    pub attrs: Vec<Attr>,
    pub blocks: Vec<BlockNode>,
    pub pos: Pos,
}

/// Parses `src` into its top-level attributes and blocks. Syntax errors and non-literal values
/// are added to `diags`; the tree holds what could be read.
pub fn parse(src: &str, diags: &mut Diagnostics) -> Option<BlockNode> {
    // Classic Mac line endings: HCL sees one long line.
    if let Some(i) = src
        .match_indices('\r')
        .map(|(i, _)| i)
        .find(|&i| src.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        diags.error(
            Pos::at(src, i),
            "this line ends with a lone carriage return (CR, old Mac line endings), which HCL does not take as a line break; save the file with LF (or CRLF) line endings",
        );
        return None;
    }
    if let Some((at, n)) = crowded(src) {
        diags.error(
            Pos::at(src, at),
            format!(
                "this object, list or block holds {n} items or more; a blueprint takes at most {ITEMS_MAX} in one (AWS takes 50 tags per resource): split it or leave entries out"
            ),
        );
        return None;
    }
    match hcl_edit::parser::parse_body(src) {
        Ok(body) => {
            let reader = Reader {
                src,
                lines: LineIndex::new(src),
            };
            let (attrs, blocks) = reader.body(&body, diags);
            Some(BlockNode {
                ident: Key {
                    name: String::new(),
                    pos: Pos { line: 1, col: 1 },
                },
                labels: Vec::new(),
                attrs,
                blocks,
                pos: Pos { line: 1, col: 1 },
            })
        }
        Err(err) => {
            let loc = err.location();
            let message = err.message().trim();
            let lines: Vec<&str> = src.split('\n').collect();
            let mut pos = Pos {
                line: loc.line().max(1),
                col: loc.column().max(1),
            };
            // A column past the end of its line (the parser points after the last character).
            if let Some(l) = lines.get(pos.line - 1) {
                pos.col = pos.col.min(l.trim_end_matches('\r').chars().count() + 1);
            }
            let offset = lines[..(pos.line - 1).min(lines.len())]
                .iter()
                .map(|l| l.len() + 1)
                .sum::<usize>()
                + lines
                    .get(pos.line - 1)
                    .map_or(0, |l| l.chars().take(pos.col - 1).map(char::len_utf8).sum());
            let duplicate;
            let unclosed;
            let number;
            let message = if let Some((text, at)) = huge_number(src, offset) {
                pos = Pos::at(src, at);
                number = format!(
                    "the number {text} is too large: blueprint numbers are finite (at most about 1.8e308); write the value it stands for"
                );
                number.as_str()
            } else if src[offset.min(src.len())..].trim().is_empty()
                && let Some(open) = unclosed_brace(src)
            {
                // The end of the file, inside a block or object.
                let last = src.trim_end().len();
                pos = Pos::at(src, last);
                let o = Pos::at(src, open);
                unclosed = format!(
                    "the file ends inside the block or object opened with `{{` at line {}, column {}: add the `}}` that closes it",
                    o.line, o.col
                );
                unclosed.as_str()
            } else if message.contains("redefined attribute") {
                // The parser stops at the second definition; name the key found there.
                let key = err
                    .line()
                    .trim_start()
                    .split(['=', ' '])
                    .next()
                    .unwrap_or_default();
                duplicate = format!(
                    "duplicate attribute `{key}`: each attribute may be set once per block"
                );
                duplicate.as_str()
            } else if message.is_empty() {
                "invalid HCL syntax"
            } else {
                message
            };
            diags.error(pos, format!("syntax error: {message}"));
            None
        }
    }
}

struct Reader<'a> {
    src: &'a str,
    lines: LineIndex<'a>,
}

impl Reader<'_> {
    fn pos(&self, item: &impl Span) -> Pos {
        item.span()
            .map_or(Pos { line: 1, col: 1 }, |r| self.lines.pos(r.start))
    }

    fn body(&self, body: &Body, diags: &mut Diagnostics) -> (Vec<Attr>, Vec<BlockNode>) {
        let mut attrs = Vec::new();
        let mut blocks = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key = Key {
                        name: attr.key.as_str().to_string(),
                        pos: self.pos(&attr.key),
                    };
                    let before = diags.len();
                    let value = self.expr(&attr.value, diags);
                    diags.prefix_since(before, &format!("`{}`: ", key.name));
                    attrs.push(Attr { key, value });
                }
                Structure::Block(block) => blocks.push(self.block(block, diags)),
            }
        }
        (attrs, blocks)
    }

    fn block(&self, block: &Block, diags: &mut Diagnostics) -> BlockNode {
        let ident = Key {
            name: block.ident.as_str().to_string(),
            pos: self.pos(&block.ident),
        };
        let labels = block
            .labels
            .iter()
            .map(|l| Key {
                name: l.as_str().to_string(),
                pos: self.pos(l),
            })
            .collect();
        let (attrs, blocks) = self.body(&block.body, diags);
        BlockNode {
            pos: ident.pos,
            ident,
            labels,
            attrs,
            blocks,
        }
    }

    fn expr(&self, expr: &Expression, diags: &mut Diagnostics) -> Node {
        let pos = self.pos(expr);
        let value = match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => Value::Number(n.value().as_f64().unwrap_or(f64::NAN)),
            Expression::String(s) => Value::String(s.value().to_string()),
            Expression::Array(items) => {
                Value::List(items.iter().map(|e| self.expr(e, diags)).collect())
            }
            Expression::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (self.key(k, diags), self.expr(v.expr(), diags)))
                    .collect(),
            ),
            Expression::StringTemplate(t) => self.template(t, pos, diags),
            Expression::HeredocTemplate(h) => self.template(&h.template, pos, diags),
            Expression::Parenthesis(p) => return self.expr(p.inner(), diags),
            Expression::Variable(v) => {
                let name = v.as_str();
                let hint = if name == "var" || name == "local" || name == "module" {
                    " (blueprints take no Terraform references; per-environment values go in an `environment` block)"
                } else {
                    "; write a quoted string such as \"value\""
                };
                diags.error(
                    pos,
                    format!("`{name}` is a reference, but only literal values are allowed{hint}"),
                );
                Value::Invalid
            }
            Expression::Traversal(t) => {
                let text = self.text(expr).unwrap_or_else(|| format!("{}", t.expr));
                diags.error(
                    pos,
                    format!("`{text}` is a reference, but only literal values are allowed; refer to parts of the blueprint with strings such as \"service.web\", and put per-environment values in an `environment` block"),
                );
                Value::Invalid
            }
            Expression::FuncCall(call) => {
                diags.error(
                    pos,
                    format!(
                        "function call `{}(...)` is not allowed: blueprint values are literals (strings, numbers, bools, lists, objects)",
                        call.name.name.as_str()
                    ),
                );
                Value::Invalid
            }
            Expression::Conditional(_) => {
                diags.error(pos, "a conditional expression is not allowed: blueprint values are literals; use an `environment` block for values that differ");
                Value::Invalid
            }
            Expression::ForExpr(_) => {
                diags.error(pos, "a `for` expression is not allowed: blueprint values are literals; write the list or object out");
                Value::Invalid
            }
            Expression::UnaryOp(op) => {
                // `-1` is a literal negative number in HCL's eyes.
                if let (hcl_edit::expr::UnaryOperator::Neg, Expression::Number(n)) =
                    (op.operator.value(), &op.expr)
                {
                    Value::Number(-n.value().as_f64().unwrap_or(f64::NAN))
                } else {
                    diags.error(
                        pos,
                        "an operation is not allowed: blueprint values are literals",
                    );
                    Value::Invalid
                }
            }
            Expression::BinaryOp(_) => {
                diags.error(pos, "an operation is not allowed: blueprint values are literals; write the computed value");
                Value::Invalid
            }
        };
        Node { value, pos }
    }

    fn key(&self, key: &ObjectKey, diags: &mut Diagnostics) -> Key {
        match key {
            ObjectKey::Ident(ident) => Key {
                name: ident.as_str().to_string(),
                pos: self.pos(ident),
            },
            ObjectKey::Expression(expr) => {
                let node = self.expr(expr, diags);
                match node.value {
                    Value::String(name) => Key {
                        name,
                        pos: node.pos,
                    },
                    Value::Number(n) => Key {
                        name: format_number(n),
                        pos: node.pos,
                    },
                    Value::Null | Value::Invalid => Key {
                        name: String::new(),
                        pos: node.pos,
                    },
                    other => {
                        diags.error(
                            node.pos,
                            format!(
                                "an object key must be a name or a string, not {}",
                                other.kind()
                            ),
                        );
                        Key {
                            name: String::new(),
                            pos: node.pos,
                        }
                    }
                }
            }
        }
    }

    /// A template is a literal only when it holds no interpolation or directive.
    fn template(&self, template: &Template, pos: Pos, diags: &mut Diagnostics) -> Value {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(lit) => text.push_str(lit.value()),
                Element::Interpolation(i) => {
                    let at = self.pos(i);
                    diags.error(
                        if at.line == 0 { pos } else { at },
                        "template interpolation `${...}` is not allowed: blueprint values are literals; write `$${` for a literal \"${\"",
                    );
                    return Value::Invalid;
                }
                Element::Directive(d) => {
                    diags.error(
                        self.pos(d.as_ref()),
                        "template directive `%{...}` is not allowed: blueprint values are literals; write `%%{` for a literal \"%{\"",
                    );
                    return Value::Invalid;
                }
            }
        }
        Value::String(text)
    }

    fn text(&self, item: &impl Span) -> Option<String> {
        item.span()
            .and_then(|r| self.src.get(r))
            .map(str::to_string)
    }
}

/// The most items (attributes, blocks, object keys, list elements) one body, object or list
/// may hold. The HCL parser checks each new key of an object or body against all before it, so
/// its time grows with the square of their number; this bound, checked first in one pass over
/// the text, keeps a run linear in the size of its input.
pub const ITEMS_MAX: usize = 2000;

/// The offset of the first body, object or list with more than [`ITEMS_MAX`] items, and the
/// number counted when it was found; one pass, outside strings, heredocs and comments.
fn crowded(src: &str) -> Option<(usize, usize)> {
    let b = src.as_bytes();
    // (offset of the opener, items, whether the current item has begun)
    let mut stack: Vec<(usize, usize, bool)> = vec![(0, 0, false)];
    let mut i = 0;
    let bump = |stack: &mut Vec<(usize, usize, bool)>| -> Option<(usize, usize)> {
        let top = stack.last_mut().expect("never empty");
        if top.2 {
            top.1 += 1;
            top.2 = false;
        }
        (top.1 > ITEMS_MAX).then_some((top.0, top.1))
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' | b',' => {
                if let Some(found) = bump(&mut stack) {
                    return Some(found);
                }
            }
            b' ' | b'\t' | b'\r' => {}
            b'"' => {
                stack.last_mut().expect("never empty").2 = true;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i + 1 < b.len() && b[i + 1] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i + 1 < b.len() && b[i + 1] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                // A heredoc: its text runs to a line that is only its marker.
                stack.last_mut().expect("never empty").2 = true;
                let mut j = i + 2;
                if b.get(j) == Some(&b'-') {
                    j += 1;
                }
                let start = j;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let marker = &src[start..j];
                if !marker.is_empty() {
                    let mut k = j;
                    loop {
                        let Some(nl) = src[k..].find('\n') else {
                            k = b.len();
                            break;
                        };
                        k += nl + 1;
                        let end = src[k..].find('\n').map_or(b.len(), |e| k + e);
                        if src[k..end].trim() == marker {
                            k = end;
                            break;
                        }
                    }
                    i = k;
                    continue;
                }
            }
            b'{' | b'[' | b'(' => {
                stack.last_mut().expect("never empty").2 = true;
                stack.push((i, 0, false));
            }
            b'}' | b']' | b')' => {
                if let Some(found) = bump(&mut stack) {
                    return Some(found);
                }
                if stack.len() > 1 {
                    stack.pop();
                }
            }
            _ => stack.last_mut().expect("never empty").2 = true,
        }
        i += 1;
    }
    bump(&mut stack)
}

/// A number literal around `offset` whose value is not finite (`1e400`): its text and start.
fn huge_number(src: &str, offset: usize) -> Option<(String, usize)> {
    let b = src.as_bytes();
    let is_num = |c: u8| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-');
    let mut start = offset.min(b.len());
    while start > 0 && is_num(b[start - 1]) {
        start -= 1;
    }
    while start < b.len() && !b[start].is_ascii_digit() && is_num(b[start]) {
        start += 1;
    }
    let mut end = start;
    while end < b.len() && is_num(b[end]) {
        end += 1;
    }
    let text = src.get(start..end)?;
    let v: f64 = text.parse().ok()?;
    (!v.is_finite() && text.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| (text.to_string(), start))
}

/// The offset of the first `{` that is never closed, outside strings and comments.
fn unclosed_brace(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let mut open = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'{' => open.push(i),
            b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open.first().copied()
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(src: &str) -> BlockNode {
        let mut d = Diagnostics::new("t.hcl");
        let tree = parse(src, &mut d).expect("parses");
        assert!(d.is_empty(), "{:?}", d.into_sorted());
        tree
    }

    fn errors(src: &str) -> Vec<String> {
        let mut d = Diagnostics::new("t.hcl");
        parse(src, &mut d);
        d.into_sorted().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn literals_keep_their_positions() {
        let tree = parse_ok("app \"x\" {\n  port = 80\n  tags = { a = \"b\" }\n}\n");
        let app = &tree.blocks[0];
        assert_eq!(app.labels[0].name, "x");
        assert_eq!(
            app.attrs[0].value,
            Node {
                value: Value::Number(80.0),
                pos: Pos { line: 2, col: 10 }
            }
        );
        assert!(matches!(app.attrs[1].value.value, Value::Object(_)));
    }

    #[test]
    fn escaped_template_markers_are_literal_text() {
        let tree = parse_ok("a = \"$${x} %%{y} \\\"q\\\"\"\n");
        assert_eq!(
            tree.attrs[0].value.value,
            Value::String("${x} %{y} \"q\"".into())
        );
    }

    #[test]
    fn non_literals_are_errors_at_their_position() {
        assert_eq!(
            errors("a = var.x\n")[0].split(": ").next(),
            Some("t.hcl:1:5")
        );
        assert!(errors("a = \"x-${var.y}\"\n")[0].contains("interpolation"));
        assert!(
            errors("\n\nb = upper(\"x\")\n")[0].starts_with("t.hcl:3:5: `b`: function call `upper")
        );
        assert!(errors("c = 1 + 2\n")[0].contains("operation"));
        assert_eq!(
            parse_ok("n = -1\n").attrs[0].value.value,
            Value::Number(-1.0)
        );
    }

    #[test]
    fn a_crowded_object_is_refused_before_the_parser_sees_it() {
        let ok: String = (0..ITEMS_MAX)
            .map(|i| format!("  k{i} = \"v\"\n"))
            .collect();
        parse_ok(&format!("t = {{\n{ok}}}\n"));
        let many: String = (0..100_000)
            .map(|i| format!("  \"k{i}\" = \"v\"\n"))
            .collect();
        let e = errors(&format!("a = 1\nt = {{\n{many}}}\n"));
        assert!(
            e[0].starts_with("t.hcl:2:5: this object, list or block holds"),
            "{e:?}"
        );
        // Separators in strings, comments and heredocs are not items.
        let commas = ",".repeat(10 * ITEMS_MAX);
        parse_ok(&format!(
            "a = \"{commas}\"\n# {commas}\nb = <<EOT\n{}\nEOT\n",
            "\n".repeat(3 * ITEMS_MAX)
        ));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = errors("a = 1\nb = \n");
        assert!(e[0].starts_with("t.hcl:"), "{e:?}");
        assert!(e[0].contains("syntax error"));
    }
}
