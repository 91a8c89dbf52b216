// Values that come from files: keys defined (never assigned) so "__proto__" is just a name, and previews for error
// messages that cannot overflow the stack on a deeply nested value.

/**
 * `obj[key] = value` for any key: defined, not assigned, so a key named `__proto__` becomes an ordinary own property
 * (listed by Object.keys/entries, written by JSON.stringify) instead of replacing the object's prototype and vanishing.
 */
export function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A short JSON rendering of a value read from a file, for error messages: at most `max` characters, and a value nested
 * too deeply for JSON.stringify (which recurses) is described instead of throwing a RangeError.
 */
export function preview(v: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[…deeply nested array…]' : '{…deeply nested value…}';
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
