#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Coefficients of the vectorised erf in src/core/engine/mcam-act-vec.c (dev tool).

Two pieces, each a least-squares fit on Chebyshev nodes (near minimax), in
double, then rounded to float:
  |x| < 1:       erf(x) = x * P(x^2),  P of degree 5 in s = x^2 in [0, 1]
  1 <= |x| <= 4: erfc(x) = exp(-x^2) * R(u),  u = (x - 2.5) / 1.5 in [-1, 1],
                 R of degree 10 (R fits erfcx, smooth and slowly varying there)
Past 4, erf rounds to +-1 in float. The error of the C code is measured by
tests/core/test-act-vec.c (every float with -m slow).

Usage: /usr/bin/python3 tools/fit_erf.py   (numpy only)
"""
import math

import numpy as np
from numpy.polynomial import chebyshev as C
from numpy.polynomial import Polynomial


def fit(f, a, b, deg, n=4000):
    """Monomial coefficients in t in [-1, 1], x = (a+b)/2 + (b-a)/2 t."""
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = (a + b) / 2 + (b - a) / 2 * t
    return C.cheb2poly(C.chebfit(t, f(x), deg))


def main():
    p = fit(lambda s: np.array([math.erf(math.sqrt(v)) / math.sqrt(v) for v in s]), 0, 1, 5)
    p = Polynomial(p)(Polynomial([-1, 2])).coef   # t = 2 s - 1: coefficients in s
    r = fit(lambda x: np.array([math.erfc(v) * math.exp(v * v) for v in x]), 1, 4, 10)
    for name, c in (("P", p), ("R", r)):
        print(name, ", ".join("%.9ef" % v for v in c.astype(np.float32)))


if __name__ == "__main__":
    main()
