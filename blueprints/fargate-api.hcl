# A REST service on ECS Fargate (seed 004): one container image from ECR behind an ALB listener
# rule, CPU target-tracking autoscaling, a database password from SSM Parameter Store, a Route 53 name.

app "fargate-api" {
  description = "REST API on ECS Fargate with autoscaling and SSM secrets"
  region      = "us-east-1"
  tags = {
    project = "fargate-api"
    team    = "api"
  }

  # No network block: each environment lives in its own account and deploys into that account's
  # existing VPC and subnets (the seed's privateSubnetOne/Two/Three), named in its `environment`
  # block. Nothing of the network is created here.

  cluster {
    capacity           = "fargate"
    container_insights = true
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for api.example.com in us-east-1 of the dev account.
    certificate   = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    # No default: anything but the API's paths gets a fixed 404.
    listener "https" {
      port     = 443
      protocol = "HTTPS"
    }
  }

  # CI (CodeBuild) pushes the image to the ECR repository; each environment pins its tag.
  service "api" {
    repository    = true
    port          = 80
    cpu           = 512
    memory        = 1024
    desired_count = 2
    health_check  = "/v1/health"
    # The existing role the tasks run as (the seed's fargateDemoRole), in the dev account; each
    # environment names its own account's role. The execution role stays ours: it may read
    # only the SSM parameters below and pull only this service's image.
    task_role = "arn:aws:iam::111111111111:role/fargateDemoRole"
    environment = {
      DB_HOST = "orders.cluster-c0abcdefghij.us-east-1.rds.amazonaws.com" # placeholder: the existing database
      DB_PORT = "5432"
      DB_USER = "api"
    }
    secrets = {
      DB_PASSWORD = "ssm:/fargate-api/db-password"
    }

    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/v1/*"]
    }

    autoscaling {
      min = 2
      max = 10
      cpu = 60
    }
  }

  dns {
    zone_id = "Z0123456789ABCDEFGHIJ" # placeholder: the dev account's public hosted zone
    record "api.example.com" {
      target = "load_balancer.public"
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    # Placeholders: the dev account's VPC and subnets, exported by its infrastructure stack.
    network {
      existing {
        vpc_id   = "vpc-0a1b2c3d4e5f60718"
        vpc_cidr = "10.70.0.0/16"
        public_subnets = {
          "us-east-1a" = "subnet-0a1b2c3d4e5f60001"
          "us-east-1b" = "subnet-0a1b2c3d4e5f60002"
          "us-east-1c" = "subnet-0a1b2c3d4e5f60003"
        }
        private_subnets = {
          "us-east-1a" = "subnet-0a1b2c3d4e5f60011"
          "us-east-1b" = "subnet-0a1b2c3d4e5f60012"
          "us-east-1c" = "subnet-0a1b2c3d4e5f60013"
        }
      }
    }
    service "api" {
      desired_count = 1
      autoscaling {
        min = 1
        max = 3
        cpu = 60
      }
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    # Placeholders: the prod account's VPC and subnets.
    network {
      existing {
        vpc_id   = "vpc-0f9e8d7c6b5a49382"
        vpc_cidr = "10.80.0.0/16"
        public_subnets = {
          "us-east-1a" = "subnet-0f9e8d7c6b5a40001"
          "us-east-1b" = "subnet-0f9e8d7c6b5a40002"
          "us-east-1c" = "subnet-0f9e8d7c6b5a40003"
        }
        private_subnets = {
          "us-east-1a" = "subnet-0f9e8d7c6b5a40011"
          "us-east-1b" = "subnet-0f9e8d7c6b5a40012"
          "us-east-1c" = "subnet-0f9e8d7c6b5a40013"
        }
      }
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:us-east-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    dns {
      zone_id = "Z9876543210JIHGFEDCBA" # placeholder: the prod account's public zone
    }
    service "api" {
      task_role     = "arn:aws:iam::222222222222:role/fargateDemoRole"
      desired_count = 3
      secrets = {
        DB_PASSWORD = "ssm:/fargate-api/prod/db-password" # the prod account's parameter
      }
      cpu           = 1024
      memory        = 2048
      autoscaling {
        min = 3
        max = 20
        cpu = 60
      }
    }
  }
}
