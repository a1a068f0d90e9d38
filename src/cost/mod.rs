//! (Interface stub; pending.) Prices and usage to money.
