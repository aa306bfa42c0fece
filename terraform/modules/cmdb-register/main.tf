# Everything a command needs is kept in the resource itself (input / triggers_replace): a
# destroy-time provisioner may only refer to self. Values reach the shell as environment
# variables expanded inside double quotes, so workspace names and paths with spaces, quotes or
# `$` stay one word and are never parsed as shell code. The database URL goes only into the
# environment, never into a command line, an input or the state.

locals {
  settings = {
    pipeline        = var.state_path == null ? "${var.state_command} | ${var.command}" : var.command
    state           = var.state_path == null ? "-" : var.state_path
    workspace       = var.workspace == null ? terraform.workspace : var.workspace
    working_dir     = var.working_dir == null ? path.root : var.working_dir
    proxmox_cluster = var.proxmox_cluster == null ? "" : var.proxmox_cluster
  }

  # The condition is not secret (set or not); the URL stays marked sensitive, so Terraform hides
  # the provisioner's output when it is set. Exporting CMDB_DATABASE_URL instead keeps the output.
  secret_environment = nonsensitive(var.database_url == null) ? {} : { CMDB_DATABASE_URL = var.database_url }
}

# Re-created whenever a watched value (or a setting) changes; creating it ingests the state.
resource "terraform_data" "register" {
  triggers_replace = {
    watched  = var.triggers
    settings = local.settings
  }
  input = local.settings

  provisioner "local-exec" {
    working_dir = self.input.working_dir
    command     = "${self.input.pipeline} ingest terraform \"$CMDB_TF_STATE\" --workspace \"$CMDB_TF_WORKSPACE\" --proxmox-cluster \"$CMDB_TF_PROXMOX_CLUSTER\""
    environment = merge(local.secret_environment, {
      CMDB_TF_STATE           = self.input.state
      CMDB_TF_WORKSPACE       = self.input.workspace
      CMDB_TF_PROXMOX_CLUSTER = self.input.proxmox_cluster
    })
  }
}

# Depends on what is watched (through input, which changes in place and runs nothing), so a
# destroy removes it first: its provisioner ingests the state without itself and without the
# resources it depends on, which Terraform destroys right after. Only a change of settings
# replaces it.
resource "terraform_data" "deregister" {
  count            = var.deregister_on_destroy ? 1 : 0
  triggers_replace = local.settings
  input = {
    watched  = var.triggers
    register = terraform_data.register.id
  }

  provisioner "local-exec" {
    when        = destroy
    working_dir = self.triggers_replace.working_dir
    command     = "${self.triggers_replace.pipeline} ingest terraform \"$CMDB_TF_STATE\" --workspace \"$CMDB_TF_WORKSPACE\" --proxmox-cluster \"$CMDB_TF_PROXMOX_CLUSTER\" --destroying \"$CMDB_TF_HOOK\""
    environment = {
      CMDB_TF_STATE           = self.triggers_replace.state
      CMDB_TF_WORKSPACE       = self.triggers_replace.workspace
      CMDB_TF_PROXMOX_CLUSTER = self.triggers_replace.proxmox_cluster
      CMDB_TF_HOOK            = self.id
    }
  }
}
