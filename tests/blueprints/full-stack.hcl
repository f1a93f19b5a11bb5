# Issue 8's benchmark blueprint: every module in play (network, ECS, ALB, Aurora, a cache, EFS,
# DNS, bastion) with three services, two routes and three environments.

app "full-stack" {
  description = "Benchmark blueprint with every module in play"
  region      = "us-west-2"
  tags = {
    team        = "platform"
    cost_center = "cc-1234"
  }

  network {
    cidr         = "10.90.0.0/16"
    azs          = ["us-west-2a", "us-west-2b", "us-west-2c"]
    nat          = "single"
    data_subnets = true
    endpoints    = ["s3", "ecr.api", "ecr.dkr", "logs"]
  }

  cluster {
    capacity           = "fargate"
    container_insights = true
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for *.example.com in us-west-2.
    certificate   = "arn:aws:acm:us-west-2:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
    }
  }

  service "web" {
    image         = "public.ecr.aws/nginx/nginx:1.27-alpine"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/"
    uses          = ["file_system.assets"]

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["www.example.com"]
    }

    mount {
      file_system  = "assets"
      access_point = "public"
      path         = "/usr/share/nginx/html"
      read_only    = true
    }
  }

  service "api" {
    repository    = true
    port          = 8080
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/healthz"
    discovery     = true
    uses          = ["database.main", "cache.session"]
    environment = {
      LOG_LEVEL = "info"
    }
    secrets = {
      JWT_SIGNING_KEY = "secretsmanager:full-stack/jwt-signing-key"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["api.example.com"]
      paths         = ["/v1/*"]
    }

    autoscaling {
      min      = 2
      max      = 10
      cpu      = 60
      requests = 800
    }
  }

  service "worker" {
    repository    = true
    cpu           = 1024
    memory        = 2048
    desired_count = 1
    command       = ["./worker", "--queue", "default"]
    uses          = ["database.main", "cache.session", "file_system.assets"]

    mount {
      file_system  = "assets"
      access_point = "public"
      path         = "/srv/assets"
    }
  }

  allow {
    from  = "service.worker"
    to    = "service.api"
    ports = "8080"
  }

  database "main" {
    engine                = "aurora-postgresql"
    version               = "16.4"
    instances             = 2
    instance_class        = "db.r6g.large"
    database_name         = "app"
    backup_retention_days = 7
    deletion_protection   = true
  }

  cache "session" {
    engine    = "redis"
    version   = "7.1"
    node_type = "cache.t4g.small"
    nodes     = 2
  }

  file_system "assets" {
    access_point "public" {
      path        = "/public"
      uid         = 1000
      gid         = 1000
      permissions = "0755"
    }
  }

  dns {
    zone_id = "Z0123456789ABCDEFGHIJ" # placeholder
    record "www.example.com" {
      target = "load_balancer.public"
    }
    record "api.example.com" {
      target = "load_balancer.public"
    }
    private_zone = "full-stack.internal"
    private_record "db" {
      target = "database.main"
    }
    private_record "session" {
      target = "cache.session"
    }
  }

  bastion {
    instance_type = "t3.micro"
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    service "api" {
      desired_count = 1
      autoscaling {
        min      = 1
        max      = 2
        cpu      = 60
        requests = 800
      }
    }
    database "main" {
      instances             = 1
      instance_class        = "db.t4g.medium"
      backup_retention_days = 1
      deletion_protection   = false
    }
    cache "session" {
      nodes = 1
    }
  }

  environment "staging" {
    account_id = "111111111111" # placeholder: staging shares the dev account
    database "main" {
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
      certificate = "arn:aws:acm:us-west-2:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    dns {
      zone_id = "Z9876543210JIHGFEDCBA" # placeholder: the prod account's public zone
    }
    service "web" {
      desired_count = 3
    }
    service "api" {
      desired_count = 4
      cpu           = 1024
      memory        = 2048
    }
    database "main" {
      instances      = 3
      instance_class = "db.r6g.xlarge"
    }
    cache "session" {
      node_type = "cache.r7g.large"
      nodes     = 3
    }
  }
}
