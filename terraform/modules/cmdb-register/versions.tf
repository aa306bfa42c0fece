terraform {
  # terraform_data is built into Terraform >= 1.4 and every OpenTofu release: no provider to install.
  required_version = ">= 1.4"
}
