import { z } from "zod";
import { oneOrMany } from "../../config/fields.js";
import { ec2ConfigSchema } from "./schema.js";

/** The section `sources.ec2` of cmdb.config.yaml: one account or a list (one per profile). */
export const ec2EntrySchema = ec2ConfigSchema
  .extend({ name: z.string().min(1).optional().describe("a label for progress and the summary (default: the profile, else ec2)") })
  .describe("AWS EC2 of one account (the credentials' or the profile's)");

export const ec2SectionSchema = oneOrMany(ec2EntrySchema);

export type Ec2Entry = z.output<typeof ec2EntrySchema>;
export type Ec2Section = z.output<typeof ec2SectionSchema>;
