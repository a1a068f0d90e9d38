//! Checks each value a layer sets and writes it into the [`Config`] being built.
//!
//! Checking per layer, while the layer's text is at hand, is what lets an error point at
//! the file and line that set the bad value. Because every layer is checked before it is
//! applied and the base ([`Config::default`]) is valid, the finished [`Config`] is valid as
//! a whole. A failure is returned as the key path plus a message; `parse.rs` adds the place.

use std::path::Path;
use std::time::Duration;

use super::apply_engine;
use super::locate::KeyPath;
use super::raw::{
    RawApi, RawBudget, RawChat, RawConfig, RawModels, RawTier, RawTierChoice, RawUi, Seconds,
};
use super::{Config, Tier};

/// Retries beyond this only delay the error; backoff would already be near a minute.
pub(crate) const MAX_RETRIES: u32 = 10;

pub(crate) type Failure = (KeyPath, String);

/// Applies one layer read from `origin`, whose directory anchors relative theme paths.
pub(crate) fn apply(raw: &RawConfig, origin: &Path, config: &mut Config) -> Result<(), Failure> {
    apply_api(&raw.api, config)?;
    apply_models(&raw.models, config)?;
    apply_engine::apply(raw, config)?;
    apply_chat(&raw.chat, config);
    apply_ui(&raw.ui, origin, config)?;
    super::apply_tools::apply_tools(&raw.tools, origin, &mut config.tools)?;
    super::apply_mcp::apply_mcp(&raw.mcp, origin, &mut config.mcp)?;
    // Per entry, so a file that rebinds one action keeps the lower layers' other entries.
    for (action, keys) in &raw.keys {
        config.keys.insert(action.clone(), keys.clone());
    }
    apply_budget(&raw.budget, config)?;
    super::thinking::apply(
        &raw.thinking,
        raw.models.effort.as_ref(),
        raw.models.refusal_fallbacks.as_ref(),
        config,
    )?;
    // Per model, like keys: a file that prices one model keeps the other entries.
    for (model, raw_price) in &raw.pricing {
        if model.trim().is_empty() {
            return Err((key("pricing", model), "model id must not be empty".into()));
        }
        let price = raw_price
            .resolve()
            .map_err(|(name, m)| (KeyPath::keys(&["pricing", model, name]), m))?;
        config.pricing.insert(model.clone(), price);
    }
    Ok(())
}

fn apply_budget(raw: &RawBudget, config: &mut Config) -> Result<(), Failure> {
    if let Some(daily) = raw.daily_usd {
        if !daily.is_finite() || daily < 0.0 {
            let message = format!("must be an amount in USD >= 0, got {daily}");
            return Err((key("budget", "daily_usd"), message));
        }
        config.budget.daily_usd = Some(daily);
    }
    if let Some(factor) = raw.alert_factor {
        if !factor.is_finite() || factor < 1.0 {
            let message = format!("must be a number >= 1, got {factor}");
            return Err((key("budget", "alert_factor"), message));
        }
        config.budget.alert_factor = factor;
    }
    Ok(())
}

fn apply_api(raw: &RawApi, config: &mut Config) -> Result<(), Failure> {
    let api = &mut config.api;
    if let Some(url) = &raw.base_url {
        api.base_url = Some(check_base_url(url).map_err(|m| (key("api", "base_url"), m))?);
    }
    if let Some(retries) = raw.max_retries {
        if retries > MAX_RETRIES {
            let message = format!("must be at most {MAX_RETRIES}, got {retries}");
            return Err((key("api", "max_retries"), message));
        }
        api.max_retries = retries;
    }
    let timeouts = [
        (
            "connect_timeout_secs",
            raw.connect_timeout_secs,
            &mut api.connect_timeout,
        ),
        (
            "first_byte_timeout_secs",
            raw.first_byte_timeout_secs,
            &mut api.first_byte_timeout,
        ),
        (
            "idle_timeout_secs",
            raw.idle_timeout_secs,
            &mut api.idle_timeout,
        ),
    ];
    for (name, secs, slot) in timeouts {
        if let Some(secs) = secs {
            *slot = to_duration(secs).map_err(|m| (key("api", name), m))?;
        }
    }
    if let Some(betas) = &raw.betas {
        if let Some(i) = betas.iter().position(|b| b.trim().is_empty()) {
            return Err((key("api", "betas").index(i), "must not be empty".into()));
        }
        api.betas = betas.clone();
    }
    Ok(())
}

