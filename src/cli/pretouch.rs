//! Memory touched ahead, by a thread that would otherwise wait.
//!
//! A page costs the most the first time the process writes to it: the
//! kernel zeroes it (2 MiB at a time with transparent huge pages), and on a
//! virtual machine whose host has taken back the guest's free memory, the
//! host backs the page again first. In `compel eval` the thread that reads
//! the metrics files is done long before the policy is analysed. It then
//! writes to blocks of memory, freeing each as soon as it is written; the
//! command's allocator keeps freed memory for the process' next
//! allocations (the binary's `keep_freed_memory`), so the analysis and the
//! evaluation that follow find those pages in place instead of faulting
//! them in on the thread everything waits for. The total is sized from the
//! policy, which the analysis alone grows by about twenty times its bytes,
//! so it is taken again rather than added to the peak.

use std::sync::atomic::{AtomicBool, Ordering};

/// The memory is touched in blocks this large: small enough for the
/// allocator to serve each from its arena, and take it back there when it
/// is freed, where a larger one would get a mapping of its own, returned
/// to the system when freed.
const BLOCK: usize = 8 << 20;

/// One write to each page of this size faults the whole page in (a huge
/// page takes one write, which this also gives).
const PAGE: usize = 4096;

/// Bytes touched ahead for each byte of policy source: below the twenty
/// the analysis grows by, so that all of it is taken again. On the
/// 10,000-initiative workload 14 measured better than 8 and than 20,
/// which raised the peak (docs/performance.md, "Fifteenth round").
const PER_POLICY_BYTE: u64 = 14;

/// At most this much: each block is freed as soon as it is written, so a
/// larger total holds no more at once, but past what the analysis takes
/// again it adds to the peak.
const MOST: u64 = 128 << 20;

/// Touched ahead for a policy of `policy_bytes` bytes.
pub(crate) fn ahead_for(policy_bytes: u64) -> usize {
    usize::try_from(policy_bytes.saturating_mul(PER_POLICY_BYTE).min(MOST)).unwrap_or(0)
}

/// The bytes of the policy files `roots` (as
/// [`super::collect_paths`] found them); 0 for one that cannot be read
/// (the analysis reports it).
pub(crate) fn policy_bytes(roots: &[String]) -> u64 {
    roots.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum()
}

/// Writes to `bytes` of newly allocated memory, a page at a time, and
/// frees each block as soon as it is written, so that the thread that
/// takes memory meanwhile finds it in place. Every block is allocated
/// before any is written: a block freed is then never the next block
/// again, and an allocation that is not written takes no page. Stops
/// before the next block once `done` is set: the thread that was to take
/// the memory has no more use for it, and would then wait for this one.
/// Gives the bytes touched.
pub(crate) fn touch_ahead(bytes: usize, done: &AtomicBool) -> usize {
    let blocks: Vec<Vec<u8>> =
        (0..bytes.div_ceil(BLOCK)).map(|i| Vec::with_capacity(BLOCK.min(bytes - i * BLOCK))).collect();
    let mut touched = 0;
    for mut block in blocks {
        if done.load(Ordering::Relaxed) {
            break;
        }
        let n = block.capacity();
        block.spare_capacity_mut().iter_mut().step_by(PAGE).for_each(|b| {
            b.write(0);
        });
        // The writes are the point: kept, though nothing reads them.
        drop(std::hint::black_box(block));
        touched += n;
    }
    touched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_from_the_policy_with_a_ceiling() {
        assert_eq!(ahead_for(0), 0);
        assert_eq!(ahead_for(1_000), 14_000);
        assert_eq!(ahead_for(7_373_531), 103_229_434);
        // Just below the ceiling, and the first byte past it.
        assert_eq!(ahead_for(9_586_980), 134_217_720);
        assert_eq!(ahead_for(9_586_981), 128 << 20);
        assert_eq!(ahead_for(u64::MAX), 128 << 20);
    }

    #[test]
    fn policy_bytes_are_the_files_bytes() {
        let dir = std::env::temp_dir().join(format!("compel-pretouch-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.compel"), "x".repeat(100)).unwrap();
        std::fs::write(dir.join("sub/b.compel"), "y".repeat(50)).unwrap();
        std::fs::write(dir.join("notes.txt"), "z".repeat(1_000)).unwrap();
        // The folder expanded as the analysis expands it: `.compel` files only.
        let roots = crate::cli::collect_paths(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(policy_bytes(&roots), 150);
        let missing = dir.join("missing.compel").to_string_lossy().into_owned();
        assert_eq!(policy_bytes(&[roots[0].clone(), missing]), 100);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn touches_blocks_of_any_size() {
        // Below a page, at and across a block's end: no block is indexed
        // past its capacity, and the last one is the rest.
        let going = AtomicBool::new(false);
        for bytes in [0, 1, PAGE - 1, PAGE, BLOCK - 1, BLOCK, 2 * BLOCK + PAGE + 1] {
            assert_eq!(touch_ahead(bytes, &going), bytes);
        }
        // Once the analysis is over, nothing.
        assert_eq!(touch_ahead(64 << 20, &AtomicBool::new(true)), 0);
    }
}
