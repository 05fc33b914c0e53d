//! Exact numbers: the rationals every decision is made with.
//!
//! A threshold must never be decided by floating-point rounding: `4.1m` is
//! exactly `246s`, `0.47%` exactly `0.0047`, and `0.1 USD + 0.2 USD`
//! exactly `0.3 USD`. Literals, unit factors, samples (the decimal their
//! source wrote), window aggregates, derived values and bounds are all
//! [`Rational`]s: a reduced fraction of two `i128`s. Every operation is
//! checked; a result that does not fit is `None`, which the interpreter
//! turns into `unknown` ("too large to compute exactly"), never a rounded
//! answer. Only the drift statistics are floating point (as SciPy computes
//! them), and only their results, never a threshold's bound.
//!
//! `i128` holds 38 significant digits on either side of the fraction bar,
//! far beyond what a metric or a policy writes; sums and averages of
//! decimals keep a power-of-ten denominator, so they stay small.

use std::cmp::Ordering;
use std::fmt;

/// An exact rational number: `num / den`, reduced, `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i128,
    den: i128,
}

/// Whether `x` is within `i64` (and not `i64::MIN`, whose magnitude is not).
const fn fits_i64(x: i128) -> bool {
    x > i64::MIN as i128 && x <= i64::MAX as i128
}

const fn gcd(a: i128, b: i128) -> i128 {
    // Works on magnitudes; `i128::MIN` never reaches here (see `new`).
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    if a == 1 || b == 1 {
        return 1;
    }
    // 64-bit division is many times cheaper than 128-bit: use it as soon
    // as both fit.
    while b != 0 {
        if a <= u64::MAX as u128 && b <= u64::MAX as u128 {
            let (mut x, mut y) = (a as u64, b as u64);
            while y != 0 {
                let t = x % y;
                x = y;
                y = t;
            }
            return x as i128;
        }
        let t = a % b;
        a = b;
        b = t;
    }
    a as i128
}

#[allow(clippy::should_implement_trait)] // checked: they return `None` rather than overflow
impl Rational {
    /// Zero.
    pub const ZERO: Rational = Rational { num: 0, den: 1 };
    /// One.
    pub const ONE: Rational = Rational { num: 1, den: 1 };

    /// `num / den`, reduced; `None` when `den` is zero or a part does not
    /// fit.
    pub const fn new(num: i128, den: i128) -> Option<Rational> {
        if den == 0 || num == i128::MIN || den == i128::MIN {
            return None;
        }
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        if den == 1 {
            return Some(Rational { num, den });
        }
        let g = gcd(num, den);
        let g = if g == 0 { 1 } else { g };
        if fits_i64(num) && fits_i64(den) {
            // 64-bit division is many times cheaper than 128-bit (the
            // same quotients: `g` divides both).
            return Some(Rational { num: (num as i64 / g as i64) as i128, den: (den as i64 / g as i64) as i128 });
        }
        Some(Rational { num: num / g, den: den / g })
    }

    /// A whole number.
    pub const fn int(n: i64) -> Rational {
        Rational { num: n as i128, den: 1 }
    }

    /// The numerator (sign included).
    pub fn numer(self) -> i128 {
        self.num
    }

    /// The denominator (positive).
    pub fn denom(self) -> i128 {
        self.den
    }

