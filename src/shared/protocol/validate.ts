/** Small type guards for validating messages that cross the webview boundary (untrusted input). */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown, maxLength = Number.MAX_SAFE_INTEGER): value is string {
  return typeof value === 'string' && value.length <= maxLength;
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

/** A safe, non-negative integer. */
export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isStringArray(value: unknown, maxItems: number, maxLength = 1000): value is string[] {
  return Array.isArray(value) && value.length <= maxItems && value.every((v) => isString(v, maxLength));
}
