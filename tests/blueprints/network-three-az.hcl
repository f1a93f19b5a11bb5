# Issue 2's scenario: a network only, three AZs with public, private and data subnets, three
# endpoints; dev has one NAT gateway, prod one per AZ (9 subnets, 1 or 3 NAT gateways, a flow log).

app "netcheck" {
  description = "Network-only blueprint: three AZs, data subnets, endpoints"
  region      = "us-west-2"
  tags = {
    team = "network"
  }

  network {
    cidr         = "10.40.0.0/16"
    azs          = ["us-west-2a", "us-west-2b", "us-west-2c"]
    nat          = "single"
    data_subnets = true
    endpoints    = ["s3", "dynamodb", "ecr.api"]
    flow_logs    = true
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    network {
      nat = "single"
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
  }
}
