//! (Interface stub; pending.) Prices and usage to money.
use crate::api::Usage;

pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub cache_read: f64,
}

pub struct Pricing {}

impl Pricing {
    pub fn embedded() -> Pricing {
        Pricing {}
    }
    pub fn price(&self, _model: &str) -> Option<&ModelPrice> {
        None
    }
}

pub fn cost_usd(_price: &ModelPrice, _usage: &Usage) -> f64 {
    0.0
}

pub fn format_usd(amount: f64) -> String {
    format!("${amount:.4}")
}
