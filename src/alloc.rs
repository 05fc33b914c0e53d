//! The global allocator: mimalloc, asked as the system allocator is.
//!
//! The `mimalloc` crate's allocator sends every allocation through
//! `mi_malloc_aligned`. Its fast path only serves a block of at most 1 KiB
//! (aligned no more than its size) from a page with a free block there;
//! otherwise its generic path allocates plainly only when the block's size
//! class is a power of two of at most 4 KiB, and else over-allocates by
//! the alignment: a 48-byte value then takes a 64-byte block, and a 2 KiB
//! string a longer path.
//!
//! Here a value whose alignment is at most 16 bytes and at most its size
//! is allocated with plain `mi_malloc`, as the standard library asks
//! `malloc`: mimalloc's size classes above 16 bytes are multiples of 16,
//! so those blocks are 16-byte aligned, and smaller ones 8-byte aligned,
//! enough for a value that small. Only a larger alignment goes to
//! `mi_malloc_aligned`. On the 10,000-initiative workload this takes 3% of
//! the instructions off `compel eval` and 4% off `compel check`, and 17 MB
//! off `eval`'s peak (docs/performance.md).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_long, c_void};

use libmimalloc_sys as mi;

/// The largest alignment `mi_malloc` gives every block at least as large.
const MIN_ALIGN: usize = 16;

