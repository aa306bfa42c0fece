import * as nullProvider from "@cdktf/provider-null";
import { Fn, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";

/** A Terraform expression inside a string: `${expr}`. */
function tf(expr: string): string {
  return `\${${expr}}`;
}

/**
 * What a `CmdbRegistration` runs: the same commands as terraform/modules/cmdb-register, with the
 * settings read from the null_resource's own `triggers` (a destroy may only refer to self) and the
 * values passed as environment variables expanded inside double quotes.
 */
export const INGEST_COMMAND = `${tf("self.triggers.pipeline")} ingest terraform "$CMDB_TF_STATE" --workspace "$CMDB_TF_WORKSPACE" --proxmox-cluster "$CMDB_TF_PROXMOX_CLUSTER"`;
export const DESTROY_COMMAND = `${INGEST_COMMAND} --destroying "$CMDB_TF_HOOK"`;

export interface CmdbRegistrationProps {
  /** Values (usually ids) of the resources whose changes re-run the ingest; also what a destroy marks gone. */
  readonly triggers?: Record<string, string>;
  /** The cmdb CLI as shell words. Default `cmdb`. */
  readonly command?: string;
  /**
   * The store, as a token only (a sensitive TerraformVariable's value): it goes into the
   * environment of the post-apply command, never into a command line. A literal string would be
   * written into cdk.tf.json and is refused. A destroy cannot see it: export CMDB_DATABASE_URL.
   */
  readonly databaseUrl?: string;
  /** The workspace name the CMDB records the state under. Default: terraform.workspace. */
  readonly workspace?: string;
  /** Shell command printing the state. Default `terraform state pull` (`tofu state pull` with OpenTofu). */
  readonly stateCommand?: string;
  /** Instead of stateCommand: a path, http(s) URL or s3://bucket/key cmdb reads itself. */
  readonly statePath?: string;
  /** Where the commands run. Default: path.root (the synthesized stack's directory). */
  readonly workingDir?: string;
  /** The Proxmox cluster the state's guests run in (cmdb --proxmox-cluster). */
  readonly proxmoxCluster?: string;
  /** At destroy, ingest the state without what is watched, so the CMDB marks it gone. Default true. */
  readonly deregisterOnDestroy?: boolean;
}

/** A literal is escaped so Terraform does not read `${` or `%{` in it as an expression; a token is left as it is. */
function literal(value: string): string {
  return Token.isUnresolved(value) ? value : value.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * The cmdb-register hook as a CDKTF construct, for teams still on CDKTF (archived by HashiCorp on
 * 2025-12-10; this construct is pinned to cdktf 0.21.0 and @cdktf/provider-null 11.0.1 and stays a
 * thin copy of the HCL module's behaviour). Two null_resources: `register` is replaced whenever a
 * watched value changes and runs `cmdb ingest terraform` after apply; `deregister` depends on the
 * watched values (ignoring their changes) so a destroy removes it first, and its destroy-time
 * provisioner ingests the state without it and what it depends on.
 */
export class CmdbRegistration extends Construct {
  /** The register hook. */
  readonly register: nullProvider.resource.Resource;
  /** The deregister hook, absent when deregisterOnDestroy is false. */
  readonly deregister: nullProvider.resource.Resource | undefined;

  constructor(scope: Construct, id: string, props: CmdbRegistrationProps = {}) {
    super(scope, id);
    if (props.databaseUrl !== undefined && !Token.isUnresolved(props.databaseUrl)) {
      throw new Error(
        "CmdbRegistration: databaseUrl must be a token (a sensitive TerraformVariable's value); a literal would be written into cdk.tf.json. Or leave it out and export CMDB_DATABASE_URL.",
      );
    }
    const command = literal(props.command ?? "cmdb");
    const settings: Record<string, string> = {
      pipeline: props.statePath === undefined ? `${literal(props.stateCommand ?? "terraform state pull")} | ${command}` : command,
      state: props.statePath === undefined ? "-" : literal(props.statePath),
      workspace: props.workspace === undefined ? tf("terraform.workspace") : literal(props.workspace),
      working_dir: props.workingDir === undefined ? tf("path.root") : literal(props.workingDir),
      proxmox_cluster: props.proxmoxCluster === undefined ? "" : literal(props.proxmoxCluster),
    };
    const provider = nullProviderOf(this);
    const environment = {
      CMDB_TF_STATE: tf("self.triggers.state"),
      CMDB_TF_WORKSPACE: tf("self.triggers.workspace"),
      CMDB_TF_PROXMOX_CLUSTER: tf("self.triggers.proxmox_cluster"),
    };
    const watched = Object.fromEntries(Object.entries(props.triggers ?? {}).map(([name, value]) => [`watch.${name}`, value]));

    this.register = new nullProvider.resource.Resource(this, "register", {
      provider,
      triggers: { ...settings, ...watched },
      provisioners: [
        {
          type: "local-exec",
          command: INGEST_COMMAND,
          workingDir: tf("self.triggers.working_dir"),
          environment: props.databaseUrl === undefined ? environment : { ...environment, CMDB_DATABASE_URL: props.databaseUrl },
        },
      ],
    });

    this.deregister =
      props.deregisterOnDestroy === false
        ? undefined
        : new nullProvider.resource.Resource(this, "deregister", {
            provider,
            triggers: { ...settings, watched: Fn.jsonencode(props.triggers ?? {}), register: this.register.id },
            lifecycle: { ignoreChanges: ['triggers["watched"]', 'triggers["register"]'] },
            provisioners: [
              {
                type: "local-exec",
                when: "destroy",
                command: DESTROY_COMMAND,
                workingDir: tf("self.triggers.working_dir"),
                environment: { ...environment, CMDB_TF_HOOK: tf("self.id") },
              },
            ],
          });
  }
}

/** The stack's null provider, created once per stack when the app has not configured one. */
function nullProviderOf(construct: Construct): nullProvider.provider.NullProvider {
  const stack = TerraformStack.of(construct);
  const existing = stack.node.findAll().find((c): c is nullProvider.provider.NullProvider => c instanceof nullProvider.provider.NullProvider);
  return existing ?? new nullProvider.provider.NullProvider(stack, "cmdb-null");
}
