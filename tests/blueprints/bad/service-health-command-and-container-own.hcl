# expect: 25:22 health_command, container "web", receives traffic, line 30, keep one
# a service-level health command for the container that receives traffic, which has its own
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
    cpu            = 256
    memory         = 512
    desired_count  = 2
    health_command = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]

    container "web" {
      image          = "nginx:1.27"
      port           = 80
      health_command = ["CMD-SHELL", "wget -q -O /dev/null http://localhost/ || exit 1"]
    }

    container "init" {
      image     = "busybox:1.36"
      essential = false
    }
  }
}
