//! (pending) Prices and usage to money.
