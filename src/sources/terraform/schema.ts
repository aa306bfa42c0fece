import { z } from "zod";

/**
 * What Terraform writes, as far as this source reads it. Unknown fields are ignored (Terraform adds
 * fields in minor versions: check_results, identity_schema_version…); the provider's `private` blob
 * is not in the schemas, so it is dropped at the edge and never reaches an observation.
 */

const attributeValues = z.record(z.string(), z.unknown());

/** One step of a sensitive path in state v4: a `get_attr` name or an `index` whose value is cty JSON
 * (`{"value":0,"type":"number"}`); a bare index value is accepted too. */
export const SensitivePathStep = z.object({
  type: z.enum(["get_attr", "index"]),
  value: z.union([z.string(), z.number(), z.object({ value: z.union([z.string(), z.number()]), type: z.string() })]),
});
export type SensitivePathStep = z.infer<typeof SensitivePathStep>;

export const InstanceV4 = z.object({
  index_key: z.union([z.string(), z.number().int()]).nullish(),
  status: z.enum(["", "tainted"]).optional(),
  deposed: z.string().optional(),
  schema_version: z.number().int().nonnegative().optional(),
  attributes: attributeValues.nullish(),
  attributes_flat: z.record(z.string(), z.string()).nullish(),
  sensitive_attributes: z.array(z.array(SensitivePathStep)).nullish(),
  dependencies: z.array(z.string()).nullish(),
  create_before_destroy: z.boolean().optional(),
});

export const ResourceV4 = z.object({
  module: z.string().optional(),
  mode: z.enum(["managed", "data"]),
  type: z.string().min(1),
  name: z.string().min(1),
  each: z.enum(["list", "map"]).optional(),
  provider: z.string().min(1),
  instances: z.array(InstanceV4),
});

export const StateV4 = z.object({
  version: z.literal(4),
  terraform_version: z.string(),
  serial: z.number().int().nonnegative(),
  lineage: z.string().min(1),
  outputs: z.record(z.string(), z.unknown()).nullish(),
  resources: z.array(ResourceV4).nullish(),
});
export type StateV4 = z.infer<typeof StateV4>;

/** Legacy state (Terraform ≤ 0.11): flatmap attributes, resources keyed `type.name[.index]`. */
export const InstanceV3 = z.object({
  id: z.string().optional(),
  attributes: z.record(z.string(), z.string()).nullish(),
  tainted: z.boolean().optional(),
});

export const ResourceV3 = z.object({
  type: z.string().min(1),
  depends_on: z.array(z.string()).nullish(),
  primary: InstanceV3.nullish(),
  deposed: z.array(InstanceV3).nullish(),
  provider: z.string().optional(),
});

export const ModuleV3 = z.object({
  path: z.array(z.string()).min(1),
  resources: z.record(z.string(), ResourceV3).nullish(),
});

export const StateV3 = z.object({
  version: z.literal(3),
  terraform_version: z.string().optional(),
  serial: z.number().int().nonnegative(),
  lineage: z.string().min(1),
  modules: z.array(ModuleV3),
});
export type StateV3 = z.infer<typeof StateV3>;

/** `terraform show -json` of a state (not of a plan). */
export const ShowResource = z.object({
  address: z.string().min(1),
  mode: z.enum(["managed", "data"]),
  type: z.string().min(1),
  name: z.string().min(1),
  index: z.union([z.string(), z.number().int()]).optional(),
  provider_name: z.string().optional(),
  values: attributeValues.nullish(),
  sensitive_values: z.unknown().optional(),
  depends_on: z.array(z.string()).optional(),
  tainted: z.boolean().optional(),
  deposed_key: z.string().optional(),
});
export type ShowResource = z.infer<typeof ShowResource>;

export interface ShowModule {
  address?: string | undefined;
  resources?: ShowResource[] | undefined;
  child_modules?: ShowModule[] | undefined;
}

export const ShowModule: z.ZodType<ShowModule> = z.lazy(() =>
  z.object({
    address: z.string().optional(),
    resources: z.array(ShowResource).optional(),
    child_modules: z.array(ShowModule).optional(),
  }),
);

export const ShowState = z.object({
  format_version: z.string().regex(/^\d+\.\d+$/, "expected a version like 1.0"),
  terraform_version: z.string().optional(),
  values: z
    .object({
      outputs: z.record(z.string(), z.unknown()).optional(),
      root_module: ShowModule.optional(),
    })
    .optional(),
});
export type ShowState = z.infer<typeof ShowState>;
