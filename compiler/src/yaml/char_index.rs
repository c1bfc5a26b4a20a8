//! Converts the parser's character indices into byte offsets of the original text.

use std::cell::Cell;

use crate::span::to_u32;

/// Number of characters between two checkpoints.
const STRIDE: usize = 64;

/// Character index → byte offset conversion in O(1) per query (O(`STRIDE`) worst case).
pub(crate) struct CharIndex<'a> {
    text: &'a str,
    /// Byte offset of every `STRIDE`-th character; empty when the text is ASCII.
    checkpoints: Vec<u32>,
    ascii: bool,
    /// The last answer `(char index, byte offset)`: queries mostly move forward a little.
    cursor: Cell<(usize, usize)>,
}

impl<'a> CharIndex<'a> {
    /// Builds the checkpoint table for `text` (nothing is stored for ASCII text).
    pub(crate) fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(b, _)| to_u32(b))
                .collect()
        };
        CharIndex {
            text,
            checkpoints,
            ascii,
            cursor: Cell::new((0, 0)),
        }
    }

    /// Byte offset of the character with index `char_idx` (the text length when past the end).
    pub(crate) fn byte(&self, char_idx: usize) -> usize {
        let len = self.text.len();
        if self.ascii {
            return char_idx.min(len);
        }
        let (cur_char, cur_byte) = self.cursor.get();
        let (base_char, base_byte) = if cur_char <= char_idx && char_idx - cur_char < STRIDE {
            (cur_char, cur_byte)
        } else {
            let Some(&cp) = self.checkpoints.get(char_idx / STRIDE) else {
                return len;
            };
            (char_idx - char_idx % STRIDE, cp as usize)
        };
        let rest = self.text.get(base_byte..).unwrap_or("");
        let byte = rest
            .char_indices()
            .nth(char_idx - base_char)
            .map_or(len, |(b, _)| base_byte + b);
        if byte < len {
            self.cursor.set((char_idx, byte));
        }
        byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_multibyte() {
        let text = "é".repeat(200) + "abc";
        let ci = CharIndex::new(&text);
        assert_eq!(ci.byte(0), 0);
        assert_eq!(ci.byte(1), 2);
        assert_eq!(ci.byte(130), 260);
        assert_eq!(ci.byte(201), 401);
        assert_eq!(ci.byte(203), 403);
        assert_eq!(ci.byte(9999), 403);
        assert_eq!(CharIndex::new("abc").byte(2), 2);
    }
}
