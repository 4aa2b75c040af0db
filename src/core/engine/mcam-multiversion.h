/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* MCAM_MULTIVERSION: compile a hot loop for AVX-512, AVX2 and plain x86-64
 * and pick one at load time (GCC's target_clones). The choice is made by an
 * ifunc resolver that runs during relocation, before any sanitizer runtime
 * is set up: ThreadSanitizer crashes before main, ASan reports from the
 * resolver. So every sanitized build gets the plain version:
 *   - ASan and TSan have macros (GCC: __SANITIZE_ADDRESS__, __SANITIZE_THREAD__;
 *     clang: __has_feature);
 *   - UBSan has none, so meson passes -DMCAM_NO_MULTIVERSION whenever
 *     b_sanitize is set (and it can be given by hand for any other build). */

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
      __has_feature(memory_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#    define MCAM_SANITIZED 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define MCAM_SANITIZED 1
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(MCAM_SANITIZED) && !defined(MCAM_NO_MULTIVERSION)
#  define MCAM_MULTIVERSION __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#  define MCAM_MULTIVERSION
#endif
