# Issue 3's EC2 scenario: ECS on EC2 in bridge mode (launch template, autoscaling group, capacity
# provider, instance target groups), three host-routed services, one a task with a sidecar.
# v1.1: the sidecar task's health command and stop timeout set on the service, a worker without
# a load balancer whose deployment grace period covers its health command, a Jenkins server
# routed by host that the metrics service uses, and per-environment log retention and server
# image and instance type.

app "bridge-hosts" {
  description = "ECS on EC2 in bridge mode with host-based routing"
  region      = "ca-central-1"

  network {
    cidr = "10.82.0.0/16"
    azs  = ["ca-central-1a", "ca-central-1b"]
    nat  = "single"
  }

  cluster {
    capacity      = "ec2"
    instance_type = "t3.large"
    min_size      = 2
    max_size      = 4
    network_mode  = "bridge"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for *.example.org in ca-central-1.
    certificate   = "arn:aws:acm:ca-central-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
    }
  }

  service "blog" {
    image         = "ghost:5-alpine"
    port          = 2368
    cpu           = 512
    memory        = 1024
    desired_count = 2
    environment = {
      url = "https://blog.example.org"
    }
    # Ghost answers its admin API with a redirect while it sets itself up: healthy on 200 or
    # 301, checked every 15 s, out of rotation after two failures.
    health_check {
      path                = "/ghost/api/admin/site/"
      matcher             = "200,301"
      interval            = 15
      timeout             = 6
      healthy_threshold   = 2
      unhealthy_threshold = 2
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["blog.example.org"]
    }
  }

  service "metrics" {
    image         = "grafana/grafana:11.2.0"
    port          = 3000
    cpu           = 256
    memory        = 512
    desired_count = 1
    health_check  = "/api/health"
    uses          = ["server.ci"] # SERVER_CI_HOST = "ci.example.org", SERVER_CI_PORT = "443"

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["metrics.example.org"]
    }
  }

  # Two containers in one task: the app and a Redis sidecar. The shop shows the blog's latest
  # posts: it calls the blog through Service Connect (bridge mode, dynamic host ports).
  service "shop" {
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/healthz"
    uses          = ["service.blog"]
    # For its containers: the health check of "app" (the one with a port), and every
    # container's stop timeout.
    health_command = ["CMD-SHELL", "wget -q -O /dev/null http://localhost:3000/healthz || exit 1"]
    stop_timeout   = 30

    container "app" {
      repository = true
      port       = 3000
      environment = {
        REDIS_URL = "redis://redis:6379" # bridge mode: the sidecar by its container name
      }
    }

    container "redis" {
      image = "redis:7.2-alpine"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["shop.example.org", "www.example.org"]
    }
  }

  # A worker without a load balancer: the grace period covers its container health check.
  service "indexer" {
    image          = "busybox:1.36"
    command        = ["sh", "-c", "touch /tmp/ready && while true; do sleep 60; done"]
    cpu            = 256
    memory         = 256
    desired_count  = 1
    health_command = ["CMD-SHELL", "test -f /tmp/ready"]

    deployment {
      grace_period = 120
    }
  }

  # Jenkins on an instance of its own, in an Auto Scaling group of one.
  server "ci" {
    instance_type = "t3.medium"
    image         = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    volume_size   = 40
    port          = 8080
    # Jenkins takes its time to start: a slower check with a longer timeout.
    health_check {
      path     = "/login"
      interval = 60
      timeout  = 20
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["ci.example.org"]
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    cluster {
      min_size = 1
      max_size = 2
    }
    service "blog" {
      desired_count = 1
    }
    service "shop" {
      desired_count = 1
      log_retention = 7
    }
    server "ci" {
      instance_type = "t3.small"
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    cluster {
      instance_type = "m6i.large"
      min_size      = 3
      max_size      = 6
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:ca-central-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    service "shop" {
      desired_count = 4
    }
    server "ci" {
      instance_type = "m6i.large"
      image         = "ami-0123456789abcdef0" # placeholder: the prod account's golden image
    }
  }
}
