# expect: 1:1 app, none was found
# no app block at all
network {
  cidr = "10.10.0.0/16"
}
