# expect: 8:12 Aurora, two availability zones
# an Aurora cluster in a network of one AZ
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a"]
  }

  service "worker" {
    image         = "busybox:1.36"
    cpu           = 256
    memory        = 512
    desired_count = 1
    command       = ["sh", "-c", "while true; do sleep 60; done"]
  }

  database "main" {
    engine         = "aurora-postgresql"
    version        = "16.4"
    instances      = 1
    instance_class = "db.r6g.large"
  }
}
