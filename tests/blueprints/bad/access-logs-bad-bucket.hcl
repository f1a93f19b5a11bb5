# expect: 16:16 Logs_Bucket, S3 bucket name
# an access-log bucket that is not an S3 bucket name
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  load_balancer "public" {
    certificate   = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    access_logs {
      bucket = "Logs_Bucket"
    }

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
}
