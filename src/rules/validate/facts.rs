//! Fact conditions: the fact is declared, its operator fits its type, and record conditions'
//! `where` names fields the records have.

use serde_saphyr::Spanned;

use super::Validator;
use super::fact_type;
use crate::facts::registry::FactType;
use crate::rules::schema::Condition;
use crate::rules::{Cond, FactOp};
use crate::yaml::did_you_mean;

impl Validator<'_> {
    /// The type of a fact a rule names, `manager.` scope included; unknown names are reported.
    pub(super) fn fact_type_of(&mut self, name: &Spanned<String>) -> Option<FactType> {
        match fact_type(self.map.facts(), &name.value) {
            Some(ty) => Some(ty),
            None => {
                let hint = did_you_mean(
                    &name.value,
                    self.map.facts().iter().map(|f| f.name.as_str()),
                );
                self.error(
                    name,
                    "unknown-fact",
                    format!("unknown fact `{}`", name.value),
                    hint.or(Some("`fptriage facts --list` prints every fact; `manager.<fact>` reads a fact of the managing FMC".into())),
                );
                None
            }
        }
    }

    /// `any_record` / `all_records`: each `where` test is a fact operator on a declared field,
    /// checked against the field's type.
    pub(super) fn records(
        &mut self,
        at: &Spanned<crate::rules::schema::RecordCondition>,
        all: bool,
    ) -> Option<Cond> {
        let r = &at.value;
        self.captures
            .extend(["record".to_string(), "records".to_string()]);
        let Some(def) = self.map.facts().lookup(&r.fact.value).cloned() else {
            let hint = did_you_mean(
                &r.fact.value,
                self.map.facts().iter().map(|f| f.name.as_str()),
            );
            self.error(
                &r.fact,
                "unknown-fact",
                format!("unknown fact `{}`", r.fact.value),
                hint.or(Some("`fptriage facts --list` prints every fact".into())),
            );
            return None;
        };
        if def.ty != FactType::Records {
            self.error(
                &r.fact,
                "operator-type",
                format!(
                    "`any_record`/`all_records` need a records fact; `{}` is {}",
                    def.name, def.ty
                ),
                None,
            );
            return None;
        }
        let mut tests = Vec::new();
        let mut ok = true;
        for (field, test) in &r.where_ {
            let Some(decl) = def.field(field) else {
                let hint = did_you_mean(field, def.fields.iter().map(|f| f.name.as_str()));
                self.error(
                    test,
                    "unknown-field",
                    format!("`{}` has no field `{field}`", def.name),
                    hint,
                );
                ok = false;
                continue;
            };
            let t = &test.value;
            if t.fact.is_some()
                || t.all.is_some()
                || t.any.is_some()
                || t.not.is_some()
                || t.lines.is_some()
                || t.mixed_outcomes.is_some()
                || t.any_record.is_some()
                || t.all_records.is_some()
            {
                self.error(
                    test,
                    "condition-shape",
                    format!(
                        "a `where` test on `{field}` is one operator, such as `{{at_least: 95}}`"
                    ),
                    None,
                );
                ok = false;
                continue;
            }
            let label = Spanned::new(
                format!("{}.{field}", def.name),
                test.referenced,
                test.defined,
            );
            match self.operator(&test.value, &label, decl.ty) {
                Some(op) => tests.push((field.clone(), op)),
                None => ok = false,
            }
        }
        ok.then_some(Cond::Records {
            name: def.name.clone(),
            all,
            tests,
        })
    }

    pub(super) fn fact(&mut self, at: &Spanned<Condition>, name: &Spanned<String>) -> Option<Cond> {
        let ty = self.fact_type_of(name)?;
        let op = self.operator(&at.value, name, ty)?;
        Some(Cond::Fact {
            name: name.value.clone(),
            op,
        })
    }

    /// The one operator of a fact condition (or a `where` test), checked against the type of
    /// the fact (or field) `name` names.
    pub(super) fn operator(
        &mut self,
        c: &Condition,
        name: &Spanned<String>,
        ty: FactType,
    ) -> Option<FactOp> {
        let ops = [
            c.equals.is_some(),
            c.not_equals.is_some(),
            c.in_.is_some(),
            c.not_in.is_some(),
            c.matches.is_some(),
            c.version_below.is_some(),
            c.version_at_least.is_some(),
            c.version_above.is_some(),
            c.version_at_most.is_some(),
            c.less_than.is_some(),
            c.at_least.is_some(),
            c.exists.is_some(),
            c.empty.is_some(),
            c.contains.is_some(),
        ];
        if ops.iter().filter(|o| **o).count() != 1 {
            self.error(
                name,
                "operator-count",
                format!("fact `{}` needs exactly one operator", name.value),
                Some("equals, not_equals, in, not_in, matches, version_below, version_at_least, version_above, version_at_most, less_than, at_least, exists, empty, contains".into()),
            );
            return None;
        }
        let wrong = |v: &mut Self, op: &str, wants: &str| {
            v.error(
                name,
                "operator-type",
                format!("`{op}` needs a {wants} fact; `{}` is {:?}", name.value, ty).to_lowercase(),
                None,
            );
            None
        };
        let op = if let Some(v) = &c.equals {
            FactOp::Equals(v.value.clone())
        } else if let Some(v) = &c.not_equals {
            FactOp::NotEquals(v.value.clone())
        } else if let Some(v) = &c.in_ {
            FactOp::In(v.value.clone())
        } else if let Some(v) = &c.not_in {
            FactOp::NotIn(v.value.clone())
        } else if let Some(v) = &c.matches {
            if ty != FactType::Text {
                return wrong(self, "matches", "text");
            }
            match regex::Regex::new(&v.value) {
                Ok(re) => FactOp::Matches(re),
                Err(e) => {
                    self.regex_error(v, &e);
                    return None;
                }
            }
        } else if let Some(v) = c
            .version_below
            .as_ref()
            .or(c.version_at_least.as_ref())
            .or(c.version_above.as_ref())
            .or(c.version_at_most.as_ref())
        {
            if ty != FactType::Version {
                return wrong(
                    self,
                    "version_below/version_at_least/version_above/version_at_most",
                    "version",
                );
            }
            let parsed = self.version(v)?;
            if c.version_below.is_some() {
                FactOp::VersionBelow(parsed)
            } else if c.version_at_least.is_some() {
                FactOp::VersionAtLeast(parsed)
            } else if c.version_above.is_some() {
                FactOp::VersionAbove(parsed)
            } else {
                FactOp::VersionAtMost(parsed)
            }
        } else if let Some(v) = c.less_than.as_ref().or(c.at_least.as_ref()) {
            if ty != FactType::Int && ty != FactType::Duration {
                return wrong(self, "less_than/at_least", "number");
            }
            if c.less_than.is_some() {
                FactOp::LessThan(v.value)
            } else {
                FactOp::AtLeast(v.value)
            }
        } else if let Some(v) = &c.exists {
            FactOp::Exists(v.value)
        } else if let Some(v) = &c.empty {
            if ty != FactType::List {
                return wrong(self, "empty", "list");
            }
            FactOp::Empty(v.value)
        } else if let Some(v) = &c.contains {
            if ty != FactType::List && ty != FactType::Text {
                return wrong(self, "contains", "list or text");
            }
            FactOp::Contains(v.value.clone())
        } else {
            return None;
        };
        if let FactOp::Equals(v) | FactOp::NotEquals(v) = &op
            && !value_fits(ty, v)
        {
            let (key, at) = match (&c.equals, &c.not_equals) {
                (Some(at), _) => ("equals", at),
                (_, Some(at)) => ("not_equals", at),
                _ => return None,
            };
            let ty_name = format!("{ty:?}").to_lowercase();
            let hint = match (ty, v) {
                (FactType::Int, serde_json::Value::String(t))
                    if t.trim().parse::<f64>().is_ok() =>
                {
                    Some(format!("write `{key}: {}` without quotes", t.trim()))
                }
                (FactType::Bool, serde_json::Value::String(t))
                    if matches!(t.trim(), "true" | "false") =>
                {
                    Some(format!("write `{key}: {}` without quotes", t.trim()))
                }
                (FactType::Text | FactType::Version, serde_json::Value::Number(n)) => {
                    Some(format!("quote it: `{key}: \"{n}\"`"))
                }
                _ => None,
            };
            self.error(
                at,
                "operator-type",
                format!(
                    "`{key}: {}` is {}, but `{}` is {} {ty_name} fact",
                    v,
                    match json_kind(v) {
                        "text" => "text",
                        "number" => "a number",
                        "boolean" => "true or false",
                        _ => "a structure",
                    },
                    name.value,
                    if ty_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    }
                ),
                hint,
            );
            return None;
        }
        Some(op)
    }
}

pub(super) fn value_fits(ty: FactType, v: &serde_json::Value) -> bool {
    matches!(
        (ty, v),
        (FactType::Bool, serde_json::Value::Bool(_))
            | (
                FactType::Int | FactType::Duration,
                serde_json::Value::Number(_)
            )
            | (
                FactType::Text | FactType::Version,
                serde_json::Value::String(_)
            )
    )
}

pub(super) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "text",
        _ => "structured",
    }
}
