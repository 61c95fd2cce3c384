//! Numbers as the pages print them: one formatting call site for every SVG coordinate.

/// `x` with one decimal (`12.5`, `-0.3`): one formatting call site for every SVG coordinate.
#[inline(never)]
pub fn d1(x: f64) -> String {
    format!("{x:.1}")
}

/// `x` rounded to a whole number.
#[inline(never)]
pub fn d0(x: f64) -> String {
    format!("{x:.0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_one_decimal() {
        for (x, text) in [(12.34, "12.3"), (0.25, "0.2"), (-0.3, "-0.3"), (250.0, "250.0"), (-12.96, "-13.0")] {
            assert_eq!(d1(x), text);
        }
        assert_eq!(d0(359.6), "360");
    }
}
