//! The one way to add usage up: `total += &usage`. Every sum over requests (session
//! totals, the usage report's rows, print mode's total, an extraction's spend) goes through
//! it, so a new token kind is summed everywhere or nowhere.
//!
//! Only counts add. The cache-write TTL split adds when a side has it (a side without it
//! counts its writes as 5 min, as `cost::write_split` does). What describes one request
//! rather than an amount (server tool use, service tier, unknown fields) stays as the left
//! side had it: a sum is not a response.

use std::ops::AddAssign;

use super::wire::{CacheCreation, Usage};

impl AddAssign<&Usage> for Usage {
    fn add_assign(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.cache_creation = match (self.cache_creation, other.cache_creation) {
            (None, None) => None,
            (a, b) => {
                let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
                Some(CacheCreation {
                    ephemeral_5m_input_tokens: a.ephemeral_5m_input_tokens
                        + b.ephemeral_5m_input_tokens,
                    ephemeral_1h_input_tokens: a.ephemeral_1h_input_tokens
                        + b.ephemeral_1h_input_tokens,
                })
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, write: u64, read: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: write,
            cache_read_input_tokens: read,
            ..Usage::default()
        }
    }

    #[test]
    fn counts_add_and_the_rest_stays() {
        let mut total = usage(1, 2, 3, 4);
        total.service_tier = Some("standard".into());
        total += &usage(10, 20, 30, 40);
        assert_eq!(
            (
                total.input_tokens,
                total.output_tokens,
                total.cache_creation_input_tokens,
                total.cache_read_input_tokens
            ),
            (11, 22, 33, 44)
        );
        assert_eq!(total.service_tier.as_deref(), Some("standard"));
        assert_eq!(total.cache_creation, None);
    }

    #[test]
    fn the_ttl_split_adds_when_either_side_has_it() {
        let mut total = usage(0, 0, 5, 0);
        let mut split = usage(0, 0, 7, 0);
        split.cache_creation = Some(CacheCreation {
            ephemeral_5m_input_tokens: 2,
            ephemeral_1h_input_tokens: 5,
        });
        total += &split;
        total += &split;
        assert_eq!(
            total.cache_creation,
            Some(CacheCreation {
                ephemeral_5m_input_tokens: 4,
                ephemeral_1h_input_tokens: 10,
            })
        );
        assert_eq!(total.cache_creation_input_tokens, 19);
    }
}