fn apply_models(raw: &RawModels, config: &mut Config) -> Result<(), Failure> {
    let models = &mut config.models;
    if let Some(RawTierChoice(tier)) = raw.tier {
        models.tier = tier;
    }
    let ids = [
        (Tier::Fast, &raw.fast),
        (Tier::Balanced, &raw.balanced),
        (Tier::Max, &raw.max),
    ];
    for (tier, id) in ids {
        if let Some(id) = id {
            if id.trim().is_empty() {
                let message = "model id must not be empty".into();
                return Err((key("models", tier.as_str()), message));
            }
            *models.model_for_mut(tier) = id.clone();
            // Set by a layer: discovery must not replace it.
            *models.pinned.get_mut(tier) = true;
        }
    }
    if let Some(discover) = raw.discover {
        models.discover = discover;
    }
    if let Some(fallback) = &raw.fallback {
        models.fallback = check_fallback(fallback)?;
    }
    Ok(())
}

fn apply_chat(raw: &RawChat, config: &mut Config) {
    if let Some(system) = &raw.system {
        // An empty prompt is how a file switches off a system prompt set by a lower layer;
        // sending it would make the API reject an empty text block.
        config.chat.system = (!system.trim().is_empty()).then(|| system.clone());
    }
    if let Some(auto_title) = raw.auto_title {
        config.chat.auto_title = auto_title;
    }
}

fn apply_ui(raw: &RawUi, origin: &Path, config: &mut Config) -> Result<(), Failure> {
    let ui = &mut config.ui;
    if let Some(theme) = &raw.theme {
        let theme = theme.trim();
        if theme.is_empty() {
            let message = "must not be empty (leave it out for the default theme)";
            return Err((key("ui", "theme"), message.into()));
        }
        ui.theme = Some(theme_path(theme, origin));
    }
    if let Some(mouse) = raw.mouse {
        ui.mouse = mouse;
    }
    if let Some(sidebar) = raw.sidebar {
        ui.sidebar = sidebar;
    }
    Ok(())
}

/// A theme written as a relative path means relative to the config file, not to wherever
/// chatterm happens to be started, and `~/` means the home directory. A value counts as a
/// path when it ends in `.toml` or contains a directory separator; anything else is a theme
/// name (`dark`) and stays as written.
fn theme_path(theme: &str, origin: &Path) -> String {
    let looks_like_path = theme.ends_with(".toml") || theme.contains(['/', '\\']);
    if !looks_like_path {
        return theme.to_owned();
    }
    if let Some(rest) = theme.strip_prefix("~/")
        && let Some(dirs) = directories::BaseDirs::new()
    {
        return dirs.home_dir().join(rest).to_string_lossy().into_owned();
    }
    let path = Path::new(theme);
    match origin.parent() {
        Some(dir) if path.is_relative() && !dir.as_os_str().is_empty() => {
            dir.join(path).to_string_lossy().into_owned()
        }
        _ => theme.to_owned(),
    }
}

fn check_fallback(fallback: &[RawTier]) -> Result<Vec<Tier>, Failure> {
    let path = key("models", "fallback");
    if fallback.is_empty() {
        return Err((path, "must name at least one tier".into()));
    }
    let mut tiers: Vec<Tier> = Vec::with_capacity(fallback.len());
    for (i, RawTier(tier)) in fallback.iter().enumerate() {
        if tiers.contains(tier) {
            return Err((path.index(i), format!("tier {tier} is listed twice")));
        }
        tiers.push(*tier);
    }
    Ok(tiers)
}

/// Accepts `http://` and `https://` URLs with a host part; drops trailing slashes so the
/// client can append `/v1/messages` without doubling them. Also used for
/// `ANTHROPIC_BASE_URL`.
pub(crate) fn check_base_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim();
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.trim_matches('/').is_empty() => {
            Ok(trimmed.trim_end_matches('/').to_owned())
        }
        Some(_) => Err(format!("{url:?} has no host")),
        None => Err(format!("{url:?} must start with http:// or https://")),
    }
}

/// The longest duration any config key accepts. Nothing chatterm waits for needs longer,
/// and a bound keeps every `Instant + duration` far from overflow (`1e19` seconds used to
/// panic when a request added it to the clock).
pub const MAX_CONFIG_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Seconds to a duration: positive, finite and at most [`MAX_CONFIG_DURATION`]
/// (`Duration::from_secs_f64` panics on overflow, so the checked form is used).
pub(crate) fn to_duration(Seconds(secs): Seconds) -> Result<Duration, String> {
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!(
            "must be a number of seconds greater than 0, got {secs}"
        ));
    }
    if secs > MAX_CONFIG_DURATION.as_secs_f64() {
        return Err(format!(
            "must be at most {} seconds (one day), got {secs}",
            MAX_CONFIG_DURATION.as_secs()
        ));
    }
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(format!("{secs} seconds rounds to 0")),
        Err(_) => Err(format!("{secs} seconds is too large")),
    }
}

pub(crate) fn key(table: &str, name: &str) -> KeyPath {
    KeyPath::keys(&[table, name])
}
