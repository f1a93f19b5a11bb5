# expect: 26:21 depends_on, `container` blocks, put it in the block, container "web"
# start order written on a service with container blocks instead of in the waiting container
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
    cpu           = 256
    memory        = 512
    desired_count = 2
    stop_timeout  = 60
    depends_on    = { init = "COMPLETE" }

    container "web" {
      image = "nginx:1.27"
      port  = 80
    }

    container "init" {
      image     = "busybox:1.36"
      essential = false
    }
  }
}
