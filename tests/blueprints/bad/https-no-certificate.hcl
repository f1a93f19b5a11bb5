# expect: 14:14 HTTPS, certificate
# an HTTPS listener on a load balancer without a certificate
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  load_balancer "public" {
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
  }
}
