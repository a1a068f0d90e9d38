//! The price table: model id to [`ModelPrice`], in USD per million tokens.
//!
//! The table is data, not code, because the model lineup moves faster than releases: the
//! embedded `assets/pricing.toml` is the base and entries can be replaced one model at a
//! time ([`Pricing::with_override`]). Lookup tries the exact id, then the id without a
//! trailing `-YYYYMMDD` date, so `claude-haiku-4-5-20251001` finds `claude-haiku-4-5`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The embedded table; see the header of the file for sources and confidence.
pub const PRICING_TOML: &str = include_str!("../../assets/pricing.toml");

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub cache_read: f64,
}

impl ModelPrice {
    /// Prices following the standard cache multipliers: 5 min write 1.25x, 1 h write 2x,
    /// read 0.1x of input.
    pub fn standard(input: f64, output: f64) -> ModelPrice {
        ModelPrice {
            input,
            output,
            cache_write_5m: input * 1.25,
            cache_write_1h: input * 2.0,
            cache_read: input * 0.1,
        }
    }
}

/// A table entry as written, in `assets/pricing.toml` and in the config's
/// `[pricing."MODEL-ID"]` tables: cache prices may be left to the standard multipliers.
/// Unknown keys are errors, unlike elsewhere in the config: a misspelt `cache_reed` would
/// otherwise fall back to a derived price without a word, and money should not be guessed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrice {
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: Option<f64>,
    pub cache_write_1h: Option<f64>,
    pub cache_read: Option<f64>,
}

impl RawPrice {
    /// Fills in derived cache prices and checks every price is a finite number >= 0. The
    /// error names the key at fault and says why.
    pub(crate) fn resolve(&self) -> Result<ModelPrice, (&'static str, String)> {
        let standard = ModelPrice::standard(self.input, self.output);
        let price = ModelPrice {
            cache_write_5m: self.cache_write_5m.unwrap_or(standard.cache_write_5m),
            cache_write_1h: self.cache_write_1h.unwrap_or(standard.cache_write_1h),
            cache_read: self.cache_read.unwrap_or(standard.cache_read),
            ..standard
        };
        let fields = [
            ("input", price.input),
            ("output", price.output),
            ("cache_write_5m", price.cache_write_5m),
            ("cache_write_1h", price.cache_write_1h),
            ("cache_read", price.cache_read),
        ];
        match fields.iter().find(|(_, v)| !v.is_finite() || *v < 0.0) {
            Some((key, v)) => Err((key, format!("price must be a number >= 0, got {v}"))),
            None => Ok(price),
        }
    }
}

/// The whole file. Unknown keys are errors here, unlike in the config: a misspelt price
/// key would silently fall back to a derived price, and money should not be guessed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    models: BTreeMap<String, RawPrice>,
    /// The Message Batches discount, a share of every price (0.5 = half price).
    #[serde(default)]
    batch_discount: Option<f64>,
    #[serde(default)]
    server_tools: RawServerTools,
}

/// `[server_tools]`: per-use fees of the API's own tools.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServerTools {
    web_search_per_1000: Option<f64>,
}

/// Prices by model id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pricing {
    models: BTreeMap<String, ModelPrice>,
    /// See [`Pricing::batch_multiplier`]; `None` when the table does not say.
    batch_discount: Option<f64>,
    /// USD per web search; `None` when the table does not confirm one.
    web_search_usd: Option<f64>,
}

impl Pricing {
    /// The embedded table. A parse failure is a bug caught by the tests; at run time it
    /// degrades to an empty table (every model "price unknown") rather than a crash.
    pub fn embedded() -> Pricing {
        Pricing::from_toml_str(PRICING_TOML).unwrap_or_default()
    }

    /// Parses a table in the `assets/pricing.toml` format. The error is one line naming
    /// the line and column, or the model and key, at fault.
    pub fn from_toml_str(s: &str) -> Result<Pricing, String> {
        let raw: RawTable = toml::from_str(s).map_err(|e| {
            let place = e.span().map(|span| line_col(s, span.start));
            let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            match place {
                Some((line, col)) => format!("line {line}, column {col}: {message}"),
                None => message,
            }
        })?;
        let mut models = BTreeMap::new();
        for (id, raw) in raw.models {
            let price = raw
                .resolve()
                .map_err(|(key, e)| format!("models.{id}.{key}: {e}"))?;
            models.insert(id, price);
        }
        if let Some(d) = raw.batch_discount
            && !(0.0..=1.0).contains(&d)
        {
            return Err(format!("batch_discount: must be between 0 and 1, got {d}"));
        }
        let web_search_usd = match raw.server_tools.web_search_per_1000 {
            Some(p) if !p.is_finite() || p < 0.0 => {
                return Err(format!(
                    "server_tools.web_search_per_1000: price must be a number >= 0, got {p}"
                ));
            }
            p => p.map(|p| p / 1000.0),
        };
        Ok(Pricing {
            models,
            batch_discount: raw.batch_discount,
            web_search_usd,
        })
    }

