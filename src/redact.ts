import { escapeHtml } from './reports/escape-html';

/** What a masked secret looks like in every output. */
export const MASK = '[REDACTED]';

// The shortest value worth masking: masking a one- or two-character value
// would shred ordinary text without protecting anything.
const MIN_SECRET_LENGTH = 3;

// Base64 fragments shorter than this would match ordinary words.
const MIN_BASE64_FRAGMENT = 6;

/**
 * Key names whose values are secret wherever they appear: `password`,
 * `access_token`, `refresh_token`, `Authorization`, and the names built on
 * them (`mfaPassword`, `accessToken`, `VBR_MFA_PASSWORD`, `client_secret`,
 * `X-Auth-Token`). Dashes count only in `x-` headers: check ids such as
 * `logout-revokes-token` are names, not keys.
 */
const SECRET_KEY = [
  String.raw`[\w.]*(?:password|passwd|secret|token)`,
  String.raw`(?:proxy-)?authorization`,
  String.raw`x-[\w-]*(?:token|secret|password|key)`,
].join('|');
const SECRET_KEY_ONLY = new RegExp(`^(?:${SECRET_KEY})$`, 'i');

/** True for a key whose value is a secret, whatever the value looks like. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_ONLY.test(key);
}

/**
 * The usual literal forms a value takes on its way into a log, a report or a
 * request: raw, percent- and form-encoded, JSON- and HTML-escaped, base64.
 * The redactor finds more than these (any mix of them, and one escaping
 * inside another); this list is for callers that search text for a value.
 */
export function encodingsOf(value: string): string[] {
  const percent = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    percent,
    percent.replace(/%20/g, '+'),
    percent.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    form,
    form.replace(/\+/g, '%20'),
    json,
    JSON.stringify(json).slice(1, -1),
    escapeHtml(value),
    escapeHtml(json),
    Buffer.from(value, 'utf8').toString('base64'),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return [...new Set(forms)];
}

/**
 * Masks every secret it was told about, in any encoding or mix of
 * encodings, and the values of keys that always hold secrets. One instance
 * serves a whole run: tokens are added as the run sees them.
 *
 * Rather than encode each secret every way a tool might, it decodes the
 * text every way a tool might have encoded it (percent and form encoding,
 * JSON and HTML escapes, and one inside another), looks for the secrets in
 * each decoded view, and maps what it finds back to the text. The union of
 * those spans is masked in one pass. That is "longest first" and more: a
 * shorter secret overlapping a longer one cannot leave a piece of either
 * visible, and a mask is never masked again.
 */
export class Redactor {
  private readonly needles = new Set<string>();
  /** The values themselves, for finding a truncated one. */
  private readonly values = new Set<string>();
  private ordered: string[] | null = null;

  /** Adds a secret; values too short to mask safely are ignored. */
  add(secret: string | undefined | null): void {
    if (!secret) return;

    for (const variant of variantsOf(secret)) {
      if (variant.length < MIN_SECRET_LENGTH) continue;
      this.values.add(variant);
      for (const needle of needlesOf(variant)) this.needles.add(needle);
    }
    this.ordered = null;
  }

  /** Adds a user name and password pair, masking Basic auth's base64 too. */
  addCredentials(username: string, password: string): void {
    this.add(password);
    if (password.length >= MIN_SECRET_LENGTH) this.add(`${username}:${password}`);
  }

  redact(text: string): string {
    if (text === '') return text;
    return maskByShape(maskByKey(this.maskSecrets(text)));
  }

  /**
   * Redacts a JSON-like value: every string in it, and the value of every
   * key that holds secrets. Works on the structure, so the result is
   * always as valid as the input.
   */
  redactValue<T>(value: T): T {
    if (value === undefined) return value;
    return this.walk(JSON.parse(JSON.stringify(value)) as unknown) as T;
  }

