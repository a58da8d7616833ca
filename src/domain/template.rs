//! Small text templates: `{path}` and `{path|filter}` filled from JSON — hook mappings' titles
//! and bodies, rules' subjects and notes. A path is dotted (`data.object.amount`), and a number
//! in it indexes an array (`items.0.sku`). Filters: `cents` (2000 → 20.00), `upper`, `lower`.

use serde_json::Value;

use super::Invalid;

/// The filters a template may use.
pub const FILTERS: &[&str] = &["cents", "upper", "lower"];

/// The value at a dotted `path` under `root`, if there and not null.
pub fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = root;
    for seg in path.split('.') {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!v.is_null()).then_some(v)
}

/// A number, or a text that reads as one (`"42.50"`: systems send amounts either way).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// One place of a template: its path, its filter, and where it stands in the text.
struct Place<'t> {
    path: &'t str,
    filter: Option<&'t str>,
    range: std::ops::Range<usize>,
}

/// The places of a template: each `{path}` or `{path|filter}`.
fn places<'t>(template: &'t str, what: &str) -> Result<Vec<Place<'t>>, Invalid> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find('{').map(|o| from + o) {
        let close = template[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Invalid::general(format!("{what} `{template}` has a `{{` without its `}}`")))?;
        let inner = &template[open + 1..close];
        let (path, filter) = inner.split_once('|').map_or((inner, None), |(p, f)| (p, Some(f.trim())));
        if let Some(f) = filter.filter(|f| !FILTERS.contains(f)) {
            return Err(Invalid::general(format!("{what}: unknown filter `{f}` (cents, upper, lower)")));
        }
        if path.trim().is_empty() {
            return Err(Invalid::general(format!("{what} `{template}` has an empty `{{}}`: name a path in it")));
        }
        out.push(Place { path: path.trim(), filter, range: open..close + 1 });
        from = close + 1;
    }
    Ok(out)
}

/// Checks a template's braces and filters without filling it.
pub fn check(template: &str, what: &str) -> Result<(), Invalid> {
    places(template, what).map(|_| ())
}

/// The paths a template reads, its braces and filters checked.
pub fn paths<'t>(template: &'t str, what: &str) -> Result<Vec<&'t str>, Invalid> {
    Ok(places(template, what)?.into_iter().map(|p| p.path).collect())
}

/// Fills a template from `lookup`; a path it has no value for is `missing(path)`'s to decide
/// (an error, or a text in its place).
pub fn render(
    template: &str,
    what: &str,
    lookup: impl Fn(&str) -> Option<Value>,
    missing: impl Fn(&str) -> Result<String, Invalid>,
) -> Result<String, Invalid> {
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for Place { path, filter, range } in places(template, what)? {
        out.push_str(&template[last..range.start]);
        last = range.end;
        let Some(value) = lookup(path) else {
            out.push_str(&missing(path)?);
            continue;
        };
        let text = match (&value, filter) {
            (Value::Number(n), Some("cents")) => format!("{:.2}", n.as_f64().unwrap_or(0.0) / 100.0),
            (Value::String(s), Some("upper")) => s.to_uppercase(),
            (Value::String(s), Some("lower")) => s.to_lowercase(),
            (Value::String(s), _) => s.clone(),
            (other, _) => other.to_string(),
        };
        out.push_str(&text);
    }
    out.push_str(&template[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_filters_and_missing_values() {
        let v = json!({"a": {"amount": 2050, "cur": "eur", "items": [{"sku": "X1"}]}});
        let fill = |t: &str| render(t, "t", |p| value_at(&v, p).cloned(), |p| Ok(format!("<{p}>")));
        assert_eq!(fill("{a.amount|cents} {a.cur|upper} {a.items.0.sku}").unwrap(), "20.50 EUR X1");
        assert_eq!(fill("no {a.gone} here").unwrap(), "no <a.gone> here");
        assert!(fill("{a.cur|shout}").unwrap_err().message.contains("shout"));
        assert!(fill("open {a.cur").unwrap_err().message.contains("without its"));
        assert!(check("{}", "t").is_err());
        assert_eq!(fill("émoji 📦 {a.cur} ✓").unwrap(), "émoji 📦 eur ✓");
    }
}
