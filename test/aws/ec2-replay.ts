import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TEST_FIXTURES } from "../helpers/corpus.js";
import type { ReplayReply, ReplayRequest, ReplayRoute } from "../helpers/replay-server.js";

export const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

const ACTIONS = new Set(["DescribeRegions", "DescribeInstances", "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeVolumes", "DescribeNetworkInterfaces"]);
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/ec2\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

export function ec2Fixture(...path: string[]): string {
  return readFileSync(join(TEST_FIXTURES, "ec2", ...path), "utf8");
}

export function xml(body: string, status = 200): ReplayReply {
  return { status, headers: { "content-type": "text/xml;charset=UTF-8" }, body };
}

/** The region a request was signed for, from its SigV4 credential scope. */
export function regionOf(request: ReplayRequest): string | undefined {
  return SIGV4.exec(String(request.headers.authorization ?? ""))?.[3];
}

/** EC2 Query API: POST / with a form body naming a known read-only Action, signed with SigV4 by `accessKeyId`. */
export function ec2Check(accessKeyId: string = ACCESS_KEY_ID): (request: ReplayRequest) => string | undefined {
  return (request) => {
    if (request.method !== "POST" || request.path !== "/") return "EC2 Query API calls are POST /";
    const action = request.form.get("Action");
    if (!action || !ACTIONS.has(action)) return `Action ${action ?? "(none)"} is not a discovery call`;
    if (!request.form.get("Version")) return "no Version parameter";
    const auth = SIGV4.exec(String(request.headers.authorization ?? ""));
    if (!auth) return "no SigV4 Authorization header";
    if (auth[1] !== accessKeyId) return `signed with access key ${auth[1]}, expected ${accessKeyId}`;
    if (!request.headers["x-amz-date"]?.toString().startsWith(auth[2]!)) return "X-Amz-Date does not match the credential scope";
    if (!auth[4]!.split(";").includes("host")) return "host is not a signed header";
    if (action !== "DescribeRegions" && !request.form.get("MaxResults")) return `${action} without MaxResults: not paginated`;
    return undefined;
  };
}

/** A route for one Action in one region; `nextToken` undefined means the first page (no NextToken sent). */
export function ec2Route(region: string, action: string, reply: ReplayRoute["reply"], nextToken?: string): ReplayRoute {
  return {
    name: `${region} ${action}${nextToken ? ` NextToken=${nextToken}` : ""}`,
    match: (request) => regionOf(request) === region && request.form.get("Action") === action && (request.form.get("NextToken") ?? undefined) === nextToken,
    reply,
  };
}

export const EMPTY: Record<string, string> = {
  DescribeInstances: "<reservationSet/>",
  DescribeVpcs: "<vpcSet/>",
  DescribeSubnets: "<subnetSet/>",
  DescribeSecurityGroups: "<securityGroupInfo/>",
  DescribeVolumes: "<volumeSet/>",
  DescribeNetworkInterfaces: "<networkInterfaceSet/>",
};

export function emptyAnswer(action: string): ReplayReply {
  return xml(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>00000000-0000-4000-8000-000000000000</requestId>${EMPTY[action]}</${action}Response>`);
}

/** The lab account: us-east-1 and eu-west-1 answered from test/fixtures/ec2/lab. */
export function labRoutes(): ReplayRoute[] {
  const lab = (file: string): ReplayReply => xml(ec2Fixture("lab", file));
  const routes: ReplayRoute[] = [
    ec2Route("us-east-1", "DescribeRegions", lab("describe-regions.xml")),
    ec2Route("us-east-1", "DescribeInstances", lab("us-east-1-describe-instances-page1.xml")),
    ec2Route("us-east-1", "DescribeInstances", lab("us-east-1-describe-instances-page2.xml"), "eyJ2IjoxLCJwYWdlIjoyfQ=="),
  ];
  for (const [action, file] of [
    ["DescribeVpcs", "describe-vpcs"],
    ["DescribeSubnets", "describe-subnets"],
    ["DescribeSecurityGroups", "describe-security-groups"],
    ["DescribeVolumes", "describe-volumes"],
    ["DescribeNetworkInterfaces", "describe-network-interfaces"],
  ] as const) {
    routes.push(ec2Route("us-east-1", action, lab(`us-east-1-${file}.xml`)));
  }
  for (const [action, file] of [
    ["DescribeInstances", "describe-instances"],
    ["DescribeVpcs", "describe-vpcs"],
    ["DescribeSubnets", "describe-subnets"],
    ["DescribeSecurityGroups", "describe-security-groups"],
    ["DescribeVolumes", "describe-volumes"],
    ["DescribeNetworkInterfaces", "describe-network-interfaces"],
  ] as const) {
    routes.push(ec2Route("eu-west-1", action, lab(`eu-west-1-${file}.xml`)));
  }
  return routes;
}

/** Points the SDK's default chain at fixed test credentials and `endpoint`, away from any real configuration. */
export function isolateAwsEnv(endpoint: string, extra: Record<string, string> = {}): () => void {
  const names = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
    ...Object.keys(extra),
  ];
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const n of names) delete process.env[n];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  });
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}
