//! Runtime agent (bundle loading, JIT evaluation, alerting). Built in its own issue; empty for now.
