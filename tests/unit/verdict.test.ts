import { CHECK_IDS } from '../../src/checks';
import { classifyTransport } from '../../src/runner/transport';
import { judge, unresolvedVariables } from '../../src/runner/verdict';
import { edit, execution, healthyExecutions } from '../support/executions';

function byId(executions: Parameters<typeof judge>[0]) {
  const judgement = judge(executions);
  return {
    ...judgement,
    check: (id: (typeof CHECK_IDS)[number]) => {
      const found = judgement.checks.find((c) => c.id === id);
      if (!found) throw new Error(`no verdict for ${id}`);
      return found;
    },
  };
}

describe('judge', () => {
  it('passes every check of a healthy run, in the documented order', () => {
    const executions = healthyExecutions();

    const judgement = judge(executions);

    expect(judgement.checks.map((c) => [c.id, c.outcome])).toEqual(
      CHECK_IDS.map((id) => [id, 'passed']),
    );
    expect(judgement.errors).toEqual([]);
    expect(judgement.transport).toBeNull();
  });

  it('reports the status and errorCode of the deciding request', () => {
    const executions = healthyExecutions();

    const { check } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      status: 401,
      errorCode: 'AccessDenied',
      reason: 'as expected',
    });
    expect(check('service-account-token').errorCode).toBeNull();
  });

  it('reads no errorCode from an empty or non-JSON body', () => {
    const executions = edit(
      edit(healthyExecutions(), 'mfa-user-refused', () => ({ responseBody: '' })),
      'wrong-password-refused',
      () => ({ responseBody: '<html>401</html>' }),
    );

    const { check } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      outcome: 'passed',
      status: 401,
      errorCode: null,
    });
    expect(check('wrong-password-refused').errorCode).toBeNull();
  });

  it('fails a check with the first failing assertion as its reason', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      status: 200,
      responseBody: JSON.stringify({ access_token: 'x.y.z', token_type: 'bearer' }),
      assertions: [
        { name: 'MFA user gets 401', error: 'status: expected 200 to equal 401' },
        { name: 'no access token is issued', error: 'expected true to equal false' },
      ],
    }));

    const { check } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      passed: false,
      outcome: 'failed',
      status: 200,
      reason: 'MFA user gets 401: status: expected 200 to equal 401',
    });
  });

  it('takes the status of the first failing request of a check', () => {
    const executions = healthyExecutions().map((e) =>
      e.itemName === 'Old token is refused after logout'
        ? {
            ...e,
            status: 200,
            assertions: [
              {
                name: 'old token gets 401 after logout',
                error: 'status: expected 200 to equal 401',
              },
            ],
          }
        : e,
    );

    const { check } = byId(executions);

    expect(check('logout-revokes-token')).toMatchObject({
      outcome: 'failed',
      status: 200,
    });
  });

  it('marks a check the collection has no request for as not run', () => {
    const executions = healthyExecutions().filter(
      (e) => e.folder !== 'wrong-password-refused',
    );

    const { check } = byId(executions);

    expect(check('wrong-password-refused')).toMatchObject({
      passed: false,
      outcome: 'not-run',
      status: null,
      reason: 'the collection has no request for this check',
    });
  });
});

