output "cmdb_workspace" {
  value = module.cmdb.workspace
}

output "cmdb_command" {
  value = module.cmdb.command
}
