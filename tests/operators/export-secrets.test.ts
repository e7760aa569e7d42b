import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { loadCollection } from '../../src/config/collection';
import { COLLECTION_FILE, runCli, scratch, type Scratch } from './support';

const COLLECTION_NAME = 'with-secrets.postman_collection.json';
const ENVIRONMENT_NAME = 'with-secrets.postman_environment.json';

/** One distinct password per place a collection can hold one. */
const PLANTED = {
  collectionBasic: 'Pw-collection-basic-4qZ',
  collectionSecretVariable: 'Pw-collection-typed-secret-7rT',
  collectionNamedVariable: 'Pw-collection-named-2kV',
  folderBearer: 'Pw-folder-bearer-9mX',
  folderSecretVariable: 'Pw-folder-typed-secret-3pL',
  requestApiKey: 'Pw-request-apikey-6wB',
  requestDigest: 'Pw-request-digest-1nC',
  requestOauth2Token: 'Pw-request-oauth2-token-8hD',
  requestOauth2ClientSecret: 'Pw-request-oauth2-client-5jF',
  requestOauth2Password: 'Pw-request-oauth2-password-0gH',
  requestOauth2Nested: 'Pw-request-oauth2-nested-4tR',
  requestBasic: 'Pw-request-basic-2sJ',
  requestSecretVariable: 'Pw-request-typed-secret-7yK',
  urlencoded: 'Pw-urlencoded-field-3uM',
  formdata: 'Pw-formdata-field-5iN',
  rawJson: 'Pw-raw-json-9oP',
  rawForm: 'Pw-raw-form-1aQ',
  rawXml: 'Pw-raw-xml-6dS',
  authorizationHeader: 'Pw-authorization-header-8fU',
  queryParameter: 'Pw-query-parameter-0lW',
  headerLines: 'Pw-header-lines-2xY',
} as const;

const header = (key: string, value: string) => ({ key, value });

