/**
 * Telephone numbers. Opentact writes them with and without `+` and the North American `1`
 * (docs/opentact.md §a.2), so every lookup goes through `normalizeTn` and tries `tnCandidates`.
 */

/** Digits only; null when there are too few or too many digits to be an E.164 number. */
export function normalizeTn(input: string | number | null | undefined): string | null {
  if (input === null || input === undefined) return null;
  const digits = String(input).replace(/\D/g, "");
  if (digits.length < 3 || digits.length > 15) return null;
  return digits;
}

/** The keys to try for a TN, most specific first: as given, then with/without the leading 1. */
export function tnCandidates(tn: string): string[] {
  const out = [tn];
  if (tn.length === 11 && tn.startsWith("1")) out.push(tn.slice(1));
  else if (tn.length === 10) out.push(`1${tn}`);
  return out;
}

/** The stored form: 10-digit North American numbers get their 1, so both spellings meet. */
export function canonicalTn(tn: string): string {
  return tn.length === 10 ? `1${tn}` : tn;
}
