//! Form values as a test server reads them: shared by the Prometheus
//! client's unit tests, the `compel serve` tests and the hostile servers'
//! tests (`tests/`, by path), which each decode compel's queries to
//! Prometheus. Kept here, inside the package, so the unit tests build
//! from it too.

/// A value of an `application/x-www-form-urlencoded` form or query string,
/// decoded (`%XX` and `+`). Panics on an encoding compel should never
/// send: a bad escape or bytes that are not UTF-8.
pub fn form_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = raw.get(i + 1..i + 3).unwrap_or_else(|| panic!("a cut escape in {raw:?}"));
                out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("a bad escape in {raw:?}")));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("a form value is UTF-8")
}