    /// Parses a decimal as written in a policy or a metrics file: an
    /// optional sign, digits with optional `_` separators, an optional
    /// fraction and an optional exponent (`1.5e-3`). `None` when it is not
    /// a decimal or does not fit.
    pub fn parse_decimal(text: &str) -> Option<Rational> {
        if let Some(r) = Rational::parse_short_decimal(text.as_bytes()) {
            return Some(r);
        }
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut num: i128 = 0;
        let mut scale: i32 = 0; // the value is num * 10^scale
        let mut digits = 0;
        let mut in_fraction = false;
        while i < b.len() {
            match b[i] {
                d @ b'0'..=b'9' => {
                    digits += 1;
                    num = num.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
                    if in_fraction {
                        scale -= 1;
                    }
                }
                b'_' => {}
                b'.' if !in_fraction => in_fraction = true,
                b'e' | b'E' => break,
                _ => return None,
            }
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        if i < b.len() {
            // The exponent.
            let exp: i32 = text[i + 1..].parse().ok()?;
            scale = scale.checked_add(exp)?;
        }
        if neg {
            num = -num;
        }
        if num == 0 {
            return Some(Rational::ZERO);
        }
        if scale >= 0 {
            let f = 10i128.checked_pow(u32::try_from(scale).ok()?)?;
            Rational::new(num.checked_mul(f)?, 1)
        } else {
            // Strip trailing zeros first, so `1.000000…` stays in range.
            let mut s = -scale;
            while s > 0 && num % 10 == 0 {
                num /= 10;
                s -= 1;
            }
            let f = 10i128.checked_pow(u32::try_from(s).ok()?)?;
            Rational::new(num, f)
        }
    }

    /// The usual literal (`92`, `0.1`, `30`, `1_000`) in 64-bit arithmetic:
    /// unsigned digits with at most one `.`, no exponent, and at most 18
    /// digits, so that neither the value nor `10^k` can overflow. `None`
    /// sends every other text through the general parser (which gives the
    /// same value for these).
    fn parse_short_decimal(b: &[u8]) -> Option<Rational> {
        let mut num: u64 = 0;
        let mut digits = 0u32;
        let mut fraction: Option<u32> = None;
        for &c in b {
            match c {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > 18 {
                        return None;
                    }
                    num = num * 10 + u64::from(c - b'0');
                    if let Some(k) = fraction.as_mut() {
                        *k += 1;
                    }
                }
                b'_' => {}
                b'.' if fraction.is_none() => fraction = Some(0),
                _ => return None,
            }
        }
        if digits == 0 {
            return None;
        }
        let mut k = fraction.unwrap_or(0);
        while k > 0 && num % 10 == 0 {
            num /= 10;
            k -= 1;
        }
        let den = 10u64.pow(k);
        let (mut x, mut y) = (num, den);
        while y != 0 {
            (x, y) = (y, x % y);
        }
        let g = if x == 0 { 1 } else { x };
        Some(Rational { num: i128::from(num / g), den: i128::from(den / g) })
    }

    /// The decimal a floating-point sample stands for: the shortest decimal
    /// that reads back to the same `f64` (what Prometheus, Go and every
    /// JSON writer print, and what the source wrote whenever it wrote 15
    /// significant digits or fewer). `None` for NaN, infinities and numbers
    /// beyond the exact range.
    pub fn from_f64(x: f64) -> Option<Rational> {
        if !x.is_finite() {
            return None;
        }
        if x == x.trunc() && x.abs() < 1e18 {
            return Some(Rational { num: x as i128, den: 1 });
        }
        // The common case without formatting: the fewest fraction digits
        // `k` whose decimal `m / 10^k` (at most 15 significant digits, so
        // the only such decimal) reads back to `x`; division of two exactly
        // representable numbers is correctly rounded, which is exactly the
        // test a decimal parser's rounding applies.
        if x.abs() < 1e15 {
            let mut p = 1.0f64;
            for k in 1..=15u32 {
                p *= 10.0;
                let m = (x * p).round();
                // At most 15 significant digits: one decimal per float.
                if m.abs() < 1e15 && m / p == x {
                    return Rational::new(m as i128, 10i128.pow(k));
                }
            }
        }
        Rational::parse_decimal(&format!("{x:e}"))
    }

