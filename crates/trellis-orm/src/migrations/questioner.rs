//! The questioner (Django's `questioner.py`): what `makemigrations` asks when it cannot
//! decide alone. Today: whether a removed and an added field (or model) with the same
//! definition are a rename.
//!
//! Unlike Django, the non-interactive questioner never guesses "not a rename" (which
//! would drop the column and its data): it refuses, and the error says how to state the
//! answer explicitly (`--rename`, see [`Rename`](crate::migrations::Rename)).

use std::io::{BufRead, Write};

use crate::error::{Error, Result};

/// Answers the autodetector's questions.
pub trait Questioner {
    /// Was field `model.old` renamed to `model.new`? (`model` is `app.Model`.)
    fn ask_rename_field(&self, model: &str, old: &str, new: &str) -> Result<bool>;
    /// Was model `old` renamed to `new`? (Both `app.Model`.)
    fn ask_rename_model(&self, old: &str, new: &str) -> Result<bool>;
}

/// Asks on stdin/stdout (`Was blog.Post.title renamed to blog.Post.headline? [y/N]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct InteractiveQuestioner;

fn ask(question: &str) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    write!(out, "{question} [y/N] ")
        .and_then(|_| out.flush())
        .ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Migration(format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

impl Questioner for InteractiveQuestioner {
    fn ask_rename_field(&self, model: &str, old: &str, new: &str) -> Result<bool> {
        ask(&format!("Was {model}.{old} renamed to {model}.{new}?"))
    }

    fn ask_rename_model(&self, old: &str, new: &str) -> Result<bool> {
        ask(&format!("Was the model {old} renamed to {new}?"))
    }
}

/// For `--noinput`: refuses probable renames with an error telling how to state them.
#[derive(Debug, Clone, Copy, Default)]
pub struct NonInteractiveQuestioner;

impl Questioner for NonInteractiveQuestioner {
    fn ask_rename_field(&self, model: &str, old: &str, new: &str) -> Result<bool> {
        Err(Error::Migration(format!(
            "{model}.{old} was removed and {model}.{new} added with the same definition: \
             probably a rename. Not guessing without input (removing the column would lose its \
             data). Say which: run makemigrations interactively, or pass \
             `--rename {model}.{old}={new}` (a rename), or `--no-rename {model}.{old}={new}` \
             (really remove {old} and add {new})"
        )))
    }

    fn ask_rename_model(&self, old: &str, new: &str) -> Result<bool> {
        let new_name = new.rsplit('.').next().unwrap_or(new);
        Err(Error::Migration(format!(
            "model {old} was removed and {new} added with the same fields: probably a rename. \
             Not guessing without input (dropping the table would lose its data). Say which: \
             run makemigrations interactively, or pass `--rename {old}={new_name}` (a rename), \
             or `--no-rename {old}={new_name}` (really delete {old} and create {new})"
        )))
    }
}