    /// Sets (or replaces) the price of `model`.
    pub fn with_override(&mut self, model: &str, price: ModelPrice) {
        self.models.insert(model.to_owned(), price);
    }

    /// This table with the config's `[pricing."MODEL-ID"]` entries laid over it, each
    /// replacing (or adding) one model.
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = (&'a String, &'a ModelPrice)>,
    ) -> Pricing {
        for (model, price) in overrides {
            self.with_override(model, *price);
        }
        self
    }

    /// What a request sent through the Message Batches API pays per dollar of the
    /// standard price (0.5 for the API's 50% discount); `None` when the table declares no
    /// discount, so a batch's cost is unknown rather than guessed.
    pub fn batch_multiplier(&self) -> Option<f64> {
        self.batch_discount.map(|d| 1.0 - d)
    }

    /// The cost of `usage` on `model`; `None` when the model has no price.
    /// Web searches are added at their per-search fee when the table has one (see
    /// [`Pricing::search_cost`]).
    pub fn cost(&self, model: &str, usage: &crate::api::Usage) -> Option<f64> {
        let searches = self.search_cost(usage).unwrap_or(0.0);
        self.price(model)
            .map(|p| super::cost_usd(p, usage) + searches)
    }

    /// The fee of the web searches `usage` reports: `Some(0.0)` without searches, `None`
    /// when there were some and their price is unknown.
    pub fn search_cost(&self, usage: &crate::api::Usage) -> Option<f64> {
        let n = crate::api::server_tools::counts(usage).web_search_requests;
        if n == 0 {
            return Some(0.0);
        }
        self.web_search_usd.map(|p| p * n as f64)
    }

    /// USD per web search, when confirmed.
    pub fn web_search_usd(&self) -> Option<f64> {
        self.web_search_usd
    }

    /// Exact id first, then a dated id like "claude-haiku-4-5-20251001" matches
    /// "claude-haiku-4-5" (strip a trailing -YYYYMMDD).
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.models
            .get(model)
            .or_else(|| self.models.get(strip_date(model)?))
    }

    /// The model ids with a price, in sorted order.
    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

/// `model` without a trailing `-YYYYMMDD`, if it has one.
fn strip_date(model: &str) -> Option<&str> {
    let (base, date) = model.rsplit_once('-')?;
    let is_date = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    (is_date && !base.is_empty()).then_some(base)
}

