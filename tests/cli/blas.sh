#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The OpenBLAS kernel fix: without OPENBLAS_CORETYPE, mcam re-executes itself
# with the best kernel for this CPU; a value the user set is never overridden.
set -u
echo "1..5"

out=$(env -u OPENBLAS_CORETYPE -u MCAM_BLAS_REEXEC "$MCAM" info --system) || { echo "not ok 1 info --system failed"; exit 0; }
best=$(printf '%s\n' "$out" | sed -n 's/^Best kernel: *//p')
core=$(printf '%s\n' "$out" | sed -n 's/^BLAS core: *//p')
case "$best" in
  SkylakeX|Haswell)
    # OpenBLAS may name a compatible core itself (e.g. Cooperlake); it must not be a generic one.
    case "$core" in
      Prescott|Core2|Penryn|Nehalem|Atom|"") echo "not ok 1 still on generic kernel '$core' (best: $best)" ;;
      *) echo "ok 1 kernel '$core' in use (best for this CPU: $best)" ;;
    esac ;;
  *) echo "ok 1 # SKIP CPU has no AVX2: nothing to fix" ;;
esac

out=$(OPENBLAS_CORETYPE=Haswell "$MCAM" info --system)
if printf '%s\n' "$out" | grep -q "set by the user" && printf '%s\n' "$out" | grep -q "^BLAS core: *Haswell"; then
  echo "ok 2 a user-set OPENBLAS_CORETYPE is kept"
else
  echo "not ok 2 user value not kept:"; printf '%s\n' "$out" | sed 's/^/# /'
fi

# The re-executed process must still see its own arguments (and not loop).
out=$(env -u OPENBLAS_CORETYPE -u MCAM_BLAS_REEXEC "$MCAM" info --system --help 2>&1)
if printf '%s\n' "$out" | grep -q -- "--system"; then
  echo "ok 3 arguments survive the re-exec"
else
  echo "not ok 3 arguments lost"
fi

# Idle BLAS threads must not spin for 0.1 s after each call: mcam sets a short
# OPENBLAS_THREAD_TIMEOUT before OpenBLAS starts, unless the user set one.
out=$(env -u OPENBLAS_THREAD_TIMEOUT -u MCAM_BLAS_REEXEC "$MCAM" info --system)
if printf '%s\n' "$out" | grep -q "^OPENBLAS_THREAD_TIMEOUT=20$"; then
  echo "ok 4 OPENBLAS_THREAD_TIMEOUT set at start-up"
else
  echo "not ok 4 thread timeout not set:"; printf '%s\n' "$out" | sed 's/^/# /'
fi
out=$(OPENBLAS_THREAD_TIMEOUT=25 OPENBLAS_CORETYPE=Haswell "$MCAM" info --system)
if printf '%s\n' "$out" | grep -q "^OPENBLAS_THREAD_TIMEOUT=25$" &&
   printf '%s\n' "$out" | grep -q "set by the user"; then
  echo "ok 5 a user-set OPENBLAS_THREAD_TIMEOUT is kept"
else
  echo "not ok 5 user thread timeout not kept:"; printf '%s\n' "$out" | sed 's/^/# /'
fi