/** The shipped collection with a password planted in every place above. */
function collectionWithSecrets(): Record<string, unknown> {
  const json = structuredClone(loadCollection(COLLECTION_FILE).json) as any;

  json.auth = {
    type: 'basic',
    basic: [
      { key: 'username', value: 'svc-operator', type: 'string' },
      { key: 'password', value: PLANTED.collectionBasic, type: 'string' },
    ],
  };
  json.variable.push(
    { key: 'loginHint', value: PLANTED.collectionSecretVariable, type: 'secret' },
    { key: 'adminPassword', value: PLANTED.collectionNamedVariable, type: 'string' },
    { key: 'keptReference', value: '{{serviceAccountPassword}}', type: 'secret' },
  );

  json.item.push({
    name: 'operator extras',
    description: 'Requests an operator added by hand.',
    auth: { type: 'bearer', bearer: [{ key: 'token', value: PLANTED.folderBearer, type: 'string' }] },
    variable: [{ key: 'folderValue', value: PLANTED.folderSecretVariable, type: 'secret' }],
    item: [
      {
        name: 'API key and form bodies',
        variable: [{ key: 'requestValue', value: PLANTED.requestSecretVariable, type: 'secret' }],
        request: {
          method: 'POST',
          url: {
            raw: `{{baseUrl}}/api/v1/custom?password=${PLANTED.queryParameter}&limit=1`,
            host: ['{{baseUrl}}'],
            path: ['api', 'v1', 'custom'],
            query: [
              { key: 'password', value: PLANTED.queryParameter },
              { key: 'limit', value: '1' },
            ],
          },
          auth: {
            type: 'apikey',
            apikey: [
              { key: 'key', value: 'X-Api-Key', type: 'string' },
              { key: 'value', value: PLANTED.requestApiKey, type: 'string' },
              { key: 'in', value: 'header', type: 'string' },
            ],
          },
          header: [header('Authorization', `Basic ${PLANTED.authorizationHeader}`), header('Accept', 'application/json')],
          body: {
            mode: 'urlencoded',
            urlencoded: [
              { key: 'grant_type', value: 'password' },
              { key: 'username', value: '{{serviceAccountUsername}}' },
              { key: 'password', value: PLANTED.urlencoded },
            ],
          },
        },
      },
      {
        name: 'Digest and form data',
        request: {
          method: 'POST',
          url: '{{baseUrl}}/api/v1/digest',
          auth: {
            type: 'digest',
            digest: [
              { key: 'username', value: 'svc-operator', type: 'string' },
              { key: 'password', value: PLANTED.requestDigest, type: 'string' },
              { key: 'algorithm', value: 'MD5', type: 'string' },
            ],
          },
          body: {
            mode: 'formdata',
            formdata: [
              { key: 'username', value: '{{serviceAccountUsername}}', type: 'text' },
              { key: 'password', value: PLANTED.formdata, type: 'text' },
            ],
          },
        },
      },
      {
        name: 'OAuth 2 and a raw JSON body',
        request: {
          method: 'POST',
          url: '{{baseUrl}}/api/v1/oauth',
          auth: {
            type: 'oauth2',
            oauth2: [
              { key: 'accessToken', value: PLANTED.requestOauth2Token, type: 'string' },
              { key: 'clientSecret', value: PLANTED.requestOauth2ClientSecret, type: 'string' },
              { key: 'password', value: PLANTED.requestOauth2Password, type: 'string' },
              { key: 'grant_type', value: 'password_credentials', type: 'string' },
              { key: 'tokenRequestParams', value: [{ key: 'client_assertion', value: PLANTED.requestOauth2Nested }], type: 'any' },
              { key: 'addTokenTo', value: 'header', type: 'string' },
            ],
          },
          body: {
            mode: 'raw',
            raw: `{\n  "username": "{{serviceAccountUsername}}",\n  "password": "${PLANTED.rawJson}"\n}`,
            options: { raw: { language: 'json' } },
          },
        },
      },
      {
        name: 'Basic auth and a raw form body',
        request: {
          method: 'POST',
          url: '{{baseUrl}}/api/oauth2/token',
          auth: {
            type: 'basic',
            basic: [
              { key: 'username', value: '{{serviceAccountUsername}}', type: 'string' },
              { key: 'password', value: PLANTED.requestBasic, type: 'string' },
            ],
          },
          body: { mode: 'raw', raw: `grant_type=password&username=svc&password=${PLANTED.rawForm}` },
        },
      },
      {
        name: 'A raw XML body and kept references',
        request: {
          method: 'POST',
          url: '{{baseUrl}}/api/v1/xml',
          auth: {
            type: 'basic',
            basic: [
              { key: 'username', value: '{{serviceAccountUsername}}', type: 'string' },
              { key: 'password', value: '{{serviceAccountPassword}}', type: 'string' },
            ],
          },
          header: `Accept: application/json\nAuthorization: Basic ${PLANTED.headerLines}\nX-Trace: {{traceId}}`,
          body: { mode: 'raw', raw: `<login><user>svc</user><password>${PLANTED.rawXml}</password></login>` },
        },
      },
    ],
  });
  return json;
}

