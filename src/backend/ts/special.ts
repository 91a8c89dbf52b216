// Scalar special functions the kernels need (erf to double precision, round-half-even).

/** erf(x) accurate to about 1e-15: Maclaurin series near 0, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 1.1283791670955126 * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(ax) = exp(-ax^2)/sqrt(pi) / (ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / 1.7724538509055159 / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Round half to even, as torch.round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
