# Remote state and account roles: every environment keeps its state in S3 (native locking) and
# its provider assumes the environment's role; prod keeps its state in a bucket of its own.

app "remote-state" {
  region = "eu-west-1"

  network {
    cidr = "10.40.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  state {
    bucket = "acme-terraform-state"
    region = "us-east-1"
  }

  load_balancer "public" {
    certificate   = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.web"
    }
  }

  service "web" {
    image         = "nginx:1.27"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 1
  }

  environment "dev" {
    account_id = "111111111111"
    role_arn   = "arn:aws:iam::111111111111:role/terraform"
  }

  environment "prod" {
    account_id = "222222222222"
    role_arn   = "arn:aws:iam::222222222222:role/terraform"
    state {
      bucket = "acme-prod-state"
      region = "eu-west-1"
    }
  }
}
