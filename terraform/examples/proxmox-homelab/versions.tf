terraform {
  required_version = ">= 1.4"
  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = ">= 0.66.0"
    }
  }
}

# Credentials come from the environment (PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and
# PROXMOX_VE_PASSWORD), never from this file.
provider "proxmox" {
  endpoint = var.proxmox_endpoint
  insecure = var.proxmox_insecure
}
