//! Compiled output templates (spec §5): literal segments and `%[N]field` tokens whose
//! operands live in the rule's [`Program`](crate::program::Program) arena, so rendering shares
//! the interpreter's per-event extraction memo. Built by the compiler, rendered by the runtime.

use serde::{Deserialize, Serialize};

use crate::program::OperandId;

/// One piece of a compiled template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Segment {
    /// Literal text.
    Text(String),
    /// A `%` token.
    Field {
        /// Canonical text (`proc.name`, `tolower(proc.name)`): the `output_fields` key.
        key: String,
        /// Width (`%20proc.name`), if given.
        width: Option<usize>,
        /// The lowered operand.
        operand: OperandId,
    },
}

/// A compiled output template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputTemplate {
    /// Segments in order.
    pub segments: Vec<Segment>,
}
