/** Bodies are kept up to this many characters. */
const MAX_BODY = 8000;
const MASK = '***';

/**
 * Masks a customer's personal data in a wire body, whatever the protocol: every occurrence of
 * each value, as written raw, JSON-escaped or XML-escaped, becomes `***`. Masking by value
 * rather than by field name keeps working when a supplier echoes the data somewhere new.
 */
export function maskPersonalData(body: string | null, values: readonly string[]): string | null {
  if (body === null) return null;
  let masked = body;
  const forms = new Set<string>();
  for (const value of values) {
    if (value.trim().length < 2) continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    // XML writers differ on quotes: text nodes escape & < >, attributes add " and maybe '.
    const text = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    forms.add(text);
    forms.add(text.replace(/"/g, '&quot;'));
    forms.add(text.replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
  }
  // Longest first, so that a value inside another is not masked half-way.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) masked = masked.split(form).join(MASK);
  return masked.length > MAX_BODY ? `${masked.slice(0, MAX_BODY)}…` : masked;
}

