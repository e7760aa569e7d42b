// dotenv-safe ships no types; this covers the part the harness calls.
declare module 'dotenv-safe' {
  export type DotenvSafeOptions = {
    path?: string;
    example?: string;
    allowEmptyValues?: boolean;
    quiet?: boolean;
  };

  export function config(options?: DotenvSafeOptions): {
    parsed?: Record<string, string>;
    required: Record<string, string | undefined>;
  };

  const dotenvSafe: { config: typeof config };
  export default dotenvSafe;
}
