# expect: 36:22 iam_user, master user
# an iam_user that is the master user, whose password rotates
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
    image         = "nginx:1.27"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
  }

  database "main" {
    engine         = "aurora-postgresql"
    version        = "16.4"
    instances      = 2
    instance_class = "db.r6g.large"
    database_name  = "app"
    iam_user       = "postgres"
  }
}
