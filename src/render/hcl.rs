//! HCL literals from template values. Every `{{ }}` in a `.tf.j2` template goes through here,
//! so no blueprint value can break out of its string: quotes, backslashes and control
//! characters are escaped and `${` / `%{` are doubled. A value marked safe (`| raw`, or built by
//! the model as a Terraform expression) is written as it is.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

const KEYWORDS: &[&str] = &[
    "true", "false", "null", "for", "in", "if", "endfor", "endif", "else",
];

/// A double-quoted HCL string holding exactly `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object key: bare when it is a plain identifier, quoted otherwise.
pub fn key(k: &str) -> String {
    let ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident && !KEYWORDS.contains(&k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// Writes `v` as an HCL expression. Lists of scalars stay on one line; objects and lists of
/// objects span lines (the formatter indents them).
pub fn write(out: &mut String, v: &Value) -> Result<(), Error> {
    match v.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "undefined value in an HCL expression",
            ));
        }
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if let Some(i) = v.as_i64() {
                out.push_str(&i.to_string());
            } else {
                let f: f64 = v.clone().try_into().map_err(|_| bad(v))?;
                if !f.is_finite() {
                    return Err(bad(v));
                }
                out.push_str(&format!("{f}"));
            }
        }
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default();
            if v.is_safe() {
                out.push_str(s);
            } else {
                out.push_str(&quote(s));
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = v.try_iter()?.collect();
            let flat = items.iter().all(|i| {
                !matches!(
                    i.kind(),
                    ValueKind::Seq | ValueKind::Map | ValueKind::Iterable
                )
            });
            if items.is_empty() {
                out.push_str("[]");
            } else if flat {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(out, item)?;
                }
                out.push(']');
            } else {
                out.push_str("[\n");
                for item in &items {
                    write(out, item)?;
                    out.push_str(",\n");
                }
                out.push(']');
            }
        }
        ValueKind::Map => {
            let keys: Vec<Value> = v.try_iter()?.collect();
            if keys.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push_str("{\n");
            for k in keys {
                let item = v.get_item(&k)?;
                let name = k
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| k.to_string());
                out.push_str(&key(&name));
                out.push_str(" = ");
                write(out, &item)?;
                out.push('\n');
            }
            out.push('}');
        }
        _ => return Err(bad(v)),
    }
    Ok(())
}

fn bad(v: &Value) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{v:?} has no HCL form"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcl(v: Value) -> String {
        let mut s = String::new();
        write(&mut s, &v).unwrap();
        s
    }

    #[test]
    fn strings_cannot_escape_their_quotes() {
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(quote("${x} %{y} $x %x"), r#""$${x} %%{y} $x %x""#);
        assert_eq!(quote("é\u{1}"), "\"é\\u0001\"");
    }

    #[test]
    fn values_become_hcl_expressions() {
        let v = Value::from(minijinja::value::Serde(
            serde_json::json!({"a-b": [1, 2.5, "x"], "for": true, "n": null}),
        ));
        assert_eq!(
            hcl(v),
            "{\n\"a-b\" = [1, 2.5, \"x\"]\n\"for\" = true\nn = null\n}"
        );
        assert_eq!(
            hcl(Value::from_safe_string("module.network.vpc_id".into())),
            "module.network.vpc_id"
        );
    }
}

#[cfg(test)]
pub(crate) mod properties {
    //! `quote` against an independent HCL implementation (hcl-rs): whatever the string, the
    //! literal parses as one string expression and evaluates back to exactly the input.
    use super::{key, quote};
    use hcl::eval::{Context, Evaluate};
    use proptest::prelude::*;

    /// Strings biased towards what breaks HCL strings: quotes, backslashes, line breaks,
    /// template openers, escapes-looking text, non-ASCII and HCL-shaped fragments.
    pub fn hostile_string() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            Just("${".to_string()),
            Just("%{".to_string()),
            Just("$${".to_string()),
            Just("%%{".to_string()),
            Just("$".to_string()),
            Just("%".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("\\u0041".to_string()),
            Just("\\n".to_string()),
            Just("<<EOT\n".to_string()),
            Just("\n}\nresource \"aws_iam_user\" \"x\" {\n".to_string()),
            Just("# /* */ //".to_string()),
            Just("Zürich 東京 🚀".to_string()),
            Just("\u{0}\u{1}\u{7f}\u{85}\u{2028}".to_string()),
            "[a-z ]{0,4}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    fn eval_string(src: &str) -> Result<String, String> {
        let body: hcl::Body = hcl::from_str(src).map_err(|e| format!("parse: {e}"))?;
        let attr = body
            .attributes()
            .next()
            .ok_or_else(|| "no attribute".to_string())?;
        match attr.expr.evaluate(&Context::new()) {
            Ok(hcl::Value::String(s)) => Ok(s),
            Ok(other) => Err(format!("not a string: {other:?}")),
            Err(e) => Err(format!("eval: {e}")),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn quoted_strings_evaluate_back_to_the_input(s in hostile_string()) {
            let lit = quote(&s);
            prop_assert!(!lit[1..lit.len() - 1].contains(['\n', '\r']), "{lit}");
            prop_assert_eq!(eval_string(&format!("x = {lit}\n")), Ok(s.clone()), "{}", lit);
            // hcl-edit, which the self-check uses, agrees.
            prop_assert!(hcl_edit::parser::parse_body(&format!("x = {lit}\n")).is_ok(), "{}", lit);
        }

        #[test]
        fn object_keys_evaluate_back_to_the_input(s in hostile_string()) {
            let src = format!("x = {{\n{} = 1\n}}\n", key(&s));
            let body: hcl::Body = hcl::from_str(&src).map_err(|e| TestCaseError::fail(format!("{e}: {src}")))?;
            let v = body.attributes().next().unwrap().expr.evaluate(&Context::new())
                .map_err(|e| TestCaseError::fail(format!("{e}: {src}")))?;
            let hcl::Value::Object(map) = v else { return Err(TestCaseError::fail(src)) };
            prop_assert_eq!(map.keys().collect::<Vec<_>>(), vec![&s], "{}", src);
        }
    }
}
