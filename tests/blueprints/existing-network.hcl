# An app in existing networks: each environment's own VPC with public, private and data
# subnets, existing execution and task roles, secrets per environment, a token-authenticated
# Valkey cache and an Aurora cluster that leaves TLS optional.

app "brownfield" {
  region = "eu-west-1"

  network {
    existing {
      vpc_id   = "vpc-0123456789abcdef0"
      vpc_cidr = "10.40.0.0/16"
      public_subnets = {
        "eu-west-1a" = "subnet-00000000000000a01"
        "eu-west-1b" = "subnet-00000000000000a02"
      }
      private_subnets = {
        "eu-west-1a" = "subnet-00000000000000b01"
        "eu-west-1b" = "subnet-00000000000000b02"
      }
      data_subnets = {
        "eu-west-1a" = "subnet-00000000000000c01"
        "eu-west-1b" = "subnet-00000000000000c02"
      }
    }
  }

  load_balancer "public" {
    listener "http" {
      port     = 80
      protocol = "HTTP"
      default  = "service.web"
    }
  }

  service "web" {
    cpu            = 256
    memory         = 512
    execution_role = "arn:aws:iam::111111111111:role/brownfield-exec"
    task_role      = "arn:aws:iam::111111111111:role/brownfield-task"
    uses           = ["cache.session", "database.main"]
    container "app" {
      image = "nginx:1.27"
      port  = 80
      secrets = {
        API_KEY = "ssm:/brownfield/api-key"
      }
    }
    container "worker" {
      image     = "busybox:1.36"
      command   = ["sleep", "infinity"]
      essential = false
      secrets = {
        QUEUE_TOKEN = "secretsmanager:brownfield/queue-token"
      }
    }
  }

  service "admin" {
    image     = "nginx:1.27"
    port      = 8080
    task_role = "arn:aws:iam::111111111111:role/brownfield-admin"
    uses      = ["database.main"]
  }

  cache "session" {
    engine    = "valkey"
    version   = "8.0"
    node_type = "cache.t4g.small"
  }

  database "main" {
    engine         = "aurora-postgresql"
    version        = "16.4"
    instances      = 1
    instance_class = "db.t4g.medium"
    tls            = "optional"
  }

  environment "test" {
    account_id = "111111111111"
  }

  environment "live" {
    account_id = "222222222222"
    network {
      existing {
        vpc_id   = "vpc-0fedcba9876543210"
        vpc_cidr = "10.50.0.0/16"
        public_subnets = {
          "eu-west-1a" = "subnet-00000000000000d01"
          "eu-west-1b" = "subnet-00000000000000d02"
        }
        private_subnets = {
          "eu-west-1a" = "subnet-00000000000000e01"
          "eu-west-1b" = "subnet-00000000000000e02"
        }
      }
    }
    service "web" {
      execution_role = "arn:aws:iam::222222222222:role/brownfield-exec"
      task_role      = "arn:aws:iam::222222222222:role/brownfield-task"
      container "worker" {
        secrets = {
          QUEUE_TOKEN = "secretsmanager:arn:aws:secretsmanager:eu-west-1:222222222222:secret:brownfield/queue-token-AbCdEf"
        }
      }
    }
    service "admin" {
      task_role = "arn:aws:iam::222222222222:role/brownfield-admin"
      secrets = {
        ADMIN_PASSWORD = "ssm:/brownfield/live/admin-password"
      }
    }
  }
}
