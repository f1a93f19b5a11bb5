//! Rendering: the minijinja environment over the embedded templates, the HCL auto-escaping
//! formatter, the `terraform fmt` aligner, the generated-file header, and the self-check that
//! every rendered `.tf` file is well formed.

pub mod align;
pub mod hcl;
pub mod overlay;

use anyhow::{Context, Result, anyhow};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};
use overlay::{Overlay, OverlayRecord};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The names of the built-in templates (`modules/ecs/main.tf.j2`, `templates/root/main.tf.j2`).
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    embedded::TEMPLATES.iter().map(|(n, _)| *n)
}

/// The source of a built-in template.
pub fn builtin_source(name: &str) -> Option<&'static str> {
    embedded::TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

/// An error of an overlay template, at its file, line and column; the commands report it as
/// they report a blueprint's errors (exit 2, nothing written).
#[derive(Debug)]
pub struct TemplateFault(pub crate::diag::Diagnostic);

impl std::fmt::Display for TemplateFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TemplateFault {}

/// One rendered file, relative to the app's output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub content: String,
}

pub struct Renderer {
    env: Environment<'static>,
    /// Every template name, built-in and from the overlay, in name order.
    names: Vec<String>,
    /// Built-in templates that failed to compile: reported when a run needs them.
    broken: Vec<(&'static str, String)>,
    /// The overlay whose templates replace or add to the built-in ones.
    overlay: Option<Overlay>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Renderer {
        let mut env = Environment::new();
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("valid syntax config"),
        );
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(|out, state, value| {
            if state.name().ends_with(".tf.j2") {
                let mut s = String::new();
                hcl::write(&mut s, value)?;
                out.write_str(&s).map_err(minijinja::Error::from)
            } else {
                // Markdown: inert text on one line (no HTML, links, emphasis or table cells).
                let text = match value.as_str() {
                    Some(s) if value.is_safe() => s.to_string(),
                    Some(s) => md_text(s),
                    None => md_text(&value.to_string()),
                };
                out.write_str(&text).map_err(minijinja::Error::from)
            }
        });
        env.add_filter("raw", |v: Value| {
            Value::from_safe_string(v.as_str().map_or_else(|| v.to_string(), str::to_string))
        });
        env.add_filter("hcl_string", |v: Value| -> String {
            hcl::quote(v.as_str().unwrap_or_default())
        });
        env.add_filter("md", |v: Value| -> Value {
            Value::from_safe_string(md_text(
                &v.as_str().map_or_else(|| v.to_string(), str::to_string),
            ))
        });
        env.add_filter("code", |v: Value| -> Value {
            Value::from_safe_string(md_code(
                &v.as_str().map_or_else(|| v.to_string(), str::to_string),
            ))
        });
        let mut broken = Vec::new();
        for (name, source) in embedded::TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                broken.push((*name, format!("{e:#}")));
            }
        }
        Renderer {
            env,
            names: builtin_names().map(str::to_string).collect(),
            broken,
            overlay: None,
        }
    }

    /// The built-in templates with `overlay`'s in place of those of the same name and beside
    /// them; an overlay template that does not compile is an error at its file:line:col.
    pub fn with_overlay(overlay: Overlay) -> Result<Renderer, Vec<crate::diag::Diagnostic>> {
        let mut r = Renderer::new();
        r.env.set_debug(true);
        let mut faults = Vec::new();
        for (name, source) in &overlay.templates {
            r.broken.retain(|(b, _)| b != name);
            if let Err(e) = r.env.add_template_owned(name.clone(), source.clone()) {
                faults.push(overlay::diagnostic(overlay.file_of(name), source, &e));
            } else if !r.names.contains(name) {
                r.names.push(name.clone());
            }
        }
        if !faults.is_empty() {
            return Err(faults);
        }
        r.names.sort();
        r.overlay = Some(overlay);
        Ok(r)
    }

    /// What the manifest records of this renderer's overlay, if it has one.
    pub fn overlay_record(&self) -> Option<OverlayRecord> {
        self.overlay.as_ref().map(Overlay::record)
    }

    /// Names of the templates in `folder` (e.g. `modules/network`), without the folder.
    pub fn templates_in(&self, folder: &str) -> Vec<&str> {
        let prefix = format!("{folder}/");
        self.names
            .iter()
            .filter_map(|name| name.strip_prefix(prefix.as_str()))
            .filter(|rest| !rest.contains('/'))
            .collect()
    }

    /// The overlay's template of this name, if the overlay has one.
    fn overlay_with(&self, name: &str) -> Option<&Overlay> {
        self.overlay.as_ref().filter(|o| o.has(name))
    }

    /// Renders every template of `folder` into files under `target` with `ctx`.
    pub fn render_folder(
        &self,
        folder: &str,
        target: &str,
        source: &str,
        ctx: &Value,
    ) -> Result<Vec<RenderedFile>> {
        let mut files = Vec::new();
        for name in self.templates_in(folder) {
            let full = format!("{folder}/{name}");
            if let Some((_, e)) = self.broken.iter().find(|(b, _)| *b == full) {
                return Err(anyhow!("template {full} does not compile: {e}"));
            }
            let out_name = name.trim_end_matches(".j2");
            let path = format!("{target}/{out_name}");
            let rendered = self.env.get_template(&full).and_then(|t| t.render(ctx));
            let user = self.overlay_with(&full);
            let body = match (rendered, user) {
                (Ok(body), _) => body,
                (Err(e), Some(o)) => {
                    let file = e.name().unwrap_or(&full).to_string();
                    let src = o.source(&file).unwrap_or_default();
                    return Err(
                        TemplateFault(overlay::diagnostic(o.file_of(&file), src, &e)).into(),
                    );
                }
                (Err(e), None) => {
                    return Err(anyhow!("{e:#}"))
                        .with_context(|| format!("rendering template {full}"));
                }
            };
            if body.trim().is_empty() {
                continue;
            }
            match user {
                None => files.push(finish_file(&path, source, &body)?),
                Some(o) => files.push(
                    finish_checked(&path, source, &body, true)
                        .map_err(|e| anyhow!("{e}"))
                        .with_context(|| {
                            format!(
                                "the overlay template {} renders a file that is not valid HCL",
                                o.file_of(&full)
                            )
                        })?,
                ),
            }
        }
        Ok(files)
    }
}