    /// The nearest `f64` (for drift statistics and display).
    pub fn to_f64(self) -> f64 {
        const EXACT: u128 = 1 << 53;
        if self.num.unsigned_abs() <= EXACT && (self.den as u128) <= EXACT {
            // Both exact in an f64: IEEE division is correctly rounded, so
            // this is the nearest f64 to the rational.
            return self.num as f64 / self.den as f64;
        }
        // Parse the exact decimal expansion when it is short, so the result
        // is the nearest f64; otherwise divide.
        match self.exact_decimal(30) {
            Some(s) => s.parse().unwrap_or(self.num as f64 / self.den as f64),
            None => self.num as f64 / self.den as f64,
        }
    }

    /// Whether the number is zero.
    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// Whether the number is below zero.
    pub fn is_negative(self) -> bool {
        self.num < 0
    }

    /// `self + o`.
    pub fn add(self, o: Rational) -> Option<Rational> {
        if self.den == o.den {
            return Rational::new(self.num.checked_add(o.num)?, self.den);
        }
        let g = gcd(self.den, o.den);
        let (a, b) = (self.den / g, o.den / g);
        let num = self.num.checked_mul(b)?.checked_add(o.num.checked_mul(a)?)?;
        Rational::new(num, self.den.checked_mul(b)?)
    }

    /// The sum of `xs`: what adding them one after the other
    /// ([`Rational::add`]) gives, `None` included. The numerators are added
    /// over the least common multiple of the denominators so far (decimal
    /// data mostly shares one) and the sum is reduced once, not at each
    /// step; should that overflow, they are added one by one. (Each
    /// one-by-one partial sum is reduced and its denominator divides that
    /// multiple, so none of its steps is larger: it overflows only where
    /// this does.)
    pub fn sum(xs: &[Rational]) -> Option<Rational> {
        let (mut num, mut den) = (0i128, 1i128);
        for x in xs {
            let step = if x.den == den {
                num.checked_add(x.num).map(|n| (n, den))
            } else {
                let g = gcd(den, x.den);
                let scaled = num.checked_mul(x.den / g).and_then(|n| n.checked_add(x.num.checked_mul(den / g)?));
                scaled.zip((den / g).checked_mul(x.den))
            };
            match step {
                Some((n, d)) if n != i128::MIN => (num, den) = (n, d),
                _ => return xs.iter().try_fold(Rational::ZERO, |a, b| a.add(*b)),
            }
        }
        Rational::new(num, den)
    }

    /// `self - o`.
    pub fn sub(self, o: Rational) -> Option<Rational> {
        self.add(o.neg()?)
    }

    /// `self * o`.
    pub fn mul(self, o: Rational) -> Option<Rational> {
        if self.den == 1 && o.den == 1 {
            // `i128::MIN` has no magnitude: never a numerator (see `new`).
            let num = self.num.checked_mul(o.num)?;
            return (num != i128::MIN).then_some(Rational { num, den: 1 });
        }
        // By a whole number (a percent's hundred, a day's seconds): one
        // common factor to take out, and the result is reduced (both were).
        if o.den == 1 || self.den == 1 {
            let (q, k) = if o.den == 1 { (self, o.num) } else { (o, self.num) };
            if k == 0 {
                return Some(Rational::ZERO);
            }
            let g = gcd(k, q.den).max(1);
            let num = q.num.checked_mul(k / g)?;
            return (num != i128::MIN).then_some(Rational { num, den: q.den / g });
        }
        // Cross-reduce first to keep the parts small.
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        if fits_i64(self.num) && fits_i64(self.den) && fits_i64(o.num) && fits_i64(o.den) {
            // The same quotients in 64 bits (each `g` divides what it
            // divides), and the products of two of them fit in 128.
            let div = |a: i128, g: i128| (a as i64 / g as i64) as i128;
            let num = div(self.num, g1) * div(o.num, g2);
            let den = div(self.den, g2) * div(o.den, g1);
            return Rational::new(num, den);
        }
        let num = (self.num / g1).checked_mul(o.num / g2)?;
        let den = (self.den / g2).checked_mul(o.den / g1)?;
        Rational::new(num, den)
    }

