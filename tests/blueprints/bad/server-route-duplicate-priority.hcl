# expect: 36:5 priority 10, server "jenkins", service "web", line 25, unique
# a server and a service given the same listener-rule priority (the load balancer refuses the second rule)
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
    route {
      load_balancer = "public"
      listener      = "https"
      paths         = ["/api/*"]
      priority      = 10
    }
  }

  server "jenkins" {
    image = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    port  = 8080
    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["ci.example.com"]
      priority      = 10
    }
  }
}