/// 1-based line and character column of byte `offset` in `s`.
fn line_col(s: &str, offset: usize) -> (usize, usize) {
    let before = s.get(..offset).unwrap_or(s);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> Pricing {
        let parsed = Pricing::from_toml_str(PRICING_TOML);
        assert!(parsed.is_ok(), "embedded pricing.toml: {parsed:?}");
        parsed.unwrap_or_default()
    }

    #[test]
    fn the_batch_discount_is_half_and_only_what_the_table_says() {
        assert_eq!(embedded().batch_multiplier(), Some(0.5));
        let without = Pricing::from_toml_str("[models.m]\ninput = 1.0\noutput = 2.0\n").unwrap();
        assert_eq!(without.batch_multiplier(), None);
        let quarter = Pricing::from_toml_str("batch_discount = 0.25\n").unwrap();
        assert_eq!(quarter.batch_multiplier(), Some(0.75));
        let err = Pricing::from_toml_str("batch_discount = 1.5\n").unwrap_err();
        assert!(err.contains("batch_discount"), "{err}");
    }

    #[test]
    fn embedded_table_parses_and_has_the_confirmed_models() {
        let table = embedded();
        assert_eq!(Pricing::embedded(), table);
        let confirmed = [
            "claude-opus-5-5",
            "claude-fable-5-1",
            "claude-mythos-5-1",
            "claude-fable-5",
            "claude-mythos-5",
            "claude-opus-5",
            "claude-opus-4-8",
            "claude-opus-4-7",
            "claude-opus-4-6",
            "claude-sonnet-4-6",
            "claude-haiku-4-5",
            "claude-opus-4-5",
            "claude-sonnet-4-5",
            "claude-opus-4-1-20250805",
            "claude-sonnet-4-20250514",
            "claude-3-7-sonnet-20250219",
            "claude-3-5-haiku-20241022",
        ];
        for id in confirmed {
            assert!(table.price(id).is_some(), "{id} missing");
        }
        // Conflicting or unconfirmed prices must not be guessed.
        // Haiku 3: only input/output are confirmed, not its cache prices.
        let unconfirmed = [
            "claude-sonnet-5",
            "claude-sonnet-5-5",
            "claude-haiku-5-5",
            "claude-3-haiku-20240307",
        ];
        for id in unconfirmed {
            assert_eq!(table.price(id), None, "{id} must have no price");
        }
    }

    #[test]
    fn embedded_prices_match_the_reference() {
        let table = embedded();
        let cases = [
            ("claude-opus-5-5", (4.0, 20.0, 5.0, 8.0, 0.20)),
            ("claude-fable-5-1", (10.0, 50.0, 12.5, 20.0, 0.25)),
            ("claude-fable-5", (10.0, 50.0, 12.5, 20.0, 1.0)),
            ("claude-opus-5", (5.0, 25.0, 6.25, 10.0, 0.50)),
            ("claude-sonnet-4-6", (3.0, 15.0, 3.75, 6.0, 0.30)),
            ("claude-haiku-4-5", (1.0, 5.0, 1.25, 2.0, 0.10)),
            ("claude-opus-4-1-20250805", (15.0, 75.0, 18.75, 30.0, 1.50)),
            ("claude-3-5-haiku-20241022", (0.80, 4.0, 1.0, 1.60, 0.08)),
        ];
        for (id, (input, output, w5, w1, read)) in cases {
            let expected = ModelPrice {
                input,
                output,
                cache_write_5m: w5,
                cache_write_1h: w1,
                cache_read: read,
            };
            assert_eq!(table.price(id), Some(&expected), "{id}");
        }
    }

    #[test]
    fn searches_are_priced_per_search_when_the_table_confirms_it() {
        let table = embedded();
        assert_eq!(table.web_search_usd(), Some(0.01));
        let usage: crate::api::Usage = serde_json::from_value(serde_json::json!({
            "input_tokens": 0, "output_tokens": 0,
            "server_tool_use": {"web_search_requests": 3}
        }))
        .unwrap();
        let cost = table.cost("claude-haiku-4-5", &usage).unwrap();
        assert!((cost - 0.03).abs() < 1e-12, "{cost}");
        let unknown = Pricing::from_toml_str("[models.m]\ninput = 1.0\noutput = 1.0\n").unwrap();
        assert_eq!(unknown.search_cost(&usage), None);
        assert_eq!(unknown.cost("m", &usage), Some(0.0));
        let bad = Pricing::from_toml_str("[server_tools]\nweb_search_per_1000 = -1.0\n");
        assert!(bad.unwrap_err().contains("web_search_per_1000"));
    }

    #[test]
    fn lookup_exact_then_undated() {
        let mut table = Pricing::default();
        table.with_override("claude-haiku-4-5", ModelPrice::standard(1.0, 5.0));
        table.with_override("claude-haiku-4-5-20991231", ModelPrice::standard(2.0, 9.0));
        let input = |id: &str| table.price(id).map(|p| p.input);
        assert_eq!(input("claude-haiku-4-5"), Some(1.0));
        assert_eq!(input("claude-haiku-4-5-20251001"), Some(1.0));
        // An exact entry beats the undated one.
        assert_eq!(input("claude-haiku-4-5-20991231"), Some(2.0));
        // Only an 8-digit date suffix is stripped.
        assert_eq!(input("claude-haiku-4-5-2025100"), None);
        assert_eq!(input("claude-haiku-4-5-latest"), None);
        assert_eq!(input("20251001"), None);
        assert_eq!(input("unknown-model"), None);
    }

    #[test]
    fn override_replaces_one_model() {
        let mut table = embedded();
        let before = table.len();
        table.with_override("claude-opus-5", ModelPrice::standard(1.0, 2.0));
        table.with_override("my-local-model", ModelPrice::standard(0.0, 0.0));
        assert_eq!(
            table.price("claude-opus-5").map(|p| p.cache_read),
            Some(0.1)
        );
        assert_eq!(table.price("claude-opus-4-8").map(|p| p.input), Some(5.0));
        assert_eq!(table.len(), before + 1);
    }

    #[test]
    fn omitted_cache_prices_follow_the_multipliers() {
        // Whole numbers are fine too: users write `input = 2`.
        let table = Pricing::from_toml_str("[models.m]\ninput = 2\noutput = 8.0\n");
        let price = table.map(|t| t.price("m").copied());
        let expected = ModelPrice {
            input: 2.0,
            output: 8.0,
            cache_write_5m: 2.5,
            cache_write_1h: 4.0,
            cache_read: 0.2,
        };
        assert_eq!(price, Ok(Some(expected)));
    }

    #[test]
    fn bad_tables_are_errors_not_panics() {
        let cases = [
            (
                "[models.m]\ninput = 1.0\n",
                "line 1, column 1: missing field `output`",
            ),
            (
                "[models.m]\ninput = 1.0\noutput = 2.0\ncache_reed = 1.0\n",
                "line 4, column 1: unknown field `cache_reed`",
            ),
            (
                "[models.m]\ninput = -1.0\noutput = 2.0\n",
                "models.m.input: price must be a number >= 0, got -1",
            ),
            (
                "[models.m]\ninput = nan\noutput = 2.0\n",
                "models.m.input: price must be a number >= 0, got NaN",
            ),
            ("[models.m\n", "line 1, column 10"),
        ];
        for (text, expected) in cases {
            let err = Pricing::from_toml_str(text).map(|_| ());
            let Err(message) = err else {
                panic!("{text:?} parsed");
            };
            assert!(message.starts_with(expected), "{text:?}: {message:?}");
        }
    }
}
