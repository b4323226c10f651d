//! Minifies the widget's stylesheet into OUT_DIR: its comments (the theming
//! notes, the contrast figures) are for people reading widget.css, not for every
//! visitor's download.

use std::{env, fs, path::Path};

fn main() {
    let css = fs::read_to_string("src/widget.css").expect("src/widget.css");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("widget.min.css");
    fs::write(out, minify(&css)).unwrap();
    println!("cargo::rerun-if-changed=src/widget.css");
}

/// Drops comments and collapses whitespace, keeping one space wherever one
/// could matter (before `:`, which may start a pseudo-class of a descendant;
/// inside strings, which hold single spaces only; never after `:`), and the
/// `;` before a `}`.
fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    let mut tight = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space
            && !tight.is_empty()
            && !matches!(c, '{' | '}' | ';' | ',' | '>')
            && !tight.ends_with(['{', '}', ';', ',', '>', ':'])
        {
            tight.push(' ');
        }
        space = false;
        if c == '}' && tight.ends_with(';') {
            tight.pop();
        }
        tight.push(c);
    }
    tight
}