    /// `self / o`; `None` when `o` is zero.
    pub fn div(self, o: Rational) -> Option<Rational> {
        if o.num == 0 {
            return None;
        }
        self.mul(Rational::new(o.den, o.num)?)
    }

    /// `-self`.
    pub fn neg(self) -> Option<Rational> {
        Some(Rational { num: self.num.checked_neg()?, den: self.den })
    }

    /// `|self|`.
    pub fn abs(self) -> Rational {
        Rational { num: self.num.abs(), den: self.den }
    }

    /// The largest whole number at or below.
    pub fn floor(self) -> i128 {
        self.num.div_euclid(self.den)
    }

    /// The smallest whole number at or above.
    pub fn ceil(self) -> i128 {
        -(-self.num).div_euclid(self.den)
    }

    /// Whether the number is whole.
    pub fn is_integer(self) -> bool {
        self.den == 1
    }

    /// What [`fmt::Display`] writes, into `buf`, for the numbers most
    /// values are: a decimal of at most 15 significant digits, 18 after
    /// the point, written without an exponent. `None` for any other
    /// (written the general way).
    fn short_decimal(self, buf: &mut [u8; 40]) -> Option<&str> {
        // In 64 bits (many times cheaper than 128): the decimal is
        // `scaled` (15 digits at most) over 10^frac.
        let num = u64::try_from(self.num.unsigned_abs()).ok()?;
        let den = u64::try_from(self.den.unsigned_abs()).ok()?;
        let twos = den.trailing_zeros();
        let mut rest = den >> twos;
        let mut fives = 0;
        while rest % 5 == 0 && fives <= 18 {
            rest /= 5;
            fives += 1;
        }
        let frac = twos.max(fives);
        if rest != 1 || frac > 18 {
            return None;
        }
        let scaled = num.checked_mul(10u64.pow(frac) / den)?;
        if scaled == 0 || scaled >= 1_000_000_000_000_000 {
            return None;
        }
        // Its digits, without the trailing zeros, and the power of ten of
        // the first.
        let mut digits = [0u8; 20];
        let mut n = scaled;
        let mut len = 0;
        while n > 0 {
            digits[19 - len] = b'0' + (n % 10) as u8;
            n /= 10;
            len += 1;
        }
        let exp = len as i32 - 1 - frac as i32;
        let mut sig = &digits[20 - len..];
        while let [head @ .., b'0'] = sig {
            sig = head;
        }
        if !(-6..15).contains(&exp) {
            return None;
        }
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            buf[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        if self.num < 0 {
            put(b"-");
        }
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if sig.len() <= int_len {
                put(sig);
                put(&[b'0'; 15][..int_len - sig.len()]);
            } else {
                put(&sig[..int_len]);
                put(b".");
                put(&sig[int_len..]);
            }
        } else {
            put(b"0.");
            put(&[b'0'; 6][..(-exp - 1) as usize]);
            put(sig);
        }
        std::str::from_utf8(&buf[..at]).ok()
    }

