variable "proxmox_endpoint" {
  description = "The Proxmox VE API, e.g. https://pve1.home.arpa:8006/"
  type        = string
}

variable "proxmox_insecure" {
  description = "Accept the API's self-signed certificate."
  type        = bool
  default     = false
}

variable "proxmox_cluster" {
  description = "The cluster's name as cmdb knows it (cmdb discover's proxmox source), so these guests join live discovery."
  type        = string
  default     = "homelab"
}

variable "template_vm_id" {
  description = "The VM template the guests are cloned from (a cloud-init image)."
  type        = number
  default     = 9000
}

variable "gateway" {
  type    = string
  default = "192.168.10.1"
}

variable "ssh_public_key" {
  description = "The public key cloud-init installs for the ops user."
  type        = string
}

variable "vms" {
  description = "The guests, by name."
  type = map(object({
    node      = string
    vm_id     = number
    cores     = number
    memory_mb = number
    disk_gb   = number
    ipv4      = string
  }))
  default = {
    "k3s-server"  = { node = "pve1", vm_id = 201, cores = 4, memory_mb = 8192, disk_gb = 64, ipv4 = "192.168.10.21/24" }
    "k3s-agent-1" = { node = "pve1", vm_id = 202, cores = 2, memory_mb = 4096, disk_gb = 48, ipv4 = "192.168.10.22/24" }
    "k3s-agent-2" = { node = "pve2", vm_id = 203, cores = 2, memory_mb = 4096, disk_gb = 48, ipv4 = "192.168.10.23/24" }
  }
}

variable "cmdb_command" {
  description = "How to run the cmdb CLI here."
  type        = string
  default     = "npx --no-install cmdb"
}

variable "cmdb_workspace" {
  description = "The name the CMDB records this state under."
  type        = string
  default     = "homelab prod"
}
