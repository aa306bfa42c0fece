import type { Graph, GraphCi } from "../../src/graph/types.js";

const ci = (id: string, type: string, name: string, extra: Partial<GraphCi> = {}): GraphCi => ({
  id,
  type,
  name,
  status: "active",
  environment: "production",
  provider: "aws",
  region: "eu-west-1",
  zone: null,
  owner: null,
  keys: [],
  sources: ["ec2"],
  hints: {},
  lastSeen: "2026-01-05T09:00:00.000Z",
  createdAt: "2026-01-05T09:00:00.000Z",
  ...extra,
});

const hex = (n: number) => n.toString(16).padStart(16, "0");

/** One subnet with `leaves` machines in it and nothing else: collapsing the leaves is enough. */
export function flatSubnet(leaves: number): Graph {
  const subnet = ci(`ci_${hex(1)}`, "subnet", "subnet-a");
  const nodes = [subnet];
  const edges = [];
  for (let i = 0; i < leaves; i++) {
    const vm = ci(`ci_${hex(1000 + i)}`, "virtual_machine", `web-${String(i).padStart(4, "0")}.example.internal`);
    nodes.push(vm);
    edges.push({ from: vm.id, to: subnet.id, types: ["MEMBER_OF"] });
  }
  return { nodes, edges };
}

/**
 * VPCs of security groups with two machines each, every machine also in a subnet: no leaves to fold,
 * so only splitting makes it fit.
 */
export function meshedVpcs(vpcs: number, groupsPerVpc: number): Graph {
  const nodes: GraphCi[] = [];
  const edges: Graph["edges"] = [];
  let n = 0;
  for (let v = 0; v < vpcs; v++) {
    const vpc = ci(`ci_${hex(++n)}`, "vpc", `vpc-${v}`);
    const subnet = ci(`ci_${hex(++n)}`, "subnet", `vpc-${v}-subnet`);
    nodes.push(vpc, subnet);
    edges.push({ from: subnet.id, to: vpc.id, types: ["MEMBER_OF"] });
    for (let g = 0; g < groupsPerVpc; g++) {
      const sg = ci(`ci_${hex(++n)}`, "security_group", `vpc-${v}-sg-${g}`);
      nodes.push(sg);
      edges.push({ from: sg.id, to: vpc.id, types: ["MEMBER_OF"] });
      for (let m = 0; m < 2; m++) {
        const vm = ci(`ci_${hex(++n)}`, "virtual_machine", `vpc-${v}-app-${g}-${m}`);
        nodes.push(vm);
        edges.push({ from: vm.id, to: sg.id, types: ["PROTECTED_BY"] }, { from: vm.id, to: subnet.id, types: ["MEMBER_OF"] });
      }
    }
  }
  return { nodes, edges };
}
