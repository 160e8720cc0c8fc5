//! Writes the product load form.
