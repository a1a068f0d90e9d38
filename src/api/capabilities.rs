//! What a model accepts of thinking and effort: from the catalog's capability tree when
//! `/v1/models` said (`capabilities.thinking.types.{enabled,adaptive}`,
//! `capabilities.effort.{low,..,max}`), else from a built-in table by model id.
//!
//! The table is the reference's §1.5/§7: adaptive thinking from the 4.6 generation on,
//! budgets up to Opus 4.6 / Sonnet 4.6 (removed on Opus 4.7 and later), effort from Opus
//! 4.5 and the 4.6 generation on. An id neither knows gets nothing: sending an unsupported
//! field is a 400, sending none is merely the model's default.

use super::catalog::Catalog;
use crate::config::Effort;

/// The thinking and effort a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// `thinking: {"type": "adaptive"}`.
    pub adaptive: bool,
    /// `thinking: {"type": "enabled", "budget_tokens": N}`.
    pub budget: bool,
    /// The effort levels accepted, by [`Effort::ALL`] order.
    pub effort: [bool; 5],
}

impl Capabilities {
    pub fn thinks(&self) -> bool {
        self.adaptive || self.budget
    }

    pub fn effort(&self, level: Effort) -> bool {
        self.effort[level as usize]
    }
}

/// The capabilities of `model`: the catalog's where it says, the built-in table otherwise.
pub fn of(catalog: &Catalog, model: &str) -> Capabilities {
    let builtin = builtin(model);
    let Some(entry) = catalog.get(model) else {
        return builtin;
    };
    let said = |path: &str, fallback: bool| entry.supports(path).unwrap_or(fallback);
    let mut effort = [false; 5];
    for level in Effort::ALL {
        let path = format!("effort.{}", level.as_str());
        effort[level as usize] = said(&path, builtin.effort(level));
    }
    Capabilities {
        adaptive: said("thinking.types.adaptive", builtin.adaptive),
        budget: said("thinking.types.enabled", builtin.budget),
        effort,
    }
}

/// The built-in table: by the id's line and version.
fn builtin(model: &str) -> Capabilities {
    let Some((line, major, minor)) = version(model) else {
        return Capabilities::default();
    };
    let v = (major, minor);
    let adaptive = v >= (4, 6);
    // Budgets came with 3.7 and went with Opus 4.7 and the 5 generation.
    let budget = ((3, 7)..(5, 0)).contains(&v) && !(line == "opus" && v >= (4, 7));
    let effort_from = if line == "opus" { (4, 5) } else { (4, 6) };
    let has_effort = v >= effort_from && line != "haiku";
    let mut effort = [has_effort; 5];
    // xhigh is an Opus level; max is not offered below the 4.6 generation.
    effort[Effort::XHigh as usize] = has_effort && line == "opus" && v >= (4, 7);
    effort[Effort::Max as usize] = has_effort && v >= (4, 6);
    Capabilities {
        adaptive,
        budget,
        effort,
    }
}

/// `claude-opus-4-7` → ("opus", 4, 7); `claude-sonnet-5` → ("sonnet", 5, 0);
/// `claude-3-7-sonnet-20250219` → ("sonnet", 3, 7).
fn version(model: &str) -> Option<(&'static str, u32, u32)> {
    let line = super::catalog::line_of(model)?;
    let numbers: Vec<u32> = model
        .split('-')
        .filter(|p| p.len() <= 2)
        .filter_map(|p| p.parse().ok())
        .collect();
    let major = *numbers.first()?;
    Some((line, major, numbers.get(1).copied().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::catalog::ModelEntry;
    use serde_json::json;

    #[test]
    fn the_builtin_table_follows_the_generations() {
        let c = Catalog::builtin();
        let opus5 = of(&c, "claude-opus-5");
        assert!(opus5.adaptive && !opus5.budget && opus5.effort(Effort::XHigh));
        let opus47 = of(&c, "claude-opus-4-7");
        assert!(opus47.adaptive && !opus47.budget);
        let sonnet46 = of(&c, "claude-sonnet-4-6");
        assert!(sonnet46.adaptive && sonnet46.budget && sonnet46.effort(Effort::Max));
        assert!(!sonnet46.effort(Effort::XHigh));
        let haiku = of(&c, "claude-haiku-4-5-20251001");
        assert!(!haiku.adaptive && haiku.budget && !haiku.effort(Effort::Low));
        let old = of(&c, "claude-3-7-sonnet-20250219");
        assert!(old.budget && !old.adaptive);
        assert_eq!(of(&c, "mystery-model"), Capabilities::default());
        assert!(!of(&c, "claude-3-5-haiku-20241022").thinks());
    }

    #[test]
    fn the_catalog_overrides_the_table() {
        let entry = ModelEntry {
            id: "claude-haiku-4-5".into(),
            display_name: "H".into(),
            created_at: None,
            max_input_tokens: None,
            max_output_tokens: None,
            line: Some("haiku".into()),
            lifecycle: None,
            capabilities: Some(json!({
                "thinking": {"types": {"adaptive": {"supported": true}, "enabled": {"supported": false}}},
                "effort": {"low": {"supported": true}},
            })),
        };
        let caps = of(&Catalog::from_entries(vec![entry]), "claude-haiku-4-5");
        assert!(caps.adaptive && !caps.budget && caps.effort(Effort::Low));
        // A level the listing leaves out falls back to the table's answer.
        assert!(!caps.effort(Effort::Max));
    }
}
