//! Standard base64 (RFC 4648 section 4, with `=` padding), encode only: the host decodes with Python's
//! `base64.b64decode`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the base64 text of `data` to `out`.
pub fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 63) as usize];
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { b'=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { b'=' });
    }
}

#[cfg(test)]
mod tests {
    use super::encode_into;

    fn enc(s: &[u8]) -> String {
        let mut v = Vec::new();
        encode_into(s, &mut v);
        String::from_utf8(v).unwrap()
    }

    /// The test vectors of RFC 4648 section 10.
    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(enc(plain.as_bytes()), coded, "input {plain:?}");
        }
    }

    #[test]
    fn every_byte_value_and_high_bits() {
        assert_eq!(enc(&[0xff, 0xfe, 0xfd]), "//79");
        assert_eq!(enc(&[0x00]), "AA==");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(enc(&all).len(), 344);
    }
}
