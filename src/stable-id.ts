import { createHash } from 'node:crypto';

/**
 * A UUID-shaped id that is the same for the same seed, for ids that must
 * not change between runs or exports (Postman matches items by id).
 */
export function stableId(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `4${hex.slice(13, 16)}`,
    `8${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}
