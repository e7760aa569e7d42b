import { encodingsOf, isSecretKey, MASK, Redactor } from '../../src/redact';
import { hostileCorpus, leaksOf, spellings } from './corpus';

const HOSTILE = ' p&ss+w%rd#x=y;z"\'\\ é 密码 😀 ';

function redactorFor(...secrets: string[]): Redactor {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor;
}

describe('Redactor, masking values it was given', () => {
  it.each(Object.entries(spellings(HOSTILE)))('masks the %s form of a hostile password', (_name, form) => {
    const redactor = redactorFor(HOSTILE);

    const out = redactor.redact(`before ${form} after`);

    expect(out).toBe(`before ${MASK} after`);
  });

  it('masks a value in a form body whichever space encoding was used', () => {
    const redactor = redactorFor('a b+c');

    const out = redactor.redact('password=a+b%2Bc&x=1 and pw=a%20b%2bc;');

    expect(out).toBe(`password=${MASK}&x=1 and pw=${MASK};`);
  });

  it('masks a value that was only partly percent-encoded, as encodeURI leaves it', () => {
    const redactor = redactorFor(HOSTILE);

    const out = redactor.redact(`url=${encodeURI(HOSTILE)}`);

    expect(out).toBe(`url=${MASK}`);
  });

  it('masks a value escaped the way other JSON writers do (\\u for every non-ASCII character, \\/ for a slash)', () => {
    const secret = 'é/"x\\密😀';
    const asciiJson = JSON.stringify(secret)
      .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .replace(/\//g, '\\/');
    const redactor = redactorFor(secret);

    const out = redactor.redact(`{"v":${asciiJson}}`);

    expect(out).toBe(`{"v":"${MASK}"}`);
  });

  it('masks a value HTML-escaped by a template engine (&#x27; &#x3D; &#x60;) and by hand (&#39; &apos;)', () => {
    const secret = `a'b=c\`d&e"f`;
    const handlebars = "a&#x27;b&#x3D;c&#x60;d&amp;e&quot;f";
    const byHand = 'a&#39;b=c`d&amp;e&#34;f';
    const redactor = redactorFor(secret);

    const out = redactor.redact(`<td>${handlebars}</td><td>${byHand}</td><td>a&apos;b=c\`d&e"f</td>`);

    expect(out).toBe(`<td>${MASK}</td><td>${MASK}</td><td>${MASK}</td>`);
  });

  it('masks a value inside JSON inside JSON inside JSON', () => {
    const redactor = redactorFor(HOSTILE);
    const thrice = JSON.stringify(JSON.stringify(JSON.stringify({ p: HOSTILE })));

    const out = redactor.redact(thrice);

    expect(leaksOf(out, [HOSTILE])).toEqual([]);
    expect(out).toContain(MASK);
  });

  it('masks a form body stored in a JSON report, HTML-escaped for a page', () => {
    const body = new URLSearchParams({ grant_type: 'password', username: 'u', password: HOSTILE }).toString();
    const page = JSON.stringify({ body }).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    const redactor = redactorFor(HOSTILE);

    const out = redactor.redact(page);

    expect(out).toBe(
      '{&quot;body&quot;:&quot;grant_type=password&amp;username=u&amp;password=[REDACTED]&quot;}',
    );
  });

  it('masks a doubly percent-encoded value', () => {
    const redactor = redactorFor(HOSTILE);

    const out = redactor.redact(`next=${encodeURIComponent(`/login?p=${encodeURIComponent(HOSTILE)}`)}`);

    expect(out).toBe(`next=%2Flogin%3Fp%3D${MASK}`);
  });

  it('masks Basic auth credentials and the password inside any base64 text', () => {
    const redactor = new Redactor();
    redactor.addCredentials('svc-harness', HOSTILE);
    const basic = Buffer.from(`svc-harness:${HOSTILE}`).toString('base64');
    const shifted = Buffer.from(`xy${HOSTILE}tail`).toString('base64');

    const out = redactor.redact(`Authorization: Basic ${basic}\nblob ${shifted}`);

    expect(out).not.toContain(basic);
    expect(leaksOf(out, [HOSTILE])).toEqual([]);
    expect(out).toMatch(/^Authorization: \[REDACTED\]\nblob /);
  });

  it('masks a value in a JSON-serialised Buffer and in a hex dump', () => {
    const redactor = redactorFor('hunter2!');
    const buffer = JSON.stringify(Buffer.from('x hunter2! y'));
    const hex = Buffer.from('hunter2!').toString('hex');

    const out = redactor.redact(`${buffer} <Buffer ${hex.match(/../g)?.join(' ')}> ${hex.toUpperCase()}`);

    expect(out).toBe(`{"type":"Buffer","data":[120,32,${MASK},32,121]} <Buffer ${MASK}> ${MASK}`);
  });

  it('masks a value written with its spaces trimmed or in another Unicode normal form', () => {
    const secret = '  Cafe\u0301 pass  ';
    const redactor = redactorFor(secret);

    const out = redactor.redact(`a=${secret.trim()} b=${secret.normalize('NFC')}`);

    expect(out).toBe(`a=${MASK} b=${MASK}`);
  });

  it('masks a value as chai prints it in an assertion message', () => {
    const secret = `a'b\\c"d\ne\u0001f`;
    const message = `expected 'a\\'b\\c"d\\ne\\u0001f' to equal 'x'`;
    const redactor = redactorFor(secret);

    const out = redactor.redact(`${message} ${JSON.stringify({ reason: message })}`);

    expect(out).toBe(`expected '${MASK}' to equal 'x' {"reason":"expected '${MASK}' to equal 'x'"}`);
  });

  it('masks the start of a value cut short by an ellipsis, as chai and util.inspect cut them', () => {
    const secret = `${'p&ss'.repeat(20)}-end`;
    const redactor = redactorFor(secret);

    const out = redactor.redact(`expected 'x ${secret.slice(0, 30)}…' and '${secret.slice(0, 12)}'... 40 more characters`);

    expect(out).toBe(`expected 'x ${MASK}…' and '${MASK}'... 40 more characters`);
  });

  it('leaves nothing of two overlapping secrets, whichever is longer', () => {
    const redactor = redactorFor('abcdef', 'defghijklm');

    const out = redactor.redact('xx abcdefghijklm yy');

    expect(out).toBe(`xx ${MASK} yy`);
  });

  it('masks every occurrence, including overlapping ones of the same secret', () => {
    const redactor = redactorFor('aXa');

    const out = redactor.redact('aXaXa and aXa');

    expect(out).toBe(`${MASK} and ${MASK}`);
  });

  it('never masks its own mask again', () => {
    const redactor = redactorFor('RED', 'ACT', 'hunter2');

    const once = redactor.redact('pw hunter2 and RED');
    const twice = redactor.redact(once);

    expect(once).toBe(`pw ${MASK} and ${MASK}`);
    expect(twice).toBe(once);
  });

  it('ignores values shorter than three characters, so ordinary text survives', () => {
    const redactor = redactorFor('a', 'ok', '');

    const out = redactor.redact('a token is ok');

    expect(out).toBe('a token is ok');
  });

  it('knows the usual encodings a caller may search for', () => {
    const forms = encodingsOf('a b&c');

    expect(forms).toEqual(
      expect.arrayContaining(['a b&c', 'a%20b%26c', 'a+b%26c', 'a b&amp;c', Buffer.from('a b&c').toString('base64')]),
    );
  });
});

describe('Redactor, masking by key', () => {
  const redactor = new Redactor();

  it.each([
    ['a JSON password', '{"password":"s3cr3t!","user":"bob"}', `{"password":"${MASK}","user":"bob"}`],
    ['a JSON token with escapes in it', '{"access_token":"a\\"b\\\\c","x":1}', `{"access_token":"${MASK}","x":1}`],
    ['a numeric JSON password', '{"password": 12345}', `{"password": "${MASK}"}`],
    ['a refresh token in JSON inside JSON', '"{\\"refresh_token\\":\\"r-1\\\\\\"2\\",\\"x\\":1}"', `"{\\"refresh_token\\":\\"${MASK}\\",\\"x\\":1}"`],
    ['a Postman variable', '{"key":"mfaPassword","value":"s3cr3t","type":"secret"}', `{"key":"mfaPassword","value":"${MASK}","type":"secret"}`],
    ['any variable typed secret', '{"key":"apiKey","value":"k-123","type":"secret"}', `{"key":"apiKey","value":"${MASK}","type":"secret"}`],
    ['a form body', 'grant_type=password&username=bob&password=s%26cret&x=1', `grant_type=password&username=bob&password=${MASK}&x=1`],
    ['a query string', 'GET /cb?access_token=abc.def&state=1', `GET /cb?access_token=${MASK}&state=1`],
    ['a refresh grant', 'grant_type=refresh_token&refresh_token=rt-1', `grant_type=refresh_token&refresh_token=${MASK}`],
    ['an Authorization header', 'Authorization: Bearer abc', `Authorization: ${MASK}`],
    ['an Authorization header in any case', 'authorization:Basic dXNlcjpwYXNz', `authorization:${MASK}`],
    ['a header inside a JSON string', '{"m":"Authorization: Bearer abc","n":1}', `{"m":"Authorization: ${MASK}","n":1}`],
    ['an inspected object', "{ password: 'it''s', user: 'bob' }", `{ password: '${MASK}''s', user: 'bob' }`],
    ['a YAML line', 'password: p a s s\nuser: bob', `password: ${MASK}\nuser: bob`],
    ['an environment line', 'VBR_MFA_PASSWORD=abc', `VBR_MFA_PASSWORD=${MASK}`],
    ['an X- header', 'X-Auth-Token: t-1', `X-Auth-Token: ${MASK}`],
  ])('masks %s', (_name, text, expected) => {
    const out = redactor.redact(text);

    expect(out).toBe(expected);
  });

  it.each([
    ['check ids ending in token', 'logout-revokes-token: POST /api/oauth2/logout got no response'],
    ['a check id holding password', 'wrong-password-refused: expected 401'],
    ['an assertion name', 'wrong password gets 401: expected 200 to equal 401'],
    ['an unresolved bearer token', 'Authorization Bearer {{accessToken}} reached the wire unresolved'],
    ['a variable name', 'mfa-user-refused: {{mfaPassword}} reached the wire unresolved'],
    ['token_type', '{"token_type":"bearer","expires_in":900}'],
    ['empty values', '{"password":"","access_token":""} password=&x=1'],
    ['a null in JSON', '{"password": null}'],
    ['prose', 'Basic authentication and bearer JWT tokens are explained at /api/oauth2/token'],
    ['a file variable in an error', 'VBR_MFA_PASSWORD_FILE names /run/secrets/mfa, which cannot be read: no such file'],
    ['an assertion about tokens', "response carries an access token and a refresh token: expected 'undefined' to equal 'string'"],
    ['an assertion about a password', 'rejects the wrong password: expected 200 to equal 401'],
    ['a sentence about a secret', 'echoes a secret: expected 1 to equal 2'],
  ])('leaves %s readable', (_name, text) => {
    const out = redactor.redact(text);

    expect(out).toBe(text);
  });

  it('names the keys that hold secrets', () => {
    const keys = ['password', 'mfaPassword', 'VBR_MFA_PASSWORD', 'access_token', 'refreshToken', 'Authorization', 'client_secret'];
    const names = ['token_type', 'username', 'service-account-token', 'expires_in', 'VBR_MFA_PASSWORD_FILE'];

    expect(keys.filter((k) => !isSecretKey(k))).toEqual([]);
    expect(names.filter((k) => isSecretKey(k))).toEqual([]);
  });
});

describe('Redactor, masking by shape', () => {
  const redactor = new Redactor();

  it('masks a JWT wherever it appears, percent-encoded JSON included', () => {
    const jwt = 'eyJhbGciOiJSUzUxMiJ9.eyJ1bmlxdWVfbmFtZSI6InN2YyJ9.c2lnbmF0dXJl';

    const out = redactor.redact(`t=${jwt}; %22${jwt}%22; (${jwt}).`);

    expect(out).toBe(`t=${MASK}; %22${MASK}%22; (${MASK}).`);
  });

  it('masks a bearer credential on its own', () => {
    const out = redactor.redact('sent Bearer 0123456789abcdef and Basic dXNlcjpwYXNz=');

    expect(out).toBe(`sent Bearer ${MASK} and Basic ${MASK}`);
  });

  it('masks credentials in a URL', () => {
    const out = redactor.redact('https://bob:s3cret@vbr.test:9419/api');

    expect(out).toBe(`https://${MASK}@vbr.test:9419/api`);
  });

  it('leaves words that merely contain eyJ alone', () => {
    const out = redactor.redact('monkeyJumps.over.thefence');

    expect(out).toBe('monkeyJumps.over.thefence');
  });
});

describe('Redactor.redactValue', () => {
  it('masks the values of secret keys at any depth and every string holding a secret', () => {
    const redactor = redactorFor('hunter2');
    const value = {
      a: [{ password: 'x', note: 'pw is hunter2' }],
      headers: [{ key: 'Authorization', value: 'Bearer t' }],
      accessToken: 'abc',
      hasToken: true,
      count: 3,
    };

    const out = redactor.redactValue(value);

    expect(out).toEqual({
      a: [{ password: MASK, note: `pw is ${MASK}` }],
      headers: [{ key: 'Authorization', value: MASK }],
      accessToken: MASK,
      hasToken: true,
      count: 3,
    });
  });

  it('keeps the value valid where masking its JSON text would break an escape', () => {
    // Masking "nabc…" in the JSON text would leave `\` before the mask.
    const redactor = redactorFor('nabcdef');
    const value = { reason: 'line\nnabcdef', other: 'tab\tnabcdef\\' };

    const out = redactor.redactValue(value);

    expect(out).toEqual({ reason: `line\n${MASK}`, other: `tab\t${MASK}\\` });
  });
});

describe('Redactor against a hostile corpus', () => {
  it('leaves no corpus secret findable in any encoding, embedded in any text', () => {
    const corpus = hostileCorpus(60, 20240611);
    const redactor = redactorFor(...corpus);
    const texts = corpus.flatMap((secret, i) =>
      Object.values(spellings(secret)).map((form) => `${i}:[${form}]:${i % 7 === 0 ? '\n' : ' '}`),
    );

    const out = redactor.redact(texts.join(''));

    expect(leaksOf(out, corpus)).toEqual([]);
  });
});
