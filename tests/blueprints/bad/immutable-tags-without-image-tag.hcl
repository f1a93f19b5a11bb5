# expect: 27:15 prod, image_tag, immutable
# a repository with immutable tags, and an environment that names no tag for it
app "shop" {
  region = "eu-west-1"

  network {
    cidr = "10.10.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
  }

  service "web" {
    repository     = true
    immutable_tags = true
    port           = 80
    cpu            = 256
    memory         = 512
  }

  environment "dev" {
    service "web" {
      image_tag = "1.0.0"
    }
  }

  # The second push of `latest` would fail here.

  environment "prod" {}
}