describe('veeam-auth export of a collection that holds passwords', () => {
  let out: Scratch;
  let exportedText: string;
  let exported: any;

  beforeAll(async () => {
    out = scratch();
    const source = path.join(out.dir, COLLECTION_NAME);
    writeFileSync(source, JSON.stringify(collectionWithSecrets(), null, 2));

    const result = await runCli(['export', path.join(out.dir, 'export'), '--collection', source]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const files = [COLLECTION_NAME, ENVIRONMENT_NAME].map((name) => path.join(out.dir, 'export', name));
    exportedText = files.map((file) => readFileSync(file, 'utf8')).join('\n');
    exported = JSON.parse(readFileSync(files[0], 'utf8'));
  });

  afterAll(() => out.remove());

  it.each(Object.entries(PLANTED))('writes no trace of the password planted in %s', (_place, password) => {
    expect(exportedText).not.toContain(password);
    expect(exportedText).not.toContain(encodeURIComponent(password));
    expect(exportedText).not.toContain(Buffer.from(password).toString('base64'));
  });

  it('keeps every blanked entry, so Postman shows what to fill in', () => {
    const extras = exported.item.find((f: any) => f.name === 'operator extras');
    const request = (name: string) => extras.item.find((i: any) => i.name === name);
    const entry = (list: any[], key: string) => list.find((e) => e.key === key);

    expect(exported.auth.basic).toEqual([
      { key: 'username', value: '', type: 'string' },
      { key: 'password', value: '', type: 'string' },
    ]);
    expect(entry(exported.variable, 'loginHint')).toMatchObject({ value: '', type: 'secret' });
    expect(entry(exported.variable, 'adminPassword')).toMatchObject({ value: '' });
    expect(extras.auth.bearer).toEqual([{ key: 'token', value: '', type: 'string' }]);
    expect(extras.variable).toEqual([{ key: 'folderValue', value: '', type: 'secret' }]);

    const apiKey = request('API key and form bodies');
    expect(apiKey.variable).toEqual([{ key: 'requestValue', value: '', type: 'secret' }]);
    expect(apiKey.request.auth.apikey.map((e: any) => [e.key, e.value])).toEqual([['key', 'X-Api-Key'], ['value', ''], ['in', 'header']]);
    expect(apiKey.request.body.urlencoded.map((e: any) => [e.key, e.value])).toEqual([
      ['grant_type', 'password'],
      ['username', '{{serviceAccountUsername}}'],
      ['password', ''],
    ]);
    expect(entry(apiKey.request.url.query, 'password').value).toBe('');
    expect(entry(apiKey.request.url.query, 'limit').value).toBe('1');
    expect(entry(apiKey.request.header, 'Authorization').value).toBe('');

    const digest = request('Digest and form data').request;
    expect(entry(digest.auth.digest, 'password').value).toBe('');
    expect(entry(digest.auth.digest, 'algorithm').value).toBe('MD5');
    expect(entry(digest.body.formdata, 'password')).toEqual({ key: 'password', value: '', type: 'text' });

    const oauth2 = request('OAuth 2 and a raw JSON body').request;
    expect(oauth2.auth.oauth2.map((e: any) => e.key)).toEqual(['accessToken', 'clientSecret', 'password', 'grant_type', 'tokenRequestParams', 'addTokenTo']);
    expect(entry(oauth2.auth.oauth2, 'grant_type').value).toBe('password_credentials');
    expect(entry(oauth2.auth.oauth2, 'password').value).toBe('');
    expect(JSON.parse(oauth2.body.raw)).toEqual({ username: '{{serviceAccountUsername}}', password: '' });

    expect(request('Basic auth and a raw form body').request.body.raw).toBe('grant_type=password&username=svc&password=');
    const xml = request('A raw XML body and kept references').request;
    expect(xml.body.raw).toBe('<login><user>svc</user><password></password></login>');
    expect(xml.header).toBe('Accept: application/json\nAuthorization: \nX-Trace: {{traceId}}');
  });

  it('keeps a value that is only a {{variable}} reference', () => {
    const extras = exported.item.find((f: any) => f.name === 'operator extras');
    const kept = extras.item.find((i: any) => i.name === 'A raw XML body and kept references');

    expect(kept.request.auth.basic.map((e: any) => e.value)).toEqual(['{{serviceAccountUsername}}', '{{serviceAccountPassword}}']);
    expect(exported.variable.find((v: any) => v.key === 'keptReference').value).toBe('{{serviceAccountPassword}}');
    expect(exported.item[0].item[0].request.body.urlencoded.map((e: any) => e.value)).toEqual([
      'password',
      '{{serviceAccountUsername}}',
      '{{serviceAccountPassword}}',
    ]);
  });
});
