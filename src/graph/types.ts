import type { CiFilter } from "../store/queries.js";
import type { WalkDirection } from "./walk.js";

/** A CI as the graph queries return it: what diagrams and reports draw and group by. */
export interface GraphCi {
  id: string;
  type: string;
  name: string;
  status: string;
  environment: string | null;
  provider: string | null;
  region: string | null;
  zone: string | null;
  owner: string | null;
  /** Identity keys its sources report now. */
  keys: string[];
  /** Sources reporting it now. */
  sources: string[];
  /** The few attributes grouping reads: Proxmox node, Ansible groups, AWS ARN / account. */
  hints: { node?: string; groups?: string[]; arn?: string; account?: string };
  /** The newest sighting by any source (ISO), null when no source ever reported it. */
  lastSeen: string | null;
  createdAt: string;
}

/** Every relationship between two CIs, merged: one edge per ordered pair, its types sorted. */
export interface GraphEdge {
  from: string;
  to: string;
  types: string[];
}

export interface Graph {
  nodes: GraphCi[];
  edges: GraphEdge[];
}

export interface GraphScope {
  filter?: CiFilter;
  /** Only what a CI needs (`deps`) or who needs it (`impact`), up to `depth` hops. */
  root?: { id: string; depth: number; direction: WalkDirection };
  /**
   * Bookkeeping (MANAGED_BY edges, and Terraform workspace CIs unless asked for by type) is left out
   * unless `all` is set; retired CIs too unless the filter asks for a status.
   */
  all?: boolean;
}
