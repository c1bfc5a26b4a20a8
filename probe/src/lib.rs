//! eBPF probe loader and syscall prefilter. Built in its own issue; empty for now.
