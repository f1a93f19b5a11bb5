# expect: 31:21 admn, did you mean "admin"
# a service that names a cluster the app does not define
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

  cluster "app" {
    capacity = "fargate"
  }

  cluster "admin" {
    capacity = "fargate_spot"
  }

  service "web" {
    cluster       = "admn"
    image         = "nginx:1.27"
    port          = 80
    desired_count = 2
  }

  service "panel" {
    cluster = "admin"
    image   = "nginx:1.27"
  }
}
