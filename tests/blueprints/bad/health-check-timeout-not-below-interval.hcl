# expect: 30:18 timeout, below, interval
# the timeout of a health check must be shorter than its interval
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
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
    desired_count = 2
    health_check {
      interval = 10
      timeout  = 10
    }
  }
}
