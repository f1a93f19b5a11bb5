# Accurate Video on ECS Fargate (seed 002): Frontend, Analyze and Adapter behind one ALB, Jobs
# behind none; PostgreSQL for Adapter only; Hazelcast between Jobs and Adapter.

app "accurate-video" {
  description = "Accurate Video on ECS Fargate"
  region      = "eu-north-1"
  tags = {
    project = "accurate-video"
    team    = "media"
  }

  # Two AZs with a NAT gateway in each public subnet; S3 traffic over a gateway endpoint.
  network {
    cidr      = "10.50.0.0/16"
    azs       = ["eu-north-1a", "eu-north-1b"]
    nat       = "per_az"
    endpoints = ["s3"]
  }

  cluster {
    capacity = "fargate"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for av.example.com in eu-north-1 of the dev account.
    certificate   = "arn:aws:acm:eu-north-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.frontend"
    }
  }

  # The Accurate Video images come from Codemill's private registry; they are mirrored into the
  # ECR repositories that `repository = true` creates, and each environment pins its tag.
  service "frontend" {
    repository    = true
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/"
  }

  service "analyze" {
    repository    = true
    port          = 8081
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/analyze/"

    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/analyze", "/analyze/*"]
    }
  }

  service "adapter" {
    repository    = true
    port          = 8080
    cpu           = 1024
    memory        = 2048
    desired_count = 2
    health_check  = "/q/health/ready"
    discovery     = true
    uses          = ["database.main"]
    environment = {
      QUARKUS_HTTP_PORT = "8080"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/api/*", "/q/*"]
    }
  }

  # Jobs runs transcoding and analysis jobs; it calls Adapter directly, not through the ALB.
  service "jobs" {
    repository    = true
    cpu           = 2048
    memory        = 4096
    desired_count = 1
    discovery     = true
    environment = {
      AV_ADAPTER_URL = "http://adapter.accurate-video.local:8080"
    }
  }

  # Jobs -> Adapter's API.
  allow {
    from  = "service.jobs"
    to    = "service.adapter"
    ports = "8080"
  }

  # Hazelcast discovery and cluster traffic, both directions.
  allow {
    from      = "service.jobs"
    to        = "service.adapter"
    ports     = "5699-5702"
    both_ways = true
  }

  # Hazelcast among the adapter's own tasks, when it runs more than one.
  allow {
    from  = "service.adapter"
    to    = "service.adapter"
    ports = "5699-5702"
  }

  database "main" {
    engine                = "aurora-postgresql"
    version               = "16.4"
    instances             = 2
    instance_class        = "db.r6g.large"
    database_name         = "accurate_video"
    backup_retention_days = 7
    deletion_protection   = true
  }

  dns {
    zone_id = "Z0123456789ABCDEFGHIJ" # placeholder: the dev account's public hosted zone
    record "av.example.com" {
      target = "load_balancer.public"
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    network {
      nat = "per_az"
    }
    service "frontend" {
      desired_count = 1
    }
    service "analyze" {
      desired_count = 1
    }
    service "adapter" {
      desired_count = 1
    }
    database "main" {
      instances             = 1
      instance_class        = "db.t4g.medium"
      backup_retention_days = 1
      deletion_protection   = false
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:eu-north-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    dns {
      zone_id = "Z9876543210JIHGFEDCBA" # placeholder: the prod account's public zone
    }
    service "adapter" {
      desired_count = 3
      cpu           = 2048
      memory        = 4096
    }
    service "jobs" {
      desired_count = 2
      cpu           = 4096
      memory        = 8192
    }
    database "main" {
      instances             = 3
      instance_class        = "db.r6g.xlarge"
      backup_retention_days = 14
    }
  }
}
