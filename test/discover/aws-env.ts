import { ACCESS_KEY_ID, SECRET_ACCESS_KEY } from "../aws/ec2-replay.js";

/** The CLI's environment for a replayed EC2: fixed test credentials, the endpoint, and no real AWS configuration. */
export function awsEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: undefined,
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}
