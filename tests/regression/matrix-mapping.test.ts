import type { CheckId } from '../../src/checks';
import { loadCollection, type CollectionFile } from '../../src/config/collection';
import { ONCE_PER_MATRIX, runMatrix, type Matrix } from '../../src/matrix';
import { COLLECTION_FILE, nockServer } from '../support/harness';
import { matrixOptions } from './support';

type RawItem = { name: string; item?: RawItem[]; [key: string]: unknown };

const REVISIONS = ['1.0-rev1', '1.2-rev1', '1.3-rev2'];

/** The shipped collection with each top-level folder renamed `[check-id] …`. */
function bracketedFolders(): CollectionFile {
  const collection = loadCollection(COLLECTION_FILE);
  const json = structuredClone(collection.json);
  for (const folder of json.item as RawItem[]) folder.name = `[${folder.name}] ${folder.name.replace(/-/g, ' ')}`;
  return { ...collection, json };
}

/** The shipped requests in one folder that names no check, each named `[check-id] …`. */
function bracketedRequests(): CollectionFile {
  const collection = loadCollection(COLLECTION_FILE);
  const json = structuredClone(collection.json);
  const requests = (json.item as RawItem[]).flatMap((folder) =>
    (folder.item ?? []).map((request) => ({ ...request, name: `[${folder.name}] ${request.name}` })),
  );
  json.item = [{ name: 'Token checks', item: requests }];
  return { ...collection, json };
}

/** The shipped requests at the top level, without folders, each named `[check-id] …`. */
function bracketedTopLevelRequests(): CollectionFile {
  const collection = bracketedRequests();
  const json = structuredClone(collection.json);
  json.item = (json.item as RawItem[])[0].item;
  return { ...collection, json };
}

async function matrixWith(collection: CollectionFile, host: string) {
  const server = nockServer('healthy', { baseUrl: `https://${host}:9419` });
  const matrix = await runMatrix(
    matrixOptions(server.baseUrl, {
      collection,
      credentials: server.credentials,
      target: server.baseUrl,
      plan: { kind: 'revisions', apiVersions: REVISIONS },
    }),
  );
  const wrongPasswords = server.model.tokenRequests.filter(
    (r) => r.username === server.credentials.serviceAccountUsername && !r.isPasswordRight,
  );
  return { matrix, wrongPasswords };
}

const outcomeOf = (matrix: Matrix, apiVersion: string, id: CheckId) =>
  matrix.rows.find((r) => r.apiVersion === apiVersion)?.cells.find((c) => c.id === id)?.outcome;

describe('runMatrix with a collection mapped by bracketed names', () => {
  it.each([
    ['top-level folders named [check-id] …', bracketedFolders, 'vbr-folders.test'],
    ['requests named [check-id] … in a folder that names no check', bracketedRequests, 'vbr-requests.test'],
    ['top-level requests named [check-id] …', bracketedTopLevelRequests, 'vbr-top.test'],
  ])('sends one wrong password per matrix for %s', async (_shape, collection, host) => {
    const { matrix, wrongPasswords } = await matrixWith(collection(), host);

    expect(wrongPasswords).toHaveLength(1);
    expect(matrix.rows.map((r) => [r.apiVersion, r.state])).toEqual([
      ['1.0-rev1', 'refused'],
      ['1.2-rev1', 'served'],
      ['1.3-rev2', 'served'],
    ]);
    for (const id of ONCE_PER_MATRIX) {
      expect([id, outcomeOf(matrix, '1.3-rev2', id)]).toEqual([id, 'passed']);
      expect([id, outcomeOf(matrix, '1.2-rev1', id)]).toEqual([id, 'skipped']);
    }
    expect(matrix.passed).toBe(true);
  });
});
