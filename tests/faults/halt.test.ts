import { FAST, runAgainstSimulator, simulatorWith } from './fault-support';

describe('a run against a server that gives no answer', () => {
  it('stops after the first unanswered request instead of waiting out every timeout', async () => {
    const simulator = await simulatorWith('stall');
    const started = Date.now();

    const verdict = await runAgainstSimulator(simulator, FAST).finally(() => simulator.close());

    const elapsed = Date.now() - started;
    expect(verdict.transport?.kind).toBe('timeout');
    // One request's timeout, plus setup; nine timeouts would be 2.7 s.
    expect(elapsed).toBeLessThan(FAST.timeoutRequestMs * 4);
    // The stalled token request is the only one the server ever saw.
    expect(simulator.model.tokenRequests).toHaveLength(1);
  });

  it('reports the checks it never reached as unreachable, not as missing', async () => {
    const simulator = await simulatorWith('stall');

    const verdict = await runAgainstSimulator(simulator, FAST).finally(() => simulator.close());

    expect(verdict.checks.map((c) => c.outcome)).toEqual(Array(6).fill('transport-error'));
    expect(verdict.checks[1].reason).toMatch(/^not sent: the run stopped after .*sent nothing within 300 ms/);
    expect(verdict.errors.map((e) => e.code)).not.toContain('ERR_CHECK_MISSING');
  });

  it('keeps going after a reset that it retries', async () => {
    const simulator = await simulatorWith('reset-once');

    const verdict = await runAgainstSimulator(simulator).finally(() => simulator.close());

    expect(verdict.passed).toBe(true);
    expect(verdict.retries).toHaveLength(1);
  });
});
