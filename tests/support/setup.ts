import nock from 'nock';

// No test reaches the network: only loopback servers the tests start.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  // Jest loads nock afresh for each test file: unpatch http here so the next
  // file's copy never calls into this one after Jest has torn it down.
  nock.restore();
});
