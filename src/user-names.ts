/**
 * How account names compare across the places VBR writes them: the token
 * request (`jdoe`, `.\jdoe`, `TECH\jdoe`, `jdoe@tech.local`), the REST log
 * (`[.\jdoe]`) and the users list (`TECH\jdoe`). Windows compares account
 * names without regard to case.
 */

/** The name in lower case, without the `.\` that marks a local account. */
export function normalizeName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.startsWith('.\\') ? trimmed.slice(2) : trimmed;
}

/** The account part of `DOMAIN\user` or `user@domain`, in lower case. */
export function bareName(name: string): string {
  const normal = normalizeName(name);
  const slash = normal.lastIndexOf('\\');
  if (slash >= 0) return normal.slice(slash + 1);
  const at = normal.indexOf('@');
  return at > 0 ? normal.slice(0, at) : normal;
}

function hasDomain(name: string): boolean {
  const normal = normalizeName(name);
  return normal.includes('\\') || normal.includes('@');
}

/**
 * True when `given` names the account `listed`: the same name, or the same
 * account part when either side carries no domain. `TECH\jdoe` and
 * `jdoe@tech.local` do not match, because a NetBIOS and a DNS domain name
 * cannot be told to be the same domain from the names alone.
 */
export function namesMatch(given: string, listed: string): boolean {
  if (normalizeName(given) === normalizeName(listed)) return true;
  if (hasDomain(given) && hasDomain(listed)) return false;
  return bareName(given) === bareName(listed);
}

export type NameMatch<T> =
  | { kind: 'one'; entry: T }
  | { kind: 'none' }
  | { kind: 'many'; count: number };

/**
 * Finds the one entry whose name is `given`. An exact match wins over a
 * match on the account part; two matches of the same strength are reported
 * rather than guessed between.
 */
export function findByName<T extends { name: string }>(
  entries: readonly T[],
  given: string,
): NameMatch<T> {
  const exact = entries.filter(
    (e) => normalizeName(e.name) === normalizeName(given),
  );
  const candidates =
    exact.length > 0 ? exact : entries.filter((e) => namesMatch(given, e.name));

  if (candidates.length === 1) return { kind: 'one', entry: candidates[0] };
  if (candidates.length === 0) return { kind: 'none' };
  return { kind: 'many', count: candidates.length };
}
