# Issue 3's Fargate Spot scenario: three services (a worker without a load balancer), path-routed
# HTTPS with an HTTP redirect, two ECR repositories, CPU and request scaling, no NAT, five endpoints.

app "spot-api" {
  description = "Fargate Spot app without NAT: web, api and a queue worker"
  region      = "eu-west-1"
  tags = {
    team = "api"
  }

  # No NAT: tasks reach ECR, S3 (image layers), CloudWatch Logs and SSM through endpoints.
  network {
    cidr      = "10.81.0.0/16"
    azs       = ["eu-west-1a", "eu-west-1b"]
    nat       = "none"
    endpoints = ["s3", "ecr.api", "ecr.dkr", "logs", "ssm"]
  }

  cluster {
    capacity = "fargate_spot"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for app.example.org in eu-west-1.
    certificate   = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.web"
    }
  }

  # Without NAT a task can pull only from private ECR: the web image comes from a pull-through
  # cache in the shared-services account (placeholder account id), not from Docker Hub.
  service "web" {
    image         = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27-alpine"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/"

    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/", "/assets/*"]
    }
  }

  service "api" {
    repository    = true
    port          = 8000
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/api/health"
    environment = {
      LOG_LEVEL = "info"
    }
    secrets = {
      API_SIGNING_KEY = "ssm:/spot-api/api-signing-key"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/api/*"]
    }

    autoscaling {
      min      = 2
      max      = 8
      cpu      = 60
      requests = 500
    }
  }

  # A queue worker: no port, no route, no load balancer.
  service "worker" {
    repository    = true
    cpu           = 1024
    memory        = 2048
    desired_count = 1
    command       = ["python", "-m", "worker"]
    secrets = {
      QUEUE_TOKEN = "ssm:/spot-api/queue-token"
    }

    autoscaling {
      min = 1
      max = 4
      cpu = 70
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    service "api" {
      desired_count = 1
      autoscaling {
        min      = 1
        max      = 2
        cpu      = 60
        requests = 500
      }
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:eu-west-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    service "web" {
      desired_count = 3
    }
    service "api" {
      desired_count = 3
      autoscaling {
        min      = 3
        max      = 12
        cpu      = 60
        requests = 500
      }
    }
  }
}
