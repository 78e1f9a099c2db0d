//! `;name=value` parameter lists, as used by URIs, Via, Contact, From/To and auth challenges.

use super::header::split_top_level;

/// Ordered parameters. Values keep their quotes off; `quoted` remembers whether to print them back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<Param>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
    pub quoted: bool,
}

impl Params {
    /// Parses `a=1;b;c="x;y"` (no leading separator). Tolerant: empty elements are skipped.
    pub fn parse(s: &str, sep: u8) -> Self {
        let mut out = Vec::new();
        for raw in split_top_level(s, sep) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let (name, value) = match raw.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (raw, None),
            };
            let (value, quoted) = match value {
                Some(v) => {
                    let (v, q) = unquote(v);
                    (Some(v), q)
                }
                None => (None, false),
            };
            out.push(Param {
                name: name.to_string(),
                value,
                quoted,
            });
        }
        Self(out)
    }

    /// Value of `name` (case-insensitive). `Some("")` for a flag parameter like `;lr`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref().unwrap_or(""))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn set(&mut self, name: &str, value: Option<&str>) {
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
        self.0.push(Param {
            name: name.to_string(),
            value: value.map(str::to_string),
            quoted: value.is_some_and(needs_quotes),
        });
    }

    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.0.iter()
    }

    /// Prints as `;a=1;b` (each parameter preceded by `;`).
    pub fn write_to(&self, out: &mut String) {
        for p in &self.0 {
            out.push(';');
            out.push_str(&p.name);
            if let Some(v) = &p.value {
                out.push('=');
                push_maybe_quoted(out, v, p.quoted);
            }
        }
    }
}

/// Removes surrounding double quotes and backslash escapes. Returns (text, was_quoted).
pub fn unquote(v: &str) -> (String, bool) {
    let v = v.trim();
    // Both strips: a lone `"` is not a quoted string.
    if let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut s = String::with_capacity(inner.len());
        let mut escaped = false;
        for c in inner.chars() {
            if escaped {
                s.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else {
                s.push(c);
            }
        }
        (s, true)
    } else {
        (v.to_string(), false)
    }
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.bytes()
            .any(|b| matches!(b, b' ' | b'"' | b';' | b',' | b'<' | b'>' | b'\\' | b'='))
}

pub fn push_maybe_quoted(out: &mut String, v: &str, quoted: bool) {
    if quoted {
        push_quoted(out, v);
    } else {
        out.push_str(v);
    }
}

/// `v` as a quoted-string.
pub fn quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    push_quoted(&mut s, v);
    s
}

pub fn push_quoted(out: &mut String, v: &str) {
    out.push('"');
    // A quoted-string cannot hold CR, LF or NUL even escaped (RFC 3261 §25.1): they are left
    // out, with the other controls, so no value can end the header line.
    for c in v.chars().filter(|c| !c.is_control() || *c == '\t') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_with_separators_survive() {
        let p = Params::parse(
            r#"expires=600;+sip.instance="<urn:uuid:3f2b>";reg-id=1;received="sip:1.2.3.4:5;transport=ws";lr"#,
            b';',
        );
        assert_eq!(p.get("+sip.instance"), Some("<urn:uuid:3f2b>"));
        assert_eq!(p.get("received"), Some("sip:1.2.3.4:5;transport=ws"));
        assert_eq!(p.get("LR"), Some(""));
        assert_eq!(p.get("expires"), Some("600"));
        let mut s = String::new();
        p.write_to(&mut s);
        assert_eq!(
            s,
            r#";expires=600;+sip.instance="<urn:uuid:3f2b>";reg-id=1;received="sip:1.2.3.4:5;transport=ws";lr"#
        );
    }

    #[test]
    fn escapes_round_trip() {
        let (v, q) = unquote(r#""a \"b\" \\c""#);
        assert!(q);
        assert_eq!(v, r#"a "b" \c"#);
        let mut s = String::new();
        push_quoted(&mut s, &v);
        assert_eq!(s, r#""a \"b\" \\c""#);
    }
}
