/**
 * Writing CSV (RFC 4180): what the reports' exports and anything else that writes CSV share.
 * Reading CSV is the bulk imports' parser (src/bulk-imports/csv.ts).
 */

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV record with its CRLF line end, as RFC 4180 writes it. */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
