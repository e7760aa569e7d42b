/**
 * Hostile secrets and the ways they can be spelled in output, for tests that
 * prove nothing leaks. The spellings are written here independently of
 * src/redact.ts, so a test does not check the redactor against itself.
 */

const SPECIALS = ['&', '+', '%', '#', '=', ';', '"', "'", '\\', ' ', '`', '$', '<', '>', '/', '?', '@', ':', ',', '!', '*', '(', ')', '[', ']', '|', '^', '~', '{', '}', '\t'];
const NON_ASCII = ['é', 'ü', 'ß', 'ø', 'Ω', 'ж', '密', '码', '😀', '🔑', '\u00a0', 'ñ', 'İ', 'ﬁ', 'Å'];
const PLAIN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A small deterministic generator (xorshift32), so a failure reproduces. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

/**
 * `count` distinct passwords mixing the characters that break hand-made form
 * bodies, shell quoting and dotenv: `& + % # = ;`, quotes, backslashes,
 * spaces (leading and trailing too), non-ASCII, and a few long ones. None
 * holds `{{`, which Postman reads as a variable.
 */
export function hostileCorpus(count: number, seed: number): string[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const corpus = new Set<string>();

  while (corpus.size < count) {
    const i = corpus.size;
    const length = i % 50 === 7 ? 1000 : i % 10 === 3 ? 200 + Math.floor(random() * 100) : 8 + Math.floor(random() * 40);
    let password = '';
    while ([...password].length < length) {
      const roll = random();
      password += roll < 0.45 ? pick(SPECIALS) : roll < 0.65 ? pick(NON_ASCII) : pick([...PLAIN]);
    }
    if (i % 4 === 0) password = ` ${password}`;
    if (i % 4 === 1) password = `${password}  `;
    if (i % 4 === 2) password = `  ${password} `;
    // Every password holds each character a form body, a shell or dotenv
    // can trip over, whatever the rolls gave.
    const chars = [...password];
    password = `${chars.slice(0, 3).join('')}&+%#=;"'\\ é${chars.slice(3).join('')}`;
    if (password.includes('{{') || password.includes('}}')) continue;
    corpus.add(password);
  }
  return [...corpus];
}

/** Each way a secret can be spelled in a log, a report or a request. */
export function spellings(secret: string): Record<string, string> {
  const percent = encodeURIComponent(secret);
  const strict = percent.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  const bytes = Buffer.from(secret, 'utf8');

  return {
    raw: secret,
    percent,
    'percent, RFC 3986': strict,
    'percent, lower-case hex': percent.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    'form, +': form,
    'form, %20': form.replace(/\+/g, '%20'),
    'query, + for space': percent.replace(/%20/g, '+'),
    json,
    'json in json': JSON.stringify(json).slice(1, -1),
    'json, ASCII only': asciiJson(json),
    html: htmlBasic(secret),
    'html, template engine': htmlTemplate(secret),
    'html of json': htmlBasic(json),
    base64: bytes.toString('base64'),
    'base64, unpadded': bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    'bytes, as a JSON Buffer': [...bytes].join(','),
    hex: bytes.toString('hex'),
  };
}

/** Basic auth's spelling of a user name and password. */
export function basicOf(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

export type Leak = { secret: number; spelling: string; at: number };

/**
 * Every spelling of every secret found in `text`; empty when nothing leaked.
 * With `start`, the first 12 characters of a long secret count too: chai
 * cuts long values short in assertion messages. (Not for tokens, whose
 * first characters are the JWT header every token shares.)
 */
export function leaksOf(
  text: string,
  secrets: readonly string[],
  extra: Record<string, string>[] = [],
  options: { start?: boolean } = {},
): Leak[] {
  const leaks: Leak[] = [];
  secrets.forEach((secret, index) => {
    const chars = [...secret];
    const start = options.start && chars.length >= 24 ? { 'first 12 characters': chars.slice(0, 12).join('') } : {};
    const forms = { ...spellings(secret), ...start, ...(extra[index] ?? {}) };
    for (const [spelling, form] of Object.entries(forms)) {
      const at = text.indexOf(form);
      if (form.length >= 3 && at >= 0) leaks.push({ secret: index, spelling, at });
    }
  });
  return leaks;
}

function asciiJson(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function htmlBasic(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function htmlTemplate(text: string): string {
  const table: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
  return text.replace(/[&<>"'`=]/g, (c) => table[c]);
}
