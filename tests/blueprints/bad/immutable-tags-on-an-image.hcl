# expect: 13:22 immutable_tags, repository
# immutable_tags on a container that pulls a public image
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "web" {
    image          = "nginx:1.27"
    immutable_tags = true
    port           = 80
    cpu            = 256
    memory         = 512
  }
}
