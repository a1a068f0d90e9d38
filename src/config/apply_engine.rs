//! Checks and applies the keys the engine tunes itself with: `models.max_tokens` per tier,
//! `[cache]`, `[context]` and `[routing]`. Same contract as `apply.rs`: a failure is the
//! key path of the bad value plus a message, and nothing is applied past it.

use super::apply::{Failure, key};
use super::locate::KeyPath;
use super::raw::{RawCache, RawConfig, RawContext, RawMaxTokens, RawRouting, RawRule, RawTier};
use super::{CacheTtl, Config, ContextStrategy, RouteRule, Tier};

pub(crate) fn apply(raw: &RawConfig, config: &mut Config) -> Result<(), Failure> {
    if let Some(max_tokens) = &raw.models.max_tokens {
        apply_max_tokens(max_tokens, config)?;
    }
    apply_cache(&raw.cache, config)?;
    apply_context(&raw.context, config)?;
    apply_routing(&raw.routing, config)
}

fn apply_max_tokens(raw: &RawMaxTokens, config: &mut Config) -> Result<(), Failure> {
    let path = key("models", "max_tokens");
    let budgets = &mut config.models.max_tokens;
    match *raw {
        RawMaxTokens::All(n) => {
            let n = token_count(n).map_err(|m| (path, m))?;
            *budgets = super::PerTier::all(n);
        }
        RawMaxTokens::PerTier {
            fast,
            balanced,
            max,
        } => {
            let per_tier = [
                (Tier::Fast, fast),
                (Tier::Balanced, balanced),
                (Tier::Max, max),
            ];
            for (tier, n) in per_tier {
                if let Some(n) = n {
                    let n = token_count(n).map_err(|m| (path.clone().key(tier.as_str()), m))?;
                    *budgets.get_mut(tier) = n;
                }
            }
        }
    }
    Ok(())
}

/// A token budget: a whole number from 1 to `u32::MAX`.
fn token_count(n: i64) -> Result<u32, String> {
    if n < 1 {
        return Err(format!("must be at least 1, got {n}"));
    }
    u32::try_from(n).map_err(|_| format!("must be at most {}, got {n}", u32::MAX))
}

fn apply_cache(raw: &RawCache, config: &mut Config) -> Result<(), Failure> {
    if let Some(enabled) = raw.enabled {
        config.cache.enabled = enabled;
    }
    if let Some(ttl) = &raw.ttl {
        config.cache.ttl = match ttl.trim() {
            "5m" => CacheTtl::FiveMinutes,
            "1h" => CacheTtl::OneHour,
            other => {
                let message = format!("must be \"5m\" or \"1h\", got {other:?}");
                return Err((key("cache", "ttl"), message));
            }
        };
    }
    Ok(())
}

fn apply_context(raw: &RawContext, config: &mut Config) -> Result<(), Failure> {
    let context = &mut config.context;
    if let Some(fraction) = raw.max_fraction {
        let f = fraction.0;
        if !(f.is_finite() && f > 0.0 && f <= 1.0) {
            let message = format!("must be a number greater than 0 and at most 1, got {f}");
            return Err((key("context", "max_fraction"), message));
        }
        context.max_fraction = f;
    }
    if let Some(strategy) = &raw.strategy {
        context.strategy = match strategy.trim().to_ascii_lowercase().as_str() {
            "summarise" | "summarize" => ContextStrategy::Summarise,
            "truncate" => ContextStrategy::Truncate,
            _ => {
                let message = format!("must be \"summarise\" or \"truncate\", got {strategy:?}");
                return Err((key("context", "strategy"), message));
            }
        };
    }
    if let Some(keep) = raw.keep_turns {
        context.keep_turns = match usize::try_from(keep) {
            Ok(n) if n >= 1 => n,
            _ => {
                let message = format!("must be at least 1, got {keep}");
                return Err((key("context", "keep_turns"), message));
            }
        };
    }
    Ok(())
}

fn apply_routing(raw: &RawRouting, config: &mut Config) -> Result<(), Failure> {
    if let Some(RawTier(tier)) = raw.default {
        config.routing.default = tier;
    }
    if let Some(rules) = &raw.rule {
        let path = key("routing", "rule");
        config.routing.rules = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| check_rule(rule, i, path.clone().index(i)))
            .collect::<Result<_, _>>()?;
    }
    Ok(())
}

fn check_rule(raw: &RawRule, i: usize, path: KeyPath) -> Result<RouteRule, Failure> {
    let at = |name: &str| path.clone().key(name);
    let Some(RawTier(tier)) = raw.tier else {
        let message = "every rule needs a tier (fast, balanced or max)".into();
        return Err((path, message));
    };
    let name = match raw.name.as_deref().map(str::trim) {
        Some("") => return Err((at("name"), "must not be empty".into())),
        Some(n) => n.to_owned(),
        None => format!("rule {}", i + 1),
    };
    let commands = match &raw.command {
        Some(list) => lowercase_list(&list.items, |c| c.trim_start_matches('/')).map_err(
            |(j, m)| match list.list {
                true => (at("command").index(j), m),
                false => (at("command"), m),
            },
        )?,
        None => Vec::new(),
    };
    let keywords = match &raw.keywords {
        Some(list) => lowercase_list(list, |k| k).map_err(|(j, m)| (at("keywords").index(j), m))?,
        None => Vec::new(),
    };
    let chars = |name: &str, n: Option<i64>| match n {
        None => Ok(None),
        Some(n) => usize::try_from(n)
            .map(Some)
            .map_err(|_| (at(name), format!("must be 0 or more, got {n}"))),
    };
    let min_chars = chars("min_chars", raw.min_chars)?;
    let max_chars = chars("max_chars", raw.max_chars)?;
    if let (Some(min), Some(max)) = (min_chars, max_chars)
        && min > max
    {
        let message = format!("must not be below min_chars ({min}), got {max}");
        return Err((at("max_chars"), message));
    }
    let max_tokens = match raw.max_tokens {
        Some(n) => Some(token_count(n).map_err(|m| (at("max_tokens"), m))?),
        None => None,
    };
    Ok(RouteRule {
        name,
        commands,
        min_chars,
        max_chars,
        code: raw.code,
        keywords,
        tier,
        max_tokens,
    })
}

/// Trimmed, lowercased, non-empty entries; `Err` carries the index of an empty one.
fn lowercase_list(
    list: &[String],
    strip: impl Fn(&str) -> &str,
) -> Result<Vec<String>, (usize, String)> {
    list.iter()
        .enumerate()
        .map(|(j, item)| {
            let item = strip(item.trim()).trim();
            if item.is_empty() {
                Err((j, "must not be empty".to_owned()))
            } else {
                Ok(item.to_lowercase())
            }
        })
        .collect()
}
