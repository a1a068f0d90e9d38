//! Unit tests of the attachment kinds, headers, mentions and the fuzzy filter.

use super::*;

#[test]
fn sizes_and_counts_read_as_chips_show_them() {
    assert_eq!(human_size(900), "900 B");
    assert_eq!(human_size(412_000), "412 KB");
    assert_eq!(human_size(3_100_000), "3.1 MB");
    assert_eq!(grouped(1_600), "1,600");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(grouped(12), "12");
}
