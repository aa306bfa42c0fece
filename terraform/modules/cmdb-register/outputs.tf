output "id" {
  description = "The id of the register hook: it changes every time the ingest runs again."
  value       = terraform_data.register.id
}

output "deregister_id" {
  description = "The id `cmdb ingest terraform --destroying` receives at destroy (null when deregister_on_destroy is false)."
  value       = one(terraform_data.deregister[*].id)
}

output "workspace" {
  description = "The workspace name the CMDB records the state under."
  value       = local.settings.workspace
}

output "command" {
  description = "The shell command run after apply (values come from CMDB_TF_* environment variables; no secret in it)."
  value       = "${local.settings.pipeline} ingest terraform \"$CMDB_TF_STATE\" --workspace \"$CMDB_TF_WORKSPACE\" --proxmox-cluster \"$CMDB_TF_PROXMOX_CLUSTER\""
}