    /// The exact decimal expansion with at most `max_frac` digits after the
    /// point, or `None` when the number has none that short (`1/3`).
    pub fn exact_decimal(self, max_frac: u32) -> Option<String> {
        if self.den == 1 {
            return Some(self.num.to_string());
        }
        let twos = self.den.trailing_zeros();
        let mut den = self.den >> twos;
        let mut fives = 0u32;
        while den % 5 == 0 && fives <= max_frac {
            den /= 5;
            fives += 1;
        }
        if den != 1 {
            return None;
        }
        let frac = twos.max(fives);
        if frac > max_frac {
            return None;
        }
        // num / den = num * (10^frac / den) / 10^frac
        let scaled = self.num.checked_mul(10i128.checked_pow(frac)? / self.den)?;
        let neg = scaled < 0;
        let digits = scaled.unsigned_abs().to_string();
        let frac = frac as usize;
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        if frac == 0 {
            out.push_str(&digits);
        } else if digits.len() > frac {
            out.push_str(&digits[..digits.len() - frac]);
            out.push('.');
            out.push_str(&digits[digits.len() - frac..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', frac - digits.len()));
            out.push_str(&digits);
        }
        Some(out)
    }
}

/// Compares `a/b` with `c/d` (`b, d > 0`) without overflow: by whole parts,
/// then by the reciprocals of the remainders (a continued-fraction walk).
fn cmp_fractions(mut a: i128, mut b: i128, mut c: i128, mut d: i128) -> Ordering {
    let mut flip = false;
    loop {
        let (qa, ra) = (a.div_euclid(b), a.rem_euclid(b));
        let (qc, rc) = (c.div_euclid(d), c.rem_euclid(d));
        let ord = qa.cmp(&qc);
        if ord != Ordering::Equal {
            return if flip { ord.reverse() } else { ord };
        }
        match (ra == 0, rc == 0) {
            (true, true) => return Ordering::Equal,
            (true, false) => return if flip { Ordering::Greater } else { Ordering::Less },
            (false, true) => return if flip { Ordering::Less } else { Ordering::Greater },
            (false, false) => {}
        }
        // ra/b vs rc/d, both in (0, 1): compare b/ra with d/rc, reversed.
        (a, b, c, d) = (b, ra, d, rc);
        flip = !flip;
    }
}

impl Ord for Rational {
    fn cmp(&self, o: &Rational) -> Ordering {
        if self.den == o.den {
            return self.num.cmp(&o.num);
        }
        match (self.num.checked_mul(o.den), o.num.checked_mul(self.den)) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => cmp_fractions(self.num, self.den, o.num, o.den),
        }
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, o: &Rational) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Appends `n` in decimal, as `{n}` formats it.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    // ASCII digits.
    out.push_str(std::str::from_utf8(decimal_digits(n.unsigned_abs(), &mut digits)).unwrap_or_default());
}

/// The decimal digits of `n`, written at the end of `digits`.
pub fn decimal_digits(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[at..]
}

impl fmt::Display for Rational {
    /// For people, as [`fmt_num`](crate::check::value::fmt_num) prints:
    /// exactly when the decimal is short (`0.0047`, `246`, `93.5`: up to
    /// 15 significant digits); otherwise to 10 significant digits
    /// (`0.3333333333`), with an exponent below `1e-6` or from `1e15` on
    /// (`1.5e+30`, `1e-9`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 && self.num.unsigned_abs() < 1_000_000_000_000_000 {
            return write!(f, "{}", self.num);
        }
        let mut buf = [0u8; 40];
        match self.short_decimal(&mut buf) {
            Some(short) => f.write_str(short),
            None => f.write_str(&self.display_general()),
        }
    }
}

impl Rational {
    /// Appends what [`fmt::Display`] writes to `out`, without the
    /// formatting machinery for the integers and short decimals most
    /// numbers are (reasons write many).
    pub fn push_to(self, out: &mut String) {
        if self.den == 1 && self.num.unsigned_abs() < 1_000_000_000_000_000 {
            push_int(out, self.num as i64);
            return;
        }
        let mut buf = [0u8; 40];
        match self.short_decimal(&mut buf) {
            Some(short) => out.push_str(short),
            None => out.push_str(&self.display_general()),
        }
    }

    /// What [`fmt::Display`] writes, the general way (for every number,
    /// where [`Rational::short_decimal`] answers only for most).
    fn display_general(self) -> String {
        if let Some(s) = self.exact_decimal(38) {
            // Exact: its digits and the power of ten of the first.
            let neg = s.starts_with('-');
            let s = s.trim_start_matches('-');
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            let all = format!("{int}{frac}");
            let digits = all.trim_start_matches('0');
            let exp = int.len() as i32 - 1 - (all.len() - digits.len()) as i32;
            return crate::check::value::human_decimal(neg, digits, exp);
        }
        crate::check::value::fmt_approx(self.to_f64())
    }
}

#[cfg(test)]
#[path = "rational/tests.rs"]
mod tests;
