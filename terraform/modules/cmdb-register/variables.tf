variable "triggers" {
  description = "What the hook watches: values (usually ids) of the resources whose changes re-run the ingest, e.g. { web = proxmox_virtual_environment_vm.web.id }. Any type."
  type        = any
  default     = {}
}

variable "command" {
  description = "The cmdb CLI, as shell words: `cmdb` when installed globally, `npx --no-install cmdb` from a project that depends on gitops-cmdb."
  type        = string
  default     = "cmdb"
  nullable    = false
}

variable "database_url" {
  description = "The CMDB store (postgres://… or a PGlite directory). Passed to cmdb only as CMDB_DATABASE_URL in the environment. A destroy cannot read variables: export CMDB_DATABASE_URL where Terraform runs instead, and leave this null."
  type        = string
  default     = null
  sensitive   = true
}

variable "workspace" {
  description = "The workspace name the CMDB records the state under. Default: terraform.workspace."
  type        = string
  default     = null
}

variable "state_command" {
  description = "Shell command that prints the state, piped into `cmdb ingest terraform -`. Use `tofu state pull` with OpenTofu."
  type        = string
  default     = "terraform state pull"
  nullable    = false
}

variable "state_path" {
  description = "Instead of state_command: the state cmdb reads itself (a path, an http(s) backend URL, or s3://bucket/key)."
  type        = string
  default     = null
}

variable "working_dir" {
  description = "Where the commands run (where `terraform state pull` works). Default: path.root."
  type        = string
  default     = null
}

variable "proxmox_cluster" {
  description = "The Proxmox cluster the state's guests run in (cmdb --proxmox-cluster), so they join live discovery."
  type        = string
  default     = null
}

variable "deregister_on_destroy" {
  description = "At destroy, ingest the state without the watched resources, so the CMDB marks them gone."
  type        = bool
  default     = true
  nullable    = false
}
