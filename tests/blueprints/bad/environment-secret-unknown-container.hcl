# expect: 27:17 no container, did you mean "app"
# An environment overrides the secrets of a container the service lacks.
app "shop" {
  region = "us-east-1"

  network {
    existing {
      vpc_id          = "vpc-0abc1234"
      vpc_cidr        = "10.0.0.0/16"
      public_subnets  = { "us-east-1a" = "subnet-0a000001", "us-east-1b" = "subnet-0a000002" }
      private_subnets = { "us-east-1a" = "subnet-0b000001", "us-east-1b" = "subnet-0b000002" }
    }
  }

  service "web" {
    cpu    = 256
    memory = 512
    container "app" {
      image   = "nginx:1.27"
      port    = 80
      secrets = { API_KEY = "ssm:/shop/api-key" }
    }
  }

  environment "prod" {
    service "web" {
      container "ap" {
        secrets = { API_KEY = "ssm:/shop/prod/api-key" }
      }
    }
  }
}
