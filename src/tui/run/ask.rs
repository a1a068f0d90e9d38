//! A yes/no question answered with one key, asked on the terminal before the full screen
//! starts (the temporary-store question). Raw mode is on only while the key is read, so
//! the answer needs no Enter and is not echoed twice; it is always turned off again.

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;

/// Writes `question` and `[y/N]` on stderr and reads one key: y or Y is yes; n, Enter, Esc,
/// Ctrl+C and anything else is no. No terminal (raw mode fails) is no.
pub fn yes_no(question: &str) -> bool {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    if terminal::enable_raw_mode().is_err() {
        let _ = writeln!(err);
        return false;
    }
    let yes = loop {
        match event::read() {
            Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => {
                break is_yes(key.code, key.modifiers);
            }
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    let _ = terminal::disable_raw_mode();
    let _ = writeln!(err, "{}", if yes { "y" } else { "n" });
    yes
}

fn is_yes(code: KeyCode, modifiers: KeyModifiers) -> bool {
    matches!(code, KeyCode::Char('y' | 'Y')) && !modifiers.contains(KeyModifiers::CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_is_yes() {
        assert!(is_yes(KeyCode::Char('y'), KeyModifiers::NONE));
        assert!(is_yes(KeyCode::Char('Y'), KeyModifiers::SHIFT));
        assert!(!is_yes(KeyCode::Char('y'), KeyModifiers::CONTROL));
        for code in [
            KeyCode::Char('n'),
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Char('x'),
        ] {
            assert!(!is_yes(code, KeyModifiers::NONE), "{code:?}");
        }
    }
}