  private walk(node: unknown): unknown {
    if (typeof node === 'string') return this.redact(node);
    if (Array.isArray(node)) return node.map((item) => this.walk(item));
    if (node === null || typeof node !== 'object') return node;

    const record = node as Record<string, unknown>;
    // A Postman variable or header: { key, value, type }.
    const isSecretPair =
      typeof record.value === 'string' &&
      ((typeof record.key === 'string' && isSecretKey(record.key)) || record.type === 'secret');

    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(record)) {
      const isSecret = isSecretKey(key) || (isSecretPair && key === 'value');
      // Keys are the harness's own field names: masking one would change
      // the shape of a report, never hide a secret.
      out[key] = isSecret && isMaskable(child) ? MASK : this.walk(child);
    }
    return out;
  }

  private maskSecrets(text: string): string {
    if (this.needles.size === 0) return text;
    this.ordered ??= [...this.needles].sort((a, b) => b.length - a.length);

    const spans: [number, number][] = [];
    for (const view of viewsOf(text)) {
      for (const needle of this.ordered) {
        for (let at = view.text.indexOf(needle); at >= 0; at = view.text.indexOf(needle, at + 1)) {
          spans.push([view.starts[at], view.ends[at + needle.length - 1]]);
        }
      }
      spans.push(...this.truncated(view));
    }
    return maskSpans(text, spans);
  }

  /**
   * The start of a secret cut short by an ellipsis: chai shortens a value in
   * an assertion message to about 40 characters and ends it with `…`, and
   * util.inspect ends a long string with `... N more characters`.
   */
  private truncated(view: View): [number, number][] {
    const spans: [number, number][] = [];
    for (const marker of ['\u2026', '...', "'...", '"...']) {
      for (let at = view.text.indexOf(marker); at >= 0; at = view.text.indexOf(marker, at + 1)) {
        for (const value of this.values) {
          const length = longestPrefixBefore(view.text, at, value);
          if (length < MIN_SECRET_LENGTH) continue;
          spans.push([view.starts[at - length], view.ends[at - 1]]);
        }
      }
    }
    return spans;
  }
}

/** How many leading characters of `value` end just before `at` in `text`. */
function longestPrefixBefore(text: string, at: number, value: string): number {
  for (let length = Math.min(value.length - 1, at); length >= MIN_SECRET_LENGTH; length -= 1) {
    if (text.startsWith(value.slice(0, length), at - length)) return length;
  }
  return 0;
}

function maskSpans(text: string, spans: [number, number][]): string {
  if (spans.length === 0) return text;

  // A secret found in a mask already there ("RED" in "[REDACTED]") takes the
  // whole mask, so masking twice changes nothing.
  for (let at = text.indexOf(MASK); at >= 0; at = text.indexOf(MASK, at + 1)) {
    spans.push([at, at + MASK.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of spans) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }

  let out = '';
  let cursor = 0;
  for (const [start, end] of merged) {
    out += text.slice(cursor, start) + MASK;
    cursor = end;
  }
  return out + text.slice(cursor);
}

function isMaskable(value: unknown): boolean {
  if (typeof value === 'string') return value !== '' && value !== MASK;
  return typeof value === 'number';
}

/** The secret, its trimmed form and its Unicode normalisations. */
function variantsOf(secret: string): Set<string> {
  const variants = new Set<string>([secret, secret.trim()]);
  for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) {
    variants.add(secret.normalize(form));
  }
  return variants;
}

/**
 * What to look for in the decoded views: the value itself; its base64, whole
 * and as the part that survives inside a longer base64 text at any of the
 * three alignments (Basic auth puts `user:` in front of a password); and its
 * bytes as a JSON-serialised Buffer or a hex dump shows them.
 */
function needlesOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const needles = [value];

  for (const alphabet of ['base64', 'base64url'] as const) {
    const whole = bytes.toString(alphabet);
    needles.push(whole, whole.replace(/=+$/, ''));
    for (let offset = 0; offset < 3; offset += 1) {
      const padded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet);
      const first = Math.ceil((offset * 8) / 6);
      const last = Math.floor(((offset + bytes.length) * 8) / 6);
      if (last - first >= MIN_BASE64_FRAGMENT) needles.push(padded.slice(first, last));
    }
  }

  const list = [...bytes];
  needles.push(list.join(','), list.join(', '));
  const hex = list.map((b) => b.toString(16).padStart(2, '0'));
  for (const form of [hex.join(''), hex.join(' ')]) needles.push(form, form.toUpperCase());

  return needles.filter((n) => n.length >= MIN_SECRET_LENGTH);
}

