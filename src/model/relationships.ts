/**
 * Relationship types. `dependency` says how the edge reads for dependency and impact queries:
 * "forward" when the edge's source depends on its target (a VM RUNS_ON a node), "reverse" when the
 * target depends on the source (a volume ATTACHED_TO an instance: the instance needs the volume),
 * "none" when the edge is bookkeeping (MANAGED_BY a Terraform workspace).
 */
export const RELATIONSHIP_TYPES = {
  DEPENDS_ON: { dependency: "forward" },
  RUNS_ON: { dependency: "forward" },
  HOSTED_ON: { dependency: "forward" },
  MEMBER_OF: { dependency: "forward" },
  ATTACHED_TO: { dependency: "reverse" },
  PROTECTED_BY: { dependency: "forward" },
  CONNECTS_TO: { dependency: "forward" },
  USES: { dependency: "forward" },
  ROUTES_TO: { dependency: "forward" },
  RESOLVES_TO: { dependency: "forward" },
  // A credential AUTHENTICATES_TO a system: whoever reaches the system needs the credential, so
  // `cmdb impact CREDENTIAL` lists the systems it opens and what depends on them.
  AUTHENTICATES_TO: { dependency: "reverse" },
  MANAGED_BY: { dependency: "none" },
} as const satisfies Record<string, { dependency: "forward" | "reverse" | "none" }>;

export type RelationshipType = keyof typeof RELATIONSHIP_TYPES;

export function isRelationshipType(value: string): value is RelationshipType {
  return Object.hasOwn(RELATIONSHIP_TYPES, value);
}
