export function generateState(
  n: number,
  opts?: { serial?: number; lineage?: string; seed?: number },
): {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, unknown>;
  resources: { module?: string; mode: string; type: string; name: string; provider: string; instances: unknown[] }[];
  check_results: null;
};
