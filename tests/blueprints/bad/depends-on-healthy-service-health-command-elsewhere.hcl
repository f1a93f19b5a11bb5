# expect: 34:22 "worker", never becomes HEALTHY, container "web", receives traffic
# the service-level health command belongs to the container with a port, not to the one waited for
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

    container "worker" {
      image = "example/worker:1.0"
    }

    container "web" {
      image      = "nginx:1.27"
      port       = 80
      depends_on = { worker = "HEALTHY" }
    }
  }
}
