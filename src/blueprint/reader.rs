//! Typed access to one block of the syntax tree. Every attribute and block that is read is
//! marked; `finish` reports the rest as unknown, with "did you mean". In an environment block
//! the reader knows which settings may be overridden and rejects the others at their position.

use super::syntax::{Attr, BlockNode, Node, Value, format_number};
use crate::diag::{Diagnostics, Pos, did_you_mean, one_of};
use std::collections::BTreeMap;

pub struct Reader<'a> {
    block: &'a BlockNode,
    what: String,
    known_attrs: Vec<&'static str>,
    known_blocks: Vec<&'static str>,
    /// In an environment override: the settings this block may override.
    env: Option<&'static [&'static str]>,
}

impl<'a> Reader<'a> {
    pub fn new(block: &'a BlockNode, what: impl Into<String>, d: &mut Diagnostics) -> Self {
        let reader = Reader {
            block,
            what: what.into(),
            known_attrs: Vec::new(),
            known_blocks: Vec::new(),
            env: None,
        };
        reader.check_duplicate_attrs(d);
        reader
    }

    /// A reader for an environment's override of a block, allowing only `overridable`.
    pub fn overriding(
        block: &'a BlockNode,
        what: impl Into<String>,
        overridable: &'static [&'static str],
        d: &mut Diagnostics,
    ) -> Self {
        let mut reader = Reader::new(block, what, d);
        reader.env = Some(overridable);
        reader
    }

    pub fn is_override(&self) -> bool {
        self.env.is_some()
    }

    pub fn pos(&self) -> Pos {
        self.block.pos
    }

    pub fn raw_block(&self) -> &'a BlockNode {
        self.block
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    fn check_duplicate_attrs(&self, d: &mut Diagnostics) {
        let names = self.block.attrs.iter().map(|a| a.key.name.as_str());
        for (i, first) in duplicates(names) {
            let (attr, first) = (&self.block.attrs[i], &self.block.attrs[first]);
            d.error(
                attr.key.pos,
                format!(
                    "duplicate attribute `{}` in {} (first set at line {})",
                    attr.key.name, self.what, first.key.pos.line
                ),
            );
        }
    }

    fn permitted(&self, key: &str, pos: Pos, d: &mut Diagnostics) -> bool {
        match self.env {
            Some(allowed) if !allowed.contains(&key) => {
                // A misspelt overridable setting: say which one.
                let hint = did_you_mean(key, allowed.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                d.error(
                    pos,
                    format!(
                        "`{key}` cannot be set per environment in {}: {hint}environments override sizing and toggles only ({}); set it on the app itself",
                        self.what,
                        if allowed.is_empty() { "nothing here".to_string() } else { one_of(allowed) }
                    ),
                );
                false
            }
            _ => true,
        }
    }

    /// The attribute `key`, if present.
    pub fn attr(&mut self, key: &'static str, d: &mut Diagnostics) -> Option<&'a Node> {
        self.known_attrs.push(key);
        let attr: &'a Attr = self.block.attrs.iter().find(|a| a.key.name == key)?;
        if !self.permitted(key, attr.key.pos, d) || attr.value.value == Value::Invalid {
            return None;
        }
        if attr.value.value == Value::Null {
            d.error(
                attr.value.pos,
                format!("`{key}` cannot be null; leave it out to use its default"),
            );
            return None;
        }
        Some(&attr.value)
    }

    /// The attribute `key`; an error at the block when it is missing (not in overrides).
    pub fn required(&mut self, key: &'static str, d: &mut Diagnostics) -> Option<&'a Node> {
        let has = self.block.attrs.iter().any(|a| a.key.name == key);
        let node = self.attr(key, d);
        if !has && self.env.is_none() {
            d.error(
                self.block.pos,
                format!("{} is missing the required attribute `{key}`", self.what),
            );
        }
        node
    }

    /// All nested blocks named `ident`.
    pub fn blocks(&mut self, ident: &'static str, d: &mut Diagnostics) -> Vec<&'a BlockNode> {
        self.known_blocks.push(ident);
        let found: Vec<&'a BlockNode> = self
            .block
            .blocks
            .iter()
            .filter(|b| b.ident.name == ident)
            .collect();
        found
            .into_iter()
            .filter(|b| self.permitted(ident, b.pos, d))
            .collect()
    }

    /// The nested block `ident` that may appear at most once.
    pub fn single(&mut self, ident: &'static str, d: &mut Diagnostics) -> Option<&'a BlockNode> {
        let found = self.blocks(ident, d);
        for extra in found.iter().skip(1) {
            d.error(
                extra.pos,
                format!("duplicate `{ident}` block in {} (the first is at line {}); merge them into one", self.what, found[0].pos.line),
            );
        }
        for b in &found {
            if !b.labels.is_empty() {
                d.error(b.labels[0].pos, format!("a `{ident}` block takes no label"));
            }
        }
        found.first().copied()
    }

    /// Nested blocks `ident` that each take one label, unique among them.
    pub fn labeled(
        &mut self,
        ident: &'static str,
        d: &mut Diagnostics,
    ) -> Vec<(String, Pos, &'a BlockNode)> {
        let mut out: Vec<(String, Pos, &'a BlockNode)> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for b in self.blocks(ident, d) {
            if b.labels.len() != 1 {
                let at = b.labels.get(1).map_or(b.pos, |l| l.pos);
                d.error(
                    at,
                    format!(
                        "a `{ident}` block takes exactly one label: {ident} \"name\" {{ ... }}"
                    ),
                );
                continue;
            }
            let label = &b.labels[0];
            if let Some(&first) = seen.get(&label.name) {
                d.error(
                    label.pos,
                    format!(
                        "duplicate {ident} \"{}\" in {} (first defined at line {})",
                        crate::diag::escape(&label.name),
                        self.what,
                        out[first].1.line
                    ),
                );
                continue;
            }
            seen.insert(label.name.clone(), out.len());
            out.push((label.name.clone(), label.pos, b));
        }
        out
    }

    /// Reports attributes and blocks that were never asked for.
    pub fn finish(&mut self, d: &mut Diagnostics) {
        // Each name once, in the order they were first asked for.
        let mut seen = std::collections::HashSet::new();
        self.known_attrs.retain(|k| seen.insert(*k));
        seen.clear();
        self.known_blocks.retain(|k| seen.insert(*k));
        for attr in &self.block.attrs {
            if !self.known_attrs.contains(&attr.key.name.as_str()) {
                if self.env.is_some() && self.permitted(&attr.key.name, attr.key.pos, d) {
                    d.error(
                        attr.key.pos,
                        format!("unknown attribute `{}` in {}", attr.key.name, self.what),
                    );
                }
                if self.env.is_some() {
                    continue;
                }
                let mut msg = format!("unknown attribute `{}` in {}", attr.key.name, self.what);
                if let Some(s) = did_you_mean(
                    &attr.key.name,
                    self.known_attrs
                        .iter()
                        .copied()
                        .chain(self.known_blocks.iter().copied()),
                ) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                } else {
                    msg.push_str(&format!("; expected one of {}", one_of(&self.known_attrs)));
                }
                d.error(attr.key.pos, msg);
            }
        }
        for block in &self.block.blocks {
            if !self.known_blocks.contains(&block.ident.name.as_str()) {
                if self.env.is_some() && self.permitted(&block.ident.name, block.pos, d) {
                    d.error(
                        block.pos,
                        format!("unknown block `{}` in {}", block.ident.name, self.what),
                    );
                }
                if self.env.is_some() {
                    continue;
                }
                let mut msg = format!("unknown block `{}` in {}", block.ident.name, self.what);
                if let Some(s) = did_you_mean(
                    &block.ident.name,
                    self.known_blocks
                        .iter()
                        .copied()
                        .chain(self.known_attrs.iter().copied()),
                ) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                } else if self.known_blocks.is_empty() {
                    msg.push_str("; this block takes no nested blocks");
                } else {
                    msg.push_str(&format!("; expected one of {}", one_of(&self.known_blocks)));
                }
                d.error(block.pos, msg);
            }
        }
    }

    // Typed getters: each returns None (and reports) when the value has the wrong type.

    /// A string attribute. An empty string is an error (every string setting names
    /// something) but for the free text of `description`.
    pub fn string(&mut self, key: &'static str, d: &mut Diagnostics) -> Option<(String, Pos)> {
        let (s, pos) = self
            .attr(key, d)
            .and_then(|n| as_string(n, key, d).map(|s| (s, n.pos)))?;
        if s.trim().is_empty() && key != "description" {
            d.error(
                pos,
                format!(
                    "`{key}` cannot be {}; {}",
                    if s.is_empty() { "empty" } else { "blank" },
                    example(key)
                ),
            );
            return None;
        }
        Some((s, pos))
    }

    pub fn set_string(
        &mut self,
        key: &'static str,
        target: &mut String,
        d: &mut Diagnostics,
    ) -> Option<Pos> {
        let (v, pos) = self.string(key, d)?;
        *target = v;
        Some(pos)
    }

    pub fn set_enum(
        &mut self,
        key: &'static str,
        allowed: &[&str],
        target: &mut String,
        d: &mut Diagnostics,
    ) -> Option<Pos> {
        let (v, pos) = self.string(key, d)?;
        if allowed.contains(&v.as_str()) {
            *target = v;
        } else {
            let hint = did_you_mean(&v, allowed.iter().copied())
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            d.error(
                pos,
                format!("`{key}` must be {}, not \"{v}\"{hint}", one_of(allowed)),
            );
        }
        Some(pos)
    }

    pub fn set_bool(&mut self, key: &'static str, target: &mut bool, d: &mut Diagnostics) {
        if let Some(n) = self.attr(key, d) {
            match n.value {
                Value::Bool(b) => *target = b,
                ref other => d.error(
                    n.pos,
                    format!("`{key}` must be true or false, not {}", describe(other)),
                ),
            }
        }
    }

    /// A whole number in `min..=max`.
    pub fn set_int<T: TryFrom<u64> + Copy>(
        &mut self,
        key: &'static str,
        min: u64,
        max: u64,
        target: &mut T,
        d: &mut Diagnostics,
    ) -> Option<Pos> {
        let n = self.attr(key, d)?;
        if let Some(v) = as_int(n, key, min, max, d).and_then(|v| T::try_from(v).ok()) {
            *target = v;
        }
        Some(n.pos)
    }

    pub fn opt_int(
        &mut self,
        key: &'static str,
        min: u64,
        max: u64,
        d: &mut Diagnostics,
    ) -> Option<u64> {
        let n = self.attr(key, d)?;
        as_int(n, key, min, max, d)
    }

    pub fn number(&mut self, key: &'static str, d: &mut Diagnostics) -> Option<(f64, Pos)> {
        let n = self.attr(key, d)?;
        match n.value {
            Value::Number(v) if v.is_finite() => Some((v, n.pos)),
            ref other => {
                d.error(
                    n.pos,
                    format!("`{key}` must be a number, not {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn string_list(
        &mut self,
        key: &'static str,
        d: &mut Diagnostics,
    ) -> Option<(Vec<(String, Pos)>, Pos)> {
        let n = self.attr(key, d)?;
        match &n.value {
            Value::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::String(s) => out.push((s.clone(), item.pos)),
                        other => d.error(
                            item.pos,
                            format!(
                                "`{key}` must be a list of strings, but this item is {}",
                                describe(other)
                            ),
                        ),
                    }
                }
                Some((out, n.pos))
            }
            other => {
                d.error(
                    n.pos,
                    format!(
                        "`{key}` must be a list of strings such as [\"a\", \"b\"], not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    pub fn string_map(
        &mut self,
        key: &'static str,
        d: &mut Diagnostics,
    ) -> Option<Vec<(String, Pos, String, Pos)>> {
        let n = self.attr(key, d)?;
        match &n.value {
            Value::Object(items) => {
                let mut out: Vec<(String, Pos, String, Pos)> = Vec::new();
                let mut seen: std::collections::HashMap<&str, usize> =
                    std::collections::HashMap::new();
                for (k, v) in items {
                    if let Some(&first) = seen.get(k.name.as_str()) {
                        d.error(
                            k.pos,
                            format!(
                                "duplicate key \"{}\" in `{key}` (first at line {})",
                                crate::diag::escape(&k.name),
                                out[first].1.line
                            ),
                        );
                        continue;
                    }
                    seen.insert(k.name.as_str(), out.len());
                    let value = match &v.value {
                        Value::String(s) => s.clone(),
                        Value::Number(x) => format_number(*x),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            d.error(
                                v.pos,
                                format!(
                                    "values of `{key}` must be strings, not {}",
                                    describe(other)
                                ),
                            );
                            continue;
                        }
                    };
                    out.push((k.name.clone(), k.pos, value, v.pos));
                }
                Some(out)
            }
            other => {
                d.error(
                    n.pos,
                    format!(
                        "`{key}` must be an object such as {{ NAME = \"value\" }}, not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    pub fn set_string_map(
        &mut self,
        key: &'static str,
        target: &mut BTreeMap<String, String>,
        d: &mut Diagnostics,
    ) {
        if let Some(items) = self.string_map(key, d) {
            *target = items.into_iter().map(|(k, _, v, _)| (k, v)).collect();
        }
    }
}

/// The pairs (index, index of its first occurrence) of every name in `names` seen before, in
/// time linear in their number.
pub fn duplicates<K: std::hash::Hash + Eq>(
    names: impl IntoIterator<Item = K>,
) -> Vec<(usize, usize)> {
    let mut first = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (i, k) in names.into_iter().enumerate() {
        match first.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => out.push((i, *e.get())),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    out
}

/// What a value of `key` looks like, for the message about an empty one.
fn example(key: &str) -> String {
    let e = match key {
        "region" => "\"eu-central-1\"",
        "cidr" => "\"10.0.0.0/16\"",
        "version" => "\"16.4\" for aurora-postgresql, \"7.1\" for redis",
        "zone_id" => "\"Z0123456789ABCDEFGHIJ\"",
        "private_zone" => "\"app.internal\"",
        "instance_type" => "\"t3.micro\"",
        "instance_class" => "\"db.r6g.large\" or \"db.serverless\"",
        "node_type" => "\"cache.t4g.small\"",
        "image" => "\"nginx:1.27\"",
        "image_tag" => "\"1.4.2\"",
        "certificate" => "\"arn:aws:acm:<region>:<account>:certificate/<id>\"",
        "health_check" => "\"/health\"",
        "path" => "\"/data\"",
        "account_id" => "\"123456789012\"",
        "load_balancer" => "\"public\"",
        "listener" => "\"https\"",
        "file_system" => "\"data\"",
        "target" => "\"load_balancer.public\"",
        "from" | "to" | "default" => "\"service.web\"",
        "database_name" => "\"app\"",
        "iam_user" => "\"app_iam\"",
        "permissions" => "\"0755\"",
        "name" => "\"www\"",
        _ => return "give it a value, or leave the attribute out to use its default".into(),
    };
    format!("write a value such as {e}, or leave the attribute out if it has a default")
}

pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{}\"", s.escape_debug()),
        Value::Number(n) => format!("the number {}", format_number(*n)),
        Value::Bool(b) => format!("the bool {b}"),
        other => other.kind().to_string(),
    }
}

pub fn as_string(n: &Node, key: &str, d: &mut Diagnostics) -> Option<String> {
    match &n.value {
        Value::String(s) => Some(s.clone()),
        other => {
            d.error(
                n.pos,
                format!("`{key}` must be a string, not {}", describe(other)),
            );
            None
        }
    }
}

pub fn as_int(n: &Node, key: &str, min: u64, max: u64, d: &mut Diagnostics) -> Option<u64> {
    match n.value {
        Value::Number(v) if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 => {
            Some(v as u64)
        }
        Value::Number(v) if v.fract() == 0.0 => {
            d.error(
                n.pos,
                format!(
                    "`{key}` must be between {min} and {max}, not {}",
                    format_number(v)
                ),
            );
            None
        }
        ref other => {
            d.error(
                n.pos,
                format!(
                    "`{key}` must be a whole number between {min} and {max}, not {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duplicates;
    use std::cell::Cell;
    use std::hash::{Hash, Hasher};

    thread_local!(static EQ: Cell<usize> = const { Cell::new(0) });

    /// A key that counts the comparisons made of it.
    struct Counted(u32);
    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            EQ.with(|c| c.set(c.get() + 1));
            self.0 == other.0
        }
    }
    impl Eq for Counted {}
    impl Hash for Counted {
        fn hash<H: Hasher>(&self, h: &mut H) {
            self.0.hash(h);
        }
    }

    /// Item 11: finding the duplicate names of a block or map compares each name with a few
    /// others, not with all before it (100,000 tags once took 87 s).
    #[test]
    fn finding_duplicates_takes_linear_time() {
        let n = 100_000;
        EQ.with(|c| c.set(0));
        let keys = (0..n).map(|i| Counted(i % (n - 10)));
        let found = duplicates(keys);
        assert_eq!(found.len(), 10);
        assert_eq!(found[0], ((n - 10) as usize, 0));
        let eq = EQ.with(Cell::get);
        assert!(eq < 4 * n as usize, "{eq} comparisons for {n} names");
    }
}
