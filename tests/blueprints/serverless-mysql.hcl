# Issue 4's first scenario: Aurora MySQL Serverless v2 with 1, 2 and 3 instances in dev, staging
# and prod; a Valkey group (TLS); two services that use the database, one rule each.

app "serverless-mysql" {
  description = "Aurora MySQL Serverless v2 and Valkey behind two services"
  region      = "eu-west-2"

  network {
    cidr         = "10.83.0.0/16"
    azs          = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    nat          = "single"
    data_subnets = true
  }

  cluster {
    capacity = "fargate"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for orders.example.org in eu-west-2.
    certificate   = "arn:aws:acm:eu-west-2:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.api"
    }
  }

  service "api" {
    image         = "public.ecr.aws/docker/library/wordpress:6.6-apache"
    port          = 80
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/wp-login.php"
    uses          = ["database.main", "cache.sessions"]
  }

  # A second user of the database, with no load balancer.
  service "reports" {
    image         = "public.ecr.aws/docker/library/python:3.12-slim"
    cpu           = 256
    memory        = 1024
    desired_count = 1
    command       = ["python", "-m", "http.server", "8080"]
    uses          = ["database.main"]
  }

  database "main" {
    engine         = "aurora-mysql"
    version        = "8.0.mysql_aurora.3.08.0"
    instances      = 2
    instance_class = "db.serverless"
    serverless {
      min_capacity = 0.5
      max_capacity = 8
    }
    database_name         = "orders"
    backup_retention_days = 7
    deletion_protection   = true
  }

  cache "sessions" {
    engine    = "valkey"
    version   = "8.0"
    node_type = "cache.t4g.small"
    nodes     = 2
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    service "api" {
      desired_count = 1
    }
    database "main" {
      instances = 1
      serverless {
        min_capacity = 0.5
        max_capacity = 2
      }
      backup_retention_days = 1
      deletion_protection   = false
    }
    cache "sessions" {
      node_type = "cache.t4g.micro"
      nodes     = 1
    }
  }

  environment "staging" {
    account_id = "111111111111" # placeholder: staging shares the dev account
    database "main" {
      instances           = 2
      deletion_protection = false
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:eu-west-2:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    service "api" {
      desired_count = 3
    }
    database "main" {
      instances = 3
      serverless {
        min_capacity = 2
        max_capacity = 32
      }
      backup_retention_days = 14
    }
    cache "sessions" {
      node_type = "cache.r7g.large"
      nodes     = 3
    }
  }
}
