# expect: 40:5 server "nexus", same conditions, server "jenkins", line 30
# two servers on one listener with the same hosts, in another order and case (ALB host matching ignores both)
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

  server "jenkins" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port  = 8080
    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["ci.example.com", "build.example.com"]
    }
  }

  server "nexus" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port  = 8081
    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["Build.example.com", "ci.example.com"]
    }
  }
}