describe('judge: unresolved variables', () => {
  it('fails a check whose header carried a raw {{variable}}, naming it', () => {
    const executions = edit(healthyExecutions(), 'unsupported-revision-refused', () => ({
      headers: [{ key: 'x-api-version', value: '{{unsupportedApiVersion}}' }],
    }));

    const { check, errors } = byId(executions);

    expect(check('unsupported-revision-refused')).toMatchObject({
      passed: false,
      outcome: 'failed',
      status: 400,
      reason:
        '{{unsupportedApiVersion}} reached the wire unresolved; ' +
        'define it in the environment or collection',
    });
    expect(errors).toContainEqual({
      code: 'ERR_UNRESOLVED_VARIABLE',
      message:
        'unsupported-revision-refused: {{unsupportedApiVersion}} reached the wire unresolved',
    });
  });

  it('fails a check whose form body carried a percent-encoded {{variable}}', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      body: 'grant_type=password&username=mfa-admin&password=%7B%7BmfaPassword%7D%7D',
    }));

    const { check, errors } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      passed: false,
      outcome: 'failed',
      status: 401,
    });
    expect(check('mfa-user-refused').reason).toMatch(/^\{\{mfaPassword\}\} reached the wire/);
    expect(errors.map((e) => e.code)).toEqual(['ERR_UNRESOLVED_VARIABLE']);
  });

  it('names every unresolved variable of the request', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      body:
        'grant_type=password&username=%7B%7BmfaUsername%7D%7D' +
        '&password=%7B%7BmfaPassword%7D%7D',
    }));

    const { check } = byId(executions);

    expect(check('mfa-user-refused').reason).toBe(
      '{{mfaUsername}}, {{mfaPassword}} reached the wire unresolved; ' +
        'define it in the environment or collection',
    );
  });
});

describe('unresolvedVariables', () => {
  it('finds names raw and percent-encoded in either case of hex', () => {
    const run = execution('mfa-user-refused', {
      url: 'https://vbr.test:9419/api/%7B%7BpathPart%7D%7D',
      headers: [{ key: 'Authorization', value: 'Bearer {{accessToken}}' }],
      body: 'username=%7B%7BmfaUsername%7D%7D&password=%7b%7bmfaPassword%7d%7d',
    });

    const names = unresolvedVariables(run);

    expect(names.sort()).toEqual(
      ['accessToken', 'mfaPassword', 'mfaUsername', 'pathPart'].sort(),
    );
  });

  it('finds a name in a body that is not valid percent-encoding', () => {
    const run = execution('mfa-user-refused', {
      body: 'password=100%&username=%7B%7BmfaUsername%7D%7D',
    });

    const names = unresolvedVariables(run);

    expect(names).toEqual(['mfaUsername']);
  });

  it('finds nothing in a fully resolved request', () => {
    const run = execution('service-account-token');

    const names = unresolvedVariables(run);

    expect(names).toEqual([]);
  });
});

describe('judge: requests without tests', () => {
  it('fails a request with no pm.test, whatever its status', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      itemName: 'MFA user is refused a token',
      assertions: [],
    }));

    const { check, errors } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      passed: false,
      outcome: 'failed',
      status: 401,
      reason: 'request "MFA user is refused a token" has no pm.test, so it cannot fail',
    });
    expect(errors).toEqual([
      {
        code: 'ERR_NO_TESTS',
        message: 'mfa-user-refused: request "MFA user is refused a token" has no pm.test',
      },
    ]);
  });

  it('fails a check when only its second request lacks tests', () => {
    const executions = healthyExecutions().map((e) =>
      e.itemName === 'Old token is refused after logout' ? { ...e, assertions: [] } : e,
    );

    const { check } = byId(executions);

    expect(check('logout-revokes-token')).toMatchObject({
      outcome: 'failed',
      reason:
        'request "Old token is refused after logout" has no pm.test, so it cannot fail',
    });
  });
});

