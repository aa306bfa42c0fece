import { type Command, InvalidArgumentError } from "commander";
import { globals } from "./context.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0");
  return n;
}

/** `cmdb ingest proxmox|ec2|ssh`: one live source alone, with the options of its configuration section. */
export function registerLiveIngest(ingest: Command): void {
  ingest
    .command("proxmox")
    .description("read a Proxmox VE cluster through its API (PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET, or sources.proxmox in the configuration)")
    .option("--url <url>", "the API endpoint, https://host:8006 (default: $PROXMOX_URL, else the configuration)")
    .option("--token-id <id>", "API token id USER@REALM!TOKENID (default: $PROXMOX_TOKEN_ID); the secret only from $PROXMOX_TOKEN_SECRET or the configuration")
    .option("--ca-file <pem>", "CA certificate that signed the API's certificate (default: $PROXMOX_CA_FILE)")
    .option("--insecure", "do not verify the API's TLS certificate")
    .option("--concurrency <n>", "requests at once (default 8)", count)
    .option("--name <name>", "the configuration entry to read (sources.proxmox[].name)")
    .option("--json", "print the summary as JSON")
    .action(async (opts, command: Command) => {
      const { runLive, proxmoxTasks } = await import("../discover/command.js");
      await runLive(globals(command), opts.json === true, (ctx) => proxmoxTasks(ctx, opts));
    });

  ingest
    .command("ec2")
    .description("read AWS EC2 with the SDK's default credential chain (environment, profile, SSO, instance role)")
    .option("--region <region>", "a region to read (repeatable; default: the configuration's, else every enabled region)", collect, [])
    .option("--profile <name>", "shared-config profile (default: $AWS_PROFILE)")
    .option("--concurrency <n>", "paginated listings at once (default 8)", count)
    .option("--json", "print the summary as JSON")
    .action(async (opts, command: Command) => {
      const { runLive, ec2Tasks } = await import("../discover/command.js");
      await runLive(globals(command), opts.json === true, (ctx) => ec2Tasks(ctx, opts));
    });

  ingest
    .command("ssh")
    .description("log in to Linux hosts over SSH and read what they are")
    .option("--host <user@host:port>", "a host to read (repeatable; default: sources.ssh.hosts in the configuration)", collect, [])
    .option("--from-cmdb [filter]", "also every machine the CMDB knows: the ansible source's by default, or a filter such as environment=prod,tag=web")
    .option("-i, --identity <file>", "private key file (repeatable)", collect, [])
    .option("--user <name>", "login user for hosts that name none (default: the local user)")
    .option("--known-hosts <file>", "known_hosts file (default ~/.ssh/known_hosts)")
    .option("--accept-new", "record unknown host keys (changed keys are still refused)")
    .option("--jump <user@host:port>", "jump host for every host")
    .option("--concurrency <n>", "hosts at once (default 10)", count)
    .option("--timeout <duration>", "per host: connection, login and script together (default 30s)")
    .option("--json", "print the summary as JSON")
    .action(async (opts, command: Command) => {
      const { runLive, sshTasks } = await import("../discover/command.js");
      const { sshOverrides } = await import("../ingest/ssh.js");
      const overrides = sshOverrides(opts);
      await runLive(globals(command), opts.json === true, (ctx) => sshTasks(ctx, overrides));
    });
}
