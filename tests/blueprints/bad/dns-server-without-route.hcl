# expect: 35:16 server "ci", no route
# a DNS record to a server that has no route
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
    image = "nginx:1.27"
    port  = 80
  }

  server "ci" {
    image = "ami-0123456789abcdef0"
    port  = 8080
  }

  dns {
    private_zone = "shop.internal"
    private_record "ci" {
      target = "server.ci"
    }
  }
}
