# A generic ECS-on-EC2 platform (seed 001): one ECR repository and one target group per service,
# host-based routing on one ALB, bridge networking with dynamic host ports, a Redis sidecar.

app "ecs-platform" {
  description = "Services on an ECS cluster of EC2 instances, routed by host name"
  region      = "us-east-2"
  tags = {
    project = "ecs-platform"
    team    = "platform"
  }

  network {
    cidr = "10.60.0.0/16"
    azs  = ["us-east-2a", "us-east-2b", "us-east-2c"]
    nat  = "single"
  }

  cluster {
    capacity           = "ec2"
    container_insights = true
    instance_type      = "m6i.large"
    min_size           = 2
    max_size           = 6
    # Host port 0 in every task: several copies of a service share an instance.
    network_mode = "bridge"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for *.example.com in us-east-2 of the dev account.
    certificate   = "arn:aws:acm:us-east-2:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    # No default: a request for an unknown host gets a fixed 404.
    listener "https" {
      port     = 443
      protocol = "HTTPS"
    }
  }

  service "orders" {
    repository    = true
    port          = 8080
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/health"
    environment = {
      ASPNETCORE_URLS = "http://+:8080"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["orders.example.com"]
    }
  }

  service "catalog" {
    repository    = true
    port          = 8080
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/health"
    environment = {
      ASPNETCORE_URLS = "http://+:8080"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["catalog.example.com"]
    }
  }

  # The service container plus a Redis sidecar in one task. The basket prices its items with
  # the catalog, which it calls through Service Connect at catalog:8080.
  service "basket" {
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/health"
    uses          = ["service.catalog"]

    container "app" {
      repository = true
      port       = 8080
      environment = {
        ASPNETCORE_URLS = "http://+:8080"
        REDIS_HOST      = "redis" # bridge mode: the sidecar is reached by its container name (a link)
        REDIS_PORT      = "6379"
      }
    }

    container "redis" {
      image   = "redis:7.2-alpine"
      command = ["redis-server", "--save", "", "--appendonly", "no"]
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["basket.example.com"]
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    network {
      nat = "single"
    }
    cluster {
      instance_type = "t3.large"
      min_size      = 1
      max_size      = 2
    }
    service "orders" {
      desired_count = 1
    }
    service "catalog" {
      desired_count = 1
    }
    service "basket" {
      desired_count = 1
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
    cluster {
      instance_type = "m6i.xlarge"
      min_size      = 3
      max_size      = 9
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:us-east-2:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    service "orders" {
      desired_count = 4
    }
    service "catalog" {
      desired_count = 4
    }
    service "basket" {
      desired_count = 3
      cpu           = 1024
      memory        = 2048
    }
  }
}
