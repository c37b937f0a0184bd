//! What the Linux scheduler says about the pool's threads: whether a thread is blocked
//! (sleeping, parked, waiting on a lock) or running. The pool's monitor uses it to tell a
//! held thread from a busy one. Elsewhere, every thread reads as "not blocked".

/// This thread's OS id, where the platform tells it (Linux).
pub(crate) fn current_tid() -> Option<u32> {
    std::fs::read_link("/proc/thread-self")
        .ok()?
        .file_name()?
        .to_str()?
        .parse()
        .ok()
}

/// Whether thread `tid` of this process is waiting (not running or runnable), per Linux's
/// scheduler. Elsewhere, or if it cannot be read: `false`.
pub(crate) fn is_blocked(tid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else {
        return false;
    };
    // "<tid> (<comm>) <state> ...": the comm may contain spaces and parentheses.
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].trim_start().chars().next())
        .is_some_and(|state| matches!(state, 'S' | 'D'))
}
