/** What a masked secret looks like in every output. */
export const MASK = '[REDACTED]';

const SECRET_KEYS = ['password', 'access_token', 'refresh_token', 'authorization'];

// The shortest value worth masking: masking a one- or two-character value
// would shred ordinary text without protecting anything.
const MIN_SECRET_LENGTH = 3;

function htmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Every form a value can take on its way into a log, a report or a body. */
export function encodingsOf(value: string): string[] {
  const percent = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    percent,
    percent.replace(/%20/g, '+'),
    formEncode(value),
    formEncode(value).replace(/\+/g, '%20'),
    json,
    JSON.stringify(json).slice(1, -1),
    htmlEscape(value),
    htmlEscape(json),
    Buffer.from(value, 'utf8').toString('base64'),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
}

/**
 * Masks every secret it was told about, in each of its encodings, longest
 * first, and the values of keys that always hold secrets. One instance
 * serves a whole run: tokens are added as the run sees them.
 */
export class Redactor {
  private readonly needles = new Set<string>();
  private sorted: string[] | null = null;

  /** Adds a secret; values too short to mask safely are ignored. */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;

    for (const form of encodingsOf(secret)) {
      if (form.length >= MIN_SECRET_LENGTH) this.needles.add(form);
    }
    this.sorted = null;
  }

  /** Adds a user name and password pair, masking Basic auth's base64 too. */
  addCredentials(username: string, password: string): void {
    this.add(password);
    if (password.length >= MIN_SECRET_LENGTH) {
      this.needles.add(Buffer.from(`${username}:${password}`).toString('base64'));
      this.sorted = null;
    }
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.order()) {
      if (out.includes(needle)) out = out.split(needle).join(MASK);
    }
    return maskByKey(out);
  }

  /** Redacts every string in a JSON-like value, keys that hold secrets too. */
  redactValue<T>(value: T): T {
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }

  private order(): string[] {
    this.sorted ??= [...this.needles].sort((a, b) => b.length - a.length);
    return this.sorted;
  }
}

const KEYS = SECRET_KEYS.join('|');
const JSON_KEY = new RegExp(
  `("(?:${KEYS})\\\\?"\\s*:\\s*\\\\?")((?:[^"\\\\]|\\\\.)*?)(\\\\?")`,
  'gi',
);
const FORM_KEY = new RegExp(`(^|[?&\\s])((?:${KEYS})=)([^&\\s]*)`, 'gi');
const BEARER = /(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/g;

function maskByKey(text: string): string {
  return text
    .replace(JSON_KEY, (_m, open: string, value: string, close: string) =>
      value === MASK || value === '' ? `${open}${value}${close}` : `${open}${MASK}${close}`,
    )
    .replace(FORM_KEY, (_m, lead: string, key: string, value: string) =>
      value === '' || value === MASK || value === encodeURIComponent(MASK)
        ? `${lead}${key}${value}`
        : `${lead}${key}${MASK}`,
    )
    .replace(BEARER, (_m, scheme: string) => `${scheme}${MASK}`);
}
