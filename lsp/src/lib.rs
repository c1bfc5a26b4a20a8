//! Language server for Falco rules files. Built in its own issue; empty for now.