// ---------------------------------------------------------------------------
// Decoded views of a text. Each maps every character it holds back to the
// span of the text it came from, so a secret found in a view is masked in
// the text whatever escapes it was written with. Decoders are lenient: what
// is not a valid escape passes through as it is, so mixed text (a value in
// which only some characters were encoded) decodes too.

type View = { text: string; starts: Int32Array; ends: Int32Array };

type Decoder = {
  name: string;
  /** Every escape this decoder reads starts with one of these characters. */
  trigger: RegExp;
  /** The escape at `at`, decoded, or null when there is none. */
  read(text: string, at: number): { value: string; length: number } | null;
};

const JS_SHORT: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  0: '\0',
};
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos|nbsp));/y;

/** %XX, a whole UTF-8 sequence of them at a time. */
const percent: Decoder = {
  name: 'percent',
  trigger: /%/,
  read(text, at) {
    const lead = hexByte(text, at);
    if (lead === null) return null;

    const size = utf8Length(lead);
    if (size === 0) return null;
    const bytes = [lead];
    for (let i = 1; i < size; i += 1) {
      const next = hexByte(text, at + 3 * i);
      if (next === null || next < 0x80 || next > 0xbf) return null;
      bytes.push(next);
    }

    const value = Buffer.from(bytes).toString('utf8');
    // Overlong forms and surrogates decode to U+FFFD: not a character.
    if (value.includes('\ufffd')) return null;
    return { value, length: 3 * size };
  },
};

/** The bytes of a UTF-8 sequence that starts with `lead`; 0 if none can. */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return lead < 0xf5 ? 4 : 0;
}

/** Form encoding: percent, and `+` for a space. */
const form: Decoder = {
  name: 'form',
  trigger: /[%+]/,
  read: (text, at) => (text[at] === '+' ? { value: ' ', length: 1 } : percent.read(text, at)),
};

/**
 * JSON and JavaScript string escapes (`\'`, `\xHH` and `\u{…}` too); a
 * surrogate pair decodes one \u unit at a time.
 */
const json: Decoder = {
  name: 'json',
  trigger: /\\/,
  read: (text, at) => readEscape(text, at, true),
};

/**
 * Strings as chai prints them in assertion messages (through loupe): quoted
 * with `'`, which is escaped, as are control characters, while a backslash
 * stands for itself.
 */
const loupe: Decoder = {
  name: 'loupe',
  trigger: /\\/,
  read: (text, at) =>
    text[at + 1] === '\\' || text[at + 1] === '"' ? null : readEscape(text, at, false),
};

type Decoded = { value: string; length: number } | null;

function readEscape(text: string, at: number, isJson: boolean): Decoded {
  if (text[at] !== '\\') return null;
  const next = text[at + 1];
  if (next !== undefined && next in JS_SHORT) return { value: JS_SHORT[next], length: 2 };

  const unit = /^u([0-9a-fA-F]{4})/.exec(text.slice(at + 1, at + 6));
  if (unit) return { value: String.fromCharCode(parseInt(unit[1], 16)), length: 6 };
  if (isJson) {
    const byte = /^x([0-9a-fA-F]{2})/.exec(text.slice(at + 1, at + 4));
    if (byte) return { value: String.fromCharCode(parseInt(byte[1], 16)), length: 4 };
    const point = /^u\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(at + 1, at + 10));
    if (point && parseInt(point[1], 16) <= 0x10ffff) {
      return { value: String.fromCodePoint(parseInt(point[1], 16)), length: point[0].length + 1 };
    }
  }
  return null;
}

/** HTML character references: the named ones escapers use, decimal and hex. */
const html: Decoder = {
  name: 'html',
  trigger: /&/,
  read(text, at) {
    ENTITY.lastIndex = at;
    const match = ENTITY.exec(text);
    if (!match) return null;

    if (match[3]) return { value: NAMED[match[3]], length: match[0].length };
    const code = match[1] !== undefined ? Number(match[1]) : parseInt(match[2], 16);
    if (code > 0x10ffff) return null;
    return { value: String.fromCodePoint(code), length: match[0].length };
  },
};

