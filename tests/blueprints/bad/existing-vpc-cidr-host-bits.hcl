# expect: 9:25 vpc_cidr, did you mean "10.0.0.0/16"
# An existing VPC CIDR with host bits set.
app "shop" {
  region = "us-east-1"

  network {
    existing {
      vpc_id          = "vpc-0abc1234"
      vpc_cidr        = "10.0.0.1/16"
      public_subnets  = { "us-east-1a" = "subnet-0a000001", "us-east-1b" = "subnet-0a000002" }
      private_subnets = { "us-east-1a" = "subnet-0b000001", "us-east-1b" = "subnet-0b000002" }
    }
  }

  service "web" {
    image  = "nginx:1.27"
    port   = 80
    cpu    = 256
    memory = 512
  }
}