describe('judge: dependencies', () => {
  it('refuses to count a 401 when the service account got no token', () => {
    const executions = edit(healthyExecutions(), 'service-account-token', () => ({
      status: 401,
      responseBody: '',
      assertions: [
        { name: 'service account gets 200', error: 'status: expected 401 to equal 200' },
      ],
    }));

    const { check } = byId(executions);

    expect(check('service-account-token').outcome).toBe('failed');
    expect(check('mfa-user-refused')).toMatchObject({
      passed: false,
      outcome: 'not-counted',
      status: 401,
      reason:
        'not counted: service-account-token did not pass in this run, so this result proves nothing',
    });
    expect(check('wrong-password-refused').outcome).toBe('not-counted');
    expect(check('unsupported-revision-refused').outcome).toBe('not-counted');
  });

  it('keeps a dependent check’s own failure in its not-counted reason', () => {
    const failedToken = edit(healthyExecutions(), 'service-account-token', () => ({
      status: 401,
      assertions: [{ name: 'service account gets 200', error: 'status' }],
    }));
    const executions = edit(failedToken, 'mfa-user-refused', () => ({
      status: 200,
      responseBody: JSON.stringify({ access_token: 'x.y.z', token_type: 'bearer' }),
      assertions: [
        { name: 'MFA user gets 401', error: 'status: expected 200 to equal 401' },
      ],
    }));

    const { check } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      outcome: 'not-counted',
      reason:
        'not counted: service-account-token did not pass in this run, so this ' +
        'result proves nothing; on its own: MFA user gets 401: status: expected ' +
        '200 to equal 401',
    });
  });

  it('voids logout-revokes-token when the token opened nothing', () => {
    const executions = edit(healthyExecutions(), 'token-opens-protected-endpoint', () => ({
      status: 401,
      assertions: [
        {
          name: 'protected endpoint answers 200 to the token',
          error: 'status: expected 401 to equal 200',
        },
      ],
    }));

    const { check } = byId(executions);

    expect(check('logout-revokes-token').outcome).toBe('not-counted');
    expect(check('logout-revokes-token').reason).toMatch(
      /^not counted: token-opens-protected-endpoint did not pass/,
    );
    expect(check('mfa-user-refused').outcome).toBe('passed');
  });

  it('refuses to count a refusal sent with another revision than the token request', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      headers: [{ key: 'x-api-version', value: '1.3-rev0' }],
    }));

    const { check } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      outcome: 'not-counted',
      reason:
        'not counted: service-account-token ran against another server or revision',
    });
  });

  it('refuses to count a refusal from another server than the token request', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      url: 'https://other-vbr.test:9419/api/oauth2/token',
    }));

    const { check } = byId(executions);

    expect(check('mfa-user-refused').outcome).toBe('not-counted');
  });
});

describe('judge: transport errors', () => {
  it('gives a request without a response its own outcome, never a status', () => {
    const executions = edit(healthyExecutions(), 'mfa-user-refused', () => ({
      status: null,
      responseBody: '',
      requestError: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
      assertions: [
        { name: 'MFA user gets 401', error: 'expected undefined to equal 401' },
      ],
    }));

    const { check, transport, errors } = byId(executions);

    expect(check('mfa-user-refused')).toMatchObject({
      passed: false,
      outcome: 'transport-error',
      status: null,
      errorCode: null,
    });
    expect(transport).toEqual(classifyTransport('ECONNREFUSED', 'vbr.test:9419'));
    expect(transport?.kind).toBe('refused');
    expect(check('mfa-user-refused').reason).toBe(`no response: ${transport?.summary}`);
    expect(errors).toContainEqual({
      code: 'ERR_TRANSPORT',
      message: 'mfa-user-refused: POST /api/oauth2/token got no response',
    });
  });

  it('does not count a refusal as proof when the token request got no response', () => {
    const executions = edit(healthyExecutions(), 'service-account-token', () => ({
      status: null,
      responseBody: '',
      requestError: { code: 'ETIMEDOUT', message: 'ETIMEDOUT' },
      assertions: [],
    }));

    const { check, transport } = byId(executions);

    expect(check('service-account-token').outcome).toBe('transport-error');
    expect(transport?.kind).toBe('timeout');
    expect(check('mfa-user-refused').outcome).toBe('not-counted');
  });

  it('reports the first transport fault of the run', () => {
    const executions = healthyExecutions().map((e) => ({
      ...e,
      status: null,
      requestError: {
        code: e.folder === 'service-account-token' ? 'ECONNREFUSED' : 'ECONNRESET',
        message: 'no response',
      },
    }));

    const { checks, transport } = byId(executions);

    expect(checks.every((c) => c.outcome === 'transport-error')).toBe(true);
    expect(transport?.code).toBe('ECONNREFUSED');
  });
});