/// Whether `mi_malloc` of `size` bytes is aligned enough for `align`.
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`): how long freed
/// memory stays committed before it is handed back to the system, in
/// milliseconds; -1 keeps it.
const PURGE_DELAY: c_int = 15;

// mimalloc's options, from the C library `libmimalloc-sys` builds and
// links (its `extended` feature declares them too, with a crate for two C
// types).
extern "C" {
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
    fn mi_option_set_default(option: c_int, value: c_long);
}

// The C library's `_exit`: ends the process at once, running no handler
// registered with `atexit`.
extern "C" {
    fn _exit(status: c_int) -> !;
}

/// Ends the process with `code`, running none of the clean-up registered
/// to run at exit: the caller has flushed what it wrote.
///
/// That clean-up is mimalloc's: linked into the program (not loaded as a
/// shared library), it frees every page it holds when the process exits
/// (`mi_process_done` calls `mi_collect(true)`), about 5 ms after a large
/// evaluation, for memory the system takes back anyway. The standard
/// library registers nothing there (its output is flushed by the caller).
pub fn exit_quickly(code: i32) -> ! {
    // SAFETY: `_exit` takes a status and ends the process; no pointer, and
    // no Rust destructor is owed anything once the caller flushed its
    // output (the process' memory and files go with it).
    unsafe { _exit(code) }
}

/// Keeps the memory this process frees for its own next allocations,
/// instead of handing it back to the system (mimalloc's purge), unless
/// `MIMALLOC_PURGE_DELAY` says otherwise.
///
/// For a command that ends within seconds: a purge is a `madvise` call, and
/// the memory it gives back is zeroed again by the kernel (2 MiB at a time
/// with transparent huge pages) when the command allocates it next.
/// `compel eval` of the 10,000-initiative workload purged about 35 MiB in
/// 210 calls, and on a virtual machine a page the host has taken back
/// costs several times more to touch (docs/performance.md). The language
/// server and `compel serve` run for hours and keep the purge.
///
/// To be called before the command starts a thread of its own: setting an
/// option is a plain store, which other threads read as they free memory.
pub fn keep_freed_memory() {
    // SAFETY: an option's number and value, no pointer. `main` calls this
    // on the command's thread before it starts any other, while the main
    // thread only waits for it, so no thread reads the option meanwhile.
    // mimalloc reads the option each time it decides whether to purge; a
    // value the environment gave is kept (`set_default` changes only an
    // option not set there).
    unsafe { mi_option_set_default(PURGE_DELAY, -1) }
}

/// mimalloc as the global allocator.
pub struct Mimalloc;

// SAFETY: mimalloc's functions meet `GlobalAlloc`'s contract: a block is
// at least the size asked, aligned as `plain` or `mi_*_aligned` promise,
// freed once by `mi_free` (which takes blocks of either kind), and a null
// pointer reports a failure.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align(), layout.size()) {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(layout.align(), new_size) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layouts a program asks for: every size up to a few pages, and
    /// every alignment from a byte to a page, so both paths are taken.
    fn layouts() -> impl Iterator<Item = Layout> {
        let sizes = (1..=64).chain([100, 1000, 1024, 1025, 2000, 4096, 5000, 65_536, 1 << 20]);
        sizes.flat_map(|size| {
            (0..=12).filter_map(move |shift| Layout::from_size_align(size, 1 << shift).ok().filter(|l| l.size() > 0))
        })
    }

    /// Every block is aligned as asked, holds what is written to it,
    /// comes zeroed when asked, keeps its bytes when it grows or shrinks,
    /// and is freed.
    #[test]
    fn blocks_are_aligned_hold_their_bytes_and_keep_them_when_resized() {
        let a = Mimalloc;
        let mut plain_seen = (false, false);
        for layout in layouts() {
            let (size, align) = (layout.size(), layout.align());
            if plain(align, size) {
                plain_seen.0 = true;
            } else {
                plain_seen.1 = true;
            }
            // SAFETY: `layout` has a non-zero size; each block is written
            // within its size, then freed once with its layout.
            unsafe {
                let mut p = a.alloc(layout);
                assert!(!p.is_null(), "{layout:?}");
                assert_eq!(p as usize % align, 0, "{layout:?}");
                for i in 0..size {
                    p.add(i).write((i % 251) as u8);
                }
                // Shrunk (unless to nothing) and grown, then back each time.
                for new_size in [size / 2, size * 3 + 1].into_iter().filter(|n| *n > 0) {
                    let q = a.realloc(p, layout, new_size);
                    assert!(!q.is_null(), "{layout:?} to {new_size}");
                    assert_eq!(q as usize % align, 0, "{layout:?} to {new_size}");
                    let kept = size.min(new_size);
                    assert!((0..kept).all(|i| q.add(i).read() == (i % 251) as u8), "{layout:?} to {new_size}");
                    let resized = Layout::from_size_align(new_size, align).unwrap_or(layout);
                    p = a.realloc(q, resized, size);
                    assert_eq!(p as usize % align, 0, "{layout:?} back from {new_size}");
                    assert!((0..kept).all(|i| p.add(i).read() == (i % 251) as u8), "{layout:?} back from {new_size}");
                    for i in kept..size {
                        p.add(i).write((i % 251) as u8);
                    }
                }
                a.dealloc(p, layout);
                let z = a.alloc_zeroed(layout);
                assert!(!z.is_null(), "{layout:?}");
                assert_eq!(z as usize % align, 0, "{layout:?} zeroed");
                assert!((0..size).all(|i| z.add(i).read() == 0), "{layout:?} zeroed");
                a.dealloc(z, layout);
            }
        }
        assert_eq!(plain_seen, (true, true), "both ways of allocating are exercised");
    }

    /// The option [`keep_freed_memory`] sets is mimalloc's purge delay:
    /// its default, 1000 ms, is the only option with that default. (The
    /// test only reads it: tests run on threads that free memory, which
    /// read the option.)
    #[test]
    fn the_option_set_is_the_purge_delay() {
        let named = |key: std::ffi::OsString| {
            let key = key.to_string_lossy().to_ascii_uppercase();
            key == "MIMALLOC_PURGE_DELAY" || key == "MIMALLOC_RESET_DELAY"
        };
        if std::env::vars_os().any(|(key, _)| named(key)) {
            return;
        }
        // SAFETY: an option's number, no pointer; reading it races with no
        // write (nothing in the tests sets an option).
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 1000, "option {PURGE_DELAY} is not the purge delay");
    }

    /// A block that changes path when resized keeps its bytes and its
    /// alignment: 8 bytes aligned to 16 (`mi_malloc_aligned`, the
    /// alignment being over the size) grown to sizes `mi_realloc` takes,
    /// and 16 bytes aligned to 16 (`mi_malloc`) shrunk to sizes only
    /// `mi_realloc_aligned` keeps aligned; each resized many times over, so
    /// that some moves land where plain allocation alone would not align.
    #[test]
    fn a_block_that_changes_path_when_resized_keeps_its_bytes_and_alignment() {
        let a = Mimalloc;
        for (size, to) in [(8, [25, 40, 100, 3000]), (16, [8, 4, 12, 1])] {
            let layout = Layout::from_size_align(size, 16).unwrap_or_else(|_| Layout::new::<u8>());
            assert_eq!(plain(16, size), size >= 16);
            for round in 0..64 {
                // SAFETY: as in `blocks_are_aligned_hold_their_bytes_and_keep_them_when_resized`.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    let kept = size.min(to[round % to.len()]);
                    for i in 0..kept {
                        p.add(i).write(i as u8 ^ 0x5a);
                    }
                    let new_size = to[round % to.len()];
                    assert_ne!(plain(16, size), plain(16, new_size), "the path changes");
                    let q = a.realloc(p, layout, new_size);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % 16, 0, "{size} to {new_size}, round {round}");
                    assert!((0..kept).all(|i| q.add(i).read() == i as u8 ^ 0x5a), "{size} to {new_size}");
                    a.dealloc(q, Layout::from_size_align(new_size, 16).unwrap_or(layout));
                }
            }
        }
    }
}