/// The first line of every generated file. Doubles as the ownership mark.
/// The blueprint's file name is the one piece of user text in it: it is kept on one line and,
/// in Markdown, cannot close the HTML comment.
pub fn header(path: &str, source: &str) -> String {
    let source = one_line(source);
    if path.ends_with(".md") {
        let source = source.replace('>', "_");
        format!("<!-- Code generated by tfblueprint from {source}. DO NOT EDIT. -->\n")
    } else {
        format!("# Code generated by tfblueprint from {source}. DO NOT EDIT.\n")
    }
}

/// `s` with every control character (line breaks, tabs, ...) and Unicode line or paragraph
/// separator turned into a space, so that it cannot leave a comment or a table row.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `s` as inert Markdown text on one line: every character CommonMark or GitHub tables give a
/// meaning inline is backslash-escaped (no HTML, entity, link, emphasis, code span or cell
/// break), and so is a start that would open a block (list, quote, heading, setext underline).
pub fn md_text(s: &str) -> String {
    let s = one_line(s);
    let s = s.trim();
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    // `12. ` or `12)` followed by a space or the end opens an ordered list; `1.5` does not.
    let ordered = digits > 0
        && matches!(chars.get(digits), Some('.' | ')'))
        && chars.get(digits + 1).is_none_or(|c| *c == ' ');
    for (i, &c) in chars.iter().enumerate() {
        let block_start =
            (i == 0 && matches!(c, '-' | '+' | '=' | '>' | '#')) || (i == digits && ordered);
        // `_` between two letters or digits opens no emphasis (`per_az` stays as it is).
        let intraword = c == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if block_start
            || (!intraword
                && matches!(
                    c,
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '#' | '!' | '~'
                ))
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a Markdown code span on one line: a backtick fence longer than any run of backticks
/// in it, padded when it starts or ends with one.
pub fn md_code(s: &str) -> String {
    let s = one_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Adds the header, formats `.tf` files as `terraform fmt` would and checks their structure
/// (every bracket, quote and heredoc closed). Debug builds, which the tests run, also parse
/// every file with a full HCL parser; release builds skip that, for it costs more than the
/// rendering.
pub fn finish_file(path: &str, source: &str, body: &str) -> Result<RenderedFile> {
    finish_checked(path, source, body, cfg!(debug_assertions)).map_err(|fault| {
        let (head, content) = fault.split_once('\n').unwrap_or((&fault, ""));
        anyhow!("{head} (a template bug; please report it)\n{content}")
    })
}

/// [`finish_file`]; `parse` runs the full HCL parser whatever the build (as for every file an
/// overlay template renders). The error names the file, line and fault, then the content.
fn finish_checked(
    path: &str,
    source: &str,
    body: &str,
    parse: bool,
) -> Result<RenderedFile, String> {
    let mut content = header(path, source);
    content.push('\n');
    if path.ends_with(".tf") {
        content.push_str(body.trim_start_matches('\n'));
        let (formatted, checked) = align::format_checked(&content);
        content = formatted;
        let fault = checked.err().or_else(|| {
            if !parse {
                return None;
            }
            hcl_edit::parser::parse_body(&content).err().map(|e| {
                let loc = e.location();
                (
                    loc.line(),
                    format!("column {}: {}", loc.column(), e.message()),
                )
            })
        });
        if let Some((line, what)) = fault {
            return Err(format!(
                "generated {path} is not valid HCL at line {line}: {what}\n{content}"
            ));
        }
    } else {
        content.push_str(body.trim_start_matches('\n'));
        if !content.ends_with('\n') {
            content.push('\n');
        }
    }
    Ok(RenderedFile {
        path: path.to_string(),
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_values_are_inert_text_on_one_line() {
        assert_eq!(
            md_text("<script>alert(1)</script> | *x* [a](b) `c`\n# h"),
            "\\<script\\>alert(1)\\</script\\> \\| \\*x\\* \\[a\\](b) \\`c\\` \\# h"
        );
        assert_eq!(md_text("- item"), "\\- item");
        assert_eq!(md_text("12. twelve"), "12\\. twelve");
        assert_eq!(md_text("10.0.0.0/16"), "10.0.0.0/16");
        assert_eq!(md_text("fargate-api"), "fargate-api");
        assert_eq!(md_text("per_az _x_"), "per_az \\_x\\_");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("websight.hcl"), "`websight.hcl`");
    }

    #[test]
    fn headers_hold_one_line_whatever_the_file_name() {
        let h = header("main.tf", "evil\n}\nresource \"x\" \"y\" {.hcl");
        assert_eq!(h.lines().count(), 1);
        let h = header("README.md", "a --> <b>\n.hcl");
        assert_eq!(h.lines().count(), 1);
        assert_eq!(h.matches("-->").count(), 1);
        assert!(h.ends_with("-->\n"));
    }
}
