# Issue 7's customer-managed key: `kms_key = true` gives the app one KMS key per environment
# (rotation on, a key policy for CloudWatch Logs and EC2 Auto Scaling), and every module that
# encrypts at rest uses it: flow logs, service logs, Aurora, Valkey, EFS and the bastion's volume.

app "kms-app" {
  description = "A service with a database, a cache and a file system, all under the app's own KMS key"
  region      = "eu-central-1"
  kms_key     = true

  network {
    cidr         = "10.86.0.0/16"
    azs          = ["eu-central-1a", "eu-central-1b"]
    nat          = "single"
    data_subnets = true
  }

  service "api" {
    image         = "public.ecr.aws/docker/library/httpd:2.4"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 1
    uses          = ["database.main", "cache.sessions", "file_system.files"]

    mount {
      file_system  = "files"
      access_point = "data"
      path         = "/data"
    }
  }

  database "main" {
    engine         = "aurora-postgresql"
    version        = "16.4"
    instances      = 1
    instance_class = "db.t4g.medium"
  }

  cache "sessions" {
    engine    = "valkey"
    version   = "8.0"
    node_type = "cache.t4g.micro"
    nodes     = 1
  }

  file_system "files" {
    access_point "data" {
      path        = "/data"
      uid         = 1000
      gid         = 1000
      permissions = "0750"
    }
  }

  bastion {
    instance_type = "t3.micro"
    ssh_cidrs     = []
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
  }
}
