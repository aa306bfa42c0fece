resource "proxmox_virtual_environment_vm" "guest" {
  for_each  = var.vms
  name      = each.key
  node_name = each.value.node
  vm_id     = each.value.vm_id
  tags      = ["k3s", "terraform"]

  clone {
    vm_id = var.template_vm_id
  }

  agent {
    enabled = true
  }

  cpu {
    cores = each.value.cores
    type  = "x86-64-v2-AES"
  }

  memory {
    dedicated = each.value.memory_mb
  }

  disk {
    datastore_id = "local-lvm"
    interface    = "scsi0"
    size         = each.value.disk_gb
  }

  network_device {
    bridge = "vmbr0"
  }

  initialization {
    ip_config {
      ipv4 {
        address = each.value.ipv4
        gateway = var.gateway
      }
    }
    user_account {
      username = "ops"
      keys     = [trimspace(var.ssh_public_key)]
    }
  }
}

# After every apply that changes a guest, the CMDB ingests this workspace's state; `terraform
# destroy` marks the guests gone. The database URL is not set here: export CMDB_DATABASE_URL
# before `terraform apply` (a destroy can only see the environment).
module "cmdb" {
  source = "../../modules/cmdb-register"

  command         = var.cmdb_command
  workspace       = var.cmdb_workspace
  proxmox_cluster = var.proxmox_cluster
  triggers = {
    for name, vm in proxmox_virtual_environment_vm.guest : name => {
      id     = vm.id
      cores  = vm.cpu[0].cores
      memory = vm.memory[0].dedicated
    }
  }
}
