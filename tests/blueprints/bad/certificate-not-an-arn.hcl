# expect: 12:21 certificate, ACM
# a certificate that is not an ACM ARN
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  load_balancer "public" {
    certificate   = "my-certificate"
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
