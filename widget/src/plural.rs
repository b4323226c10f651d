//! CLDR cardinal plural rules for the languages the widget speaks (en, ru, uk).
//!
//! Written out here rather than taken from a crate: `intl_pluralrules` and ICU4X
//! carry the rules of every locale, which costs the wasm far more than these few
//! lines (see the README's build section). The rules are CLDR's
//! (<https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html>),
//! in its operands: `i` the integer digits, `v` the number of visible fraction digits.

/// A CLDR plural category (`zero` and `two` do not occur in en, ru or uk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    One,
    Few,
    Many,
    Other,
}

/// The word forms of one phrase by category. English uses `one` and `other`;
/// Russian and Ukrainian all four (`other` is for fractions: "1,5 балла").
#[derive(Debug, Clone, Copy)]
pub struct Forms {
    pub one: &'static str,
    pub few: &'static str,
    pub many: &'static str,
    pub other: &'static str,
}

impl Forms {
    /// Forms for a language with only `one` and `other` (English).
    pub const fn one_other(one: &'static str, other: &'static str) -> Forms {
        Forms {
            one,
            few: other,
            many: other,
            other,
        }
    }

    pub fn pick(&self, category: Category) -> &'static str {
        match category {
            Category::One => self.one,
            Category::Few => self.few,
            Category::Many => self.many,
            Category::Other => self.other,
        }
    }
}

/// The category of a whole number in `language` ("en", "ru" or "uk"; others as en).
pub fn category(language: &str, n: u64) -> Category {
    category_of(language, n, 0)
}

/// The category of a decimal number given as its text ("1.5", "21", "2.00").
/// Text that is not a plain decimal number falls to `Other`.
pub fn category_of_text(language: &str, number: &str) -> Category {
    let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
    match integer.parse::<u64>() {
        Ok(i) if fraction.chars().all(|c| c.is_ascii_digit()) => {
            category_of(language, i, fraction.len())
        }
        _ => Category::Other,
    }
}

/// CLDR's rules on the operands `i` (integer digits) and `v` (visible fraction digits).
fn category_of(language: &str, i: u64, v: usize) -> Category {
    match language {
        // ru and uk share their cardinal rules.
        "ru" | "uk" => {
            if v != 0 {
                return Category::Other;
            }
            let (i10, i100) = (i % 10, i % 100);
            if i10 == 1 && i100 != 11 {
                Category::One
            } else if (2..=4).contains(&i10) && !(12..=14).contains(&i100) {
                Category::Few
            } else {
                // i % 10 = 0, or 5..9, or i % 100 = 11..14
                Category::Many
            }
        }
        _ => {
            if i == 1 && v == 0 {
                Category::One
            } else {
                Category::Other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    #[test]
    fn english_has_one_and_other() {
        for (n, c) in [
            ("0", Other),
            ("1", One),
            ("2", Other),
            ("5", Other),
            ("11", Other),
            ("21", Other),
            ("101", Other),
            ("1.5", Other),
            ("1.0", Other),
        ] {
            assert_eq!(category_of_text("en", n), c, "en {n}");
        }
    }

    #[test]
    fn russian_and_ukrainian_have_one_few_many_other() {
        let cases = [
            ("0", Many),
            ("1", One),
            ("2", Few),
            ("3", Few),
            ("4", Few),
            ("5", Many),
            ("11", Many),
            ("12", Many),
            ("14", Many),
            ("21", One),
            ("22", Few),
            ("25", Many),
            ("101", One),
            ("111", Many),
            ("1.5", Other),
        ];
        for language in ["ru", "uk"] {
            for (n, c) in cases {
                assert_eq!(category_of_text(language, n), c, "{language} {n}");
            }
        }
    }

    #[test]
    fn whole_numbers_and_their_text_agree() {
        for n in 0..250u64 {
            for language in ["en", "ru", "uk"] {
                assert_eq!(
                    category(language, n),
                    category_of_text(language, &n.to_string())
                );
            }
        }
        assert_eq!(category_of_text("ru", "x"), Other);
    }

    #[test]
    fn forms_are_picked_by_category() {
        let points = Forms {
            one: "балл",
            few: "балла",
            many: "баллов",
            other: "балла",
        };
        let word = |n| points.pick(category("ru", n));
        assert_eq!(
            [word(1), word(2), word(5), word(21)],
            ["балл", "балла", "баллов", "балл"]
        );
        let en = Forms::one_other("point", "points");
        assert_eq!(en.pick(category("en", 1)), "point");
        assert_eq!(en.pick(category("en", 0)), "points");
    }
}
