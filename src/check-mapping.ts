import { CHECK_IDS, isCheckId, type CheckId } from './checks';

/**
 * How a request in any collection is mapped to a check:
 *
 * 1. a request whose name begins with `[<check-id>]` belongs to that check,
 *    wherever it sits;
 * 2. otherwise, a request belongs to the check its top-level folder names,
 *    either exactly (`mfa-user-refused`) or as `[mfa-user-refused] ...`;
 * 3. anything else belongs to no check: it runs but is not judged.
 */
export const MAPPING_CONVENTION =
  'name a top-level folder after each check id (for example "mfa-user-refused"), ' +
  'or begin a folder or request name with "[check-id]"';

const BRACKETED = /^\s*\[\s*([a-z0-9-]+)\s*\]/;

function bracketed(name: string): CheckId | null {
  const match = BRACKETED.exec(name);
  return match && isCheckId(match[1]) ? match[1] : null;
}

function exactly(name: string): CheckId | null {
  const trimmed = name.trim();
  return isCheckId(trimmed) ? trimmed : null;
}

/**
 * A request named `... (evidence)` is read by the harness after the run but
 * never decides its check: it explains a result rather than proving one.
 */
export function isEvidence(request: { itemName: string }): boolean {
  return /\(evidence\)\s*$/i.test(request.itemName);
}

/** The check a request belongs to, or null when it belongs to none. */
export function checkIdOf(request: { folder: string; itemName: string }): CheckId | null {
  return (
    bracketed(request.itemName) ??
    exactly(request.folder) ??
    bracketed(request.folder) ??
    exactly(request.itemName)
  );
}

/**
 * The sentence a verdict carries when a collection lacks checks: which
 * ones, how to name them, and which top-level folders named no check.
 */
export function missingChecksMessage(
  missing: readonly CheckId[],
  requests: readonly { folder: string; itemName: string }[],
): string {
  const unmapped = [
    ...new Set(requests.filter((r) => checkIdOf(r) === null).map((r) => r.folder)),
  ];
  const plural = missing.length === 1 ? 'check' : 'checks';
  const lines = [
    `the collection lacks ${missing.length} of ${CHECK_IDS.length} ${plural}: ${missing.join(', ')}`,
    `  to run them, ${MAPPING_CONVENTION}`,
  ];
  if (unmapped.length > 0) {
    lines.push(
      `  top-level entries that name no check (run, not judged): ${unmapped.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
  return lines.join('\n');
}

type CollectionNode = { name?: unknown; item?: unknown; request?: unknown };

/** The checks a collection holds requests for, by the same mapping as the runner's. */
export function checksInCollection(json: { item?: unknown }): Set<CheckId> {
  const found = new Set<CheckId>();
  const walk = (nodes: unknown, folder: string | null) => {
    if (!Array.isArray(nodes)) return;
    for (const node of nodes as CollectionNode[]) {
      const name = typeof node?.name === 'string' ? node.name : '';
      if (Array.isArray(node?.item)) {
        walk(node.item, folder ?? name);
        continue;
      }
      const id = checkIdOf({ folder: folder ?? name, itemName: name });
      if (id) found.add(id);
    }
  };
  walk(json.item, null);
  return found;
}