// The layers a value meets on its way out: a form body (`+` or `%20`), a
// query string, JSON, HTML or XML, JSON inside JSON (a report that stores a
// request body), HTML around JSON, double percent-encoding, and chai.
const CHAINS: Decoder[][] = [
  [form],
  [percent],
  [percent, percent],
  [form, json],
  [json],
  [json, form],
  [json, percent],
  [json, json],
  [json, json, json],
  [html],
  [html, json],
  [html, json, json],
  [html, form],
  // chai's assertion messages: as printed, in a JSON report, in XML or HTML.
  [loupe],
  [json, loupe],
  [html, loupe],
  [html, json, loupe],
];

function viewsOf(text: string): View[] {
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    starts[i] = i;
    ends[i] = i + 1;
  }
  const raw: View = { text, starts, ends };

  const views = [raw];
  const cache = new Map<string, View>();
  for (const chain of CHAINS) {
    let view = raw;
    let key = '';
    for (const decoder of chain) {
      key += `${decoder.name}/`;
      const known = cache.get(key);
      view = known ?? decode(view, decoder);
      if (!known) cache.set(key, view);
    }
    if (!views.some((v) => v === view || v.text === view.text)) views.push(view);
  }
  return views;
}

function decode(view: View, decoder: Decoder): View {
  const source = view.text;
  if (!decoder.trigger.test(source)) return view;

  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let at = 0; at < source.length; ) {
    const decoded = decoder.read(source, at);
    const length = decoded ? decoded.length : 1;
    const value = decoded ? decoded.value : source[at];
    const start = view.starts[at];
    const end = view.ends[at + length - 1];
    for (let i = 0; i < value.length; i += 1) {
      starts.push(start);
      ends.push(end);
    }
    text += value;
    at += length;
  }
  return { text, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

function hexByte(text: string, at: number): number | null {
  if (text[at] !== '%') return null;
  const hex = text.slice(at + 1, at + 3);
  return /^[0-9a-fA-F]{2}$/.test(hex) ? parseInt(hex, 16) : null;
}


// ---------------------------------------------------------------------------
// Masking by key, for secrets nobody told the redactor about.

// "password": "…" in JSON, the value ending at the first unescaped quote;
// a number becomes a masked string, so the JSON stays valid.
const JSON_KEY = new RegExp(String.raw`("(?:${SECRET_KEY})"\s*:\s*")((?:[^"\\]|\\.)*)(")`, 'gi');
const JSON_NUMBER = new RegExp(String.raw`("(?:${SECRET_KEY})"\s*:\s*)(-?\d[\d.eE+-]*)`, 'gi');

// The same inside a JSON string (JSON in JSON): \"password\":\"…\". Inside,
// \\ is one backslash of the inner text and \" one of its quotes.
const INNER_CHAR = String.raw`(?:\\\\(?:\\\\|\\"|[^"\\]|\\[^"\\])|[^"\\]|\\[^"\\])`;
const ESCAPED_JSON_KEY = new RegExp(
  String.raw`(\\"(?:${SECRET_KEY})\\"\s*:\s*\\")(${INNER_CHAR}*)(\\")`,
  'gi',
);

// A Postman variable or header: {"key":"mfaPassword","value":"…"}, or any
// variable typed secret: {"key":"x","value":"…","type":"secret"}.
const PAIR_KEY = new RegExp(
  String.raw`("key"\s*:\s*"(?:${SECRET_KEY})"\s*,\s*"value"\s*:\s*")((?:[^"\\]|\\.)*)(")`,
  'gi',
);
const PAIR_TYPED = new RegExp(
  String.raw`("value"\s*:\s*")((?:[^"\\]|\\.)*)("\s*,\s*"type"\s*:\s*"secret")`,
  'gi',
);

// password=… in a form body or a query string.
const FORM_KEY = new RegExp(String.raw`(^|[?&;\s"'])((?:${SECRET_KEY})=)([^&\s"'<>\\#]*)`, 'gi');

// Authorization: …, password: '…' — header lines, YAML, util.inspect. A
// double-quoted key is JSON, which the rules above handle. Unquoted values
// run to the end of the line (an Authorization value has spaces in it, and
// so may a password) or to the end of the JSON string they sit in.
//
// Prose has colons too ("response carries a refresh token: expected …"), so
// a bare word (password, secret, token) counts as a key only where a key
// stands: at the start of a line, or after `{` or `,` as util.inspect
// prints it. Compound names (access_token, mfaPassword, VBR_MFA_PASSWORD,
// X-Auth-Token, Authorization) count anywhere.
const WORD = '(?:password|passwd|secret|token)';
const BARE_KEY =
  String.raw`(?:(?<=^[ \t]*)|(?<=[{,][ \t]*))` +
  `(?:${WORD}|${upper(WORD)}|Password|Secret|Token)`;
const COMPOUND_KEY = [
  String.raw`(?<![\w.-])[\w.]*_(?:${WORD}|${upper(WORD)})`,
  String.raw`(?<![\w.-])[A-Za-z0-9]*[a-z0-9](?:Password|Passwd|Secret|Token)`,
  String.raw`(?<![\w.-])[Xx]-[\w-]*(?:[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Kk]ey|KEY)`,
  String.raw`(?<![\w.-])(?:(?:[Pp]roxy|PROXY)-)?(?:[Aa]uthorization|AUTHORIZATION)`,
].join('|');
const COLON_VALUE = String.raw`'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|(?:[^\r\n"\\]|\\[^"\\nrt])*`;
const COLON_KEY = new RegExp(
  String.raw`(('?)(?:${BARE_KEY}|${COMPOUND_KEY})\2[ \t]*:[ \t]*)(${COLON_VALUE})`,
  'gm',
);

function upper(pattern: string): string {
  return pattern.replace(/[a-z]+/g, (word) => word.toUpperCase());
}

function maskByKey(text: string): string {
  const keep = (value: string) =>
    value === '' || value === MASK || value === encodeURIComponent(MASK);
  const quoted = (_m: string, open: string, value: string, close: string) =>
    keep(value) ? `${open}${value}${close}` : `${open}${MASK}${close}`;

  return text
    .replace(JSON_KEY, quoted)
    .replace(JSON_NUMBER, (_m, open: string) => `${open}"${MASK}"`)
    .replace(ESCAPED_JSON_KEY, quoted)
    .replace(PAIR_KEY, quoted)
    .replace(PAIR_TYPED, quoted)
    .replace(FORM_KEY, (_m, lead: string, key: string, value: string) =>
      keep(value) ? `${lead}${key}${value}` : `${lead}${key}${MASK}`,
    )
    .replace(COLON_KEY, (_m, key: string, _quote: string, value: string) => {
      const quote = /^["']/.test(value) ? value[0] : '';
      const inner = quote ? value.slice(1, -1) : value.trim();
      if (keep(inner)) return `${key}${value}`;
      return `${key}${quote}${MASK}${quote}`;
    });
}

// ---------------------------------------------------------------------------
// Masking by shape: whatever looks like a token or embedded credentials.

// Bearer and Basic credentials in a header value. `Bearer {{accessToken}}`,
// an unresolved variable, stays readable, and so does prose such as "Basic
// authentication": a credential has a digit, a symbol or inner capitals.
const SCHEME = /(\b(?:Bearer|bearer|BEARER|Basic|BASIC)(?:\s+|%20|\+))([A-Za-z0-9._~+/-]{8,}=*)/g;

// A JWT (or JWE): base64url parts separated by dots, the first of them a
// JSON header, which always encodes to `eyJ`. A letter before it means a
// word such as "monkeyJumps", not a token.
const JWT = /(?<![A-Za-z])eyJ[\w-]{8,}\.[\w-]+(?:\.[\w-]+)*/g;

// user:password@ in a URL.
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi;

function maskByShape(text: string): string {
  return text
    .replace(SCHEME, (match, scheme: string, credential: string) => {
      const isCredential = /[\d+/=._~-]/.test(credential) || /[A-Z]/.test(credential.slice(1));
      return isCredential ? `${scheme}${MASK}` : match;
    })
    .replace(JWT, MASK)
    .replace(USERINFO, (_m, scheme: string) => `${scheme}${MASK}@`);
}
